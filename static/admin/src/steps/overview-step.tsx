import Button from '@atlaskit/button/new';
import Lozenge from '@atlaskit/lozenge';
import SectionMessage from '@atlaskit/section-message';
import { Stack, Text } from '@atlaskit/primitives';
import { ContinueButton } from '../components/continue-button.tsx';
import type { WizardStep } from '../../../../src/core/admin/admin-api-types.ts';
import type { StepProps } from '../wizard-context.ts';
import { fieldName, WarningList } from '../components/problems.tsx';
import { BrowserBindingNotice } from '../components/browser-binding-notice.tsx';
import { ReinstallWarning } from '../components/reinstall-warning.tsx';
import { TroubleshootLink } from '../components/troubleshoot-link.tsx';
import { stepForPath, stepInfo, stepNumber } from '../wizard-steps.ts';

/** Step 1: what is configured, what is missing, whether SSO is live, and the next step. */
export function OverviewStep(props: StepProps) {
  const { settings, status, bridge, rollout, warnings } = props.data;
  const target: WizardStep = status.nextStep === 'overview' ? 'enforce' : status.nextStep;
  const rolloutDone = [rollout.domainLinked, rollout.testPolicyCreated, rollout.adminOutsideSso, rollout.enforced].filter(Boolean).length;
  const missingByStep = new Map<WizardStep, string[]>();
  for (const path of status.missing) {
    const step = stepForPath(path);
    missingByStep.set(step, [...(missingByStep.get(step) ?? []), fieldName(path)]);
  }

  // With several providers the provider rows are the one picked on the provider steps.
  const { connection, providerId } = props.data;
  const providerLabel = connection.providers.length > 1 ? ` (${connection.providers.find((p) => p.id === providerId)?.name ?? providerId})` : '';
  const rows: { label: string; value: string; ok: boolean; step: WizardStep }[] = [
    { label: `OpenID provider${providerLabel}`, value: settings.oidc?.issuer || 'Not set', ok: Boolean(settings.oidc?.issuer), step: 'provider' },
    { label: 'Client ID', value: settings.oidc?.clientId || 'Not set', ok: Boolean(settings.oidc?.clientId), step: 'provider' },
    { label: 'Client secret', value: status.clientSecretSet ? 'Set' : 'Not set', ok: status.clientSecretSet, step: 'provider' },
    { label: 'Test login', value: status.testPassed ? 'Passed' : 'Not passed yet', ok: status.testPassed, step: 'test' },
    {
      label: 'Login CSRF protection',
      value: status.browserBinding.bound
        ? status.browserBinding.cookie === 'seen'
          ? 'On: the test saw the cookie come back'
          : 'On (cookies not checked by a test yet)'
        : 'Off: see the warning below',
      ok: status.browserBinding.cookie === 'seen' && status.browserBinding.bound,
      step: 'test',
    },
    {
      label: 'Values from Atlassian Guard',
      value: settings.serviceProvider?.entityId && settings.serviceProvider?.acsUrl ? settings.serviceProvider.entityId : 'Not set',
      ok: Boolean(settings.serviceProvider?.entityId && settings.serviceProvider?.acsUrl),
      step: 'sp-values',
    },
    {
      label: 'Allowed email domains',
      value: settings.allowedEmailDomains?.length ? settings.allowedEmailDomains.join(', ') : 'Not set',
      ok: Boolean(settings.allowedEmailDomains?.length),
      step: 'users',
    },
    { label: 'Rollout in Atlassian Guard', value: `${rolloutDone} of 4 steps done`, ok: rolloutDone === 4, step: 'enforce' },
  ];

  return (
    <Stack space="space.300">
      {status.live ? (
        <SectionMessage appearance="success" title="SSO is live">
          <p>
            Atlassian Guard sends your users to the bridge, and the bridge signs them in with your OpenID provider with the applied
            settings, which passed the connection test. A change you save here becomes a draft, which you test and then apply.
          </p>
        </SectionMessage>
      ) : status.editsGoToDraft && !status.appliedTestPassed ? (
        <SectionMessage appearance="warning" title="Not live: the applied settings have not passed the connection test">
          <p>
            Users sign in with settings that no connection test has passed. Run the connection test (step 4); until it passes, this page
            does not call SSO live.
          </p>
        </SectionMessage>
      ) : status.configured ? (
        <SectionMessage appearance="information" title="The bridge is configured">
          <p>
            The SSO URL serves sign-ins with these settings. SSO is live once they pass the connection test (step 4) and the rollout in
            Atlassian Guard is finished (step 8).
          </p>
        </SectionMessage>
      ) : (
        <SectionMessage appearance="information" title="Single sign-on is not set up yet">
          <p>
            This app lets Atlassian Guard sign your users in with your OpenID Connect provider (Okta, Microsoft Entra ID, Google,
            Auth0, Keycloak…). Eight short steps; your progress is saved, so you can stop and come back.
          </p>
        </SectionMessage>
      )}

      <table className="bridge-table">
        <caption className="bridge-visually-hidden">What is configured</caption>
        <thead>
          <tr>
            <th scope="col">Setting</th>
            <th scope="col">Value</th>
            <th scope="col">State</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.label}>
              <th scope="row">{row.label}</th>
              <td className="bridge-break">{row.value}</td>
              <td>
                {row.ok ? (
                  <Lozenge appearance="success">Done</Lozenge>
                ) : (
                  <Button appearance="subtle" spacing="compact" onClick={() => props.goTo(row.step)}>
                    {`Set up in step ${stepNumber(row.step)}`}
                  </Button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>

      {status.missing.length ? (
        <SectionMessage appearance="warning" title="Missing before the SSO URL can serve sign-ins">
          <ul className="bridge-list">
            {[...missingByStep.entries()].map(([step, names]) => (
              <li key={step}>
                {names.join(', ')} (step {stepNumber(step)}:{' '}
                {stepInfo(step).title})
              </li>
            ))}
          </ul>
        </SectionMessage>
      ) : null}

      {status.configured || status.live ? <TroubleshootLink /> : null}
      <WarningList warnings={warnings} />
      {status.browserBinding.bound ? null : <BrowserBindingNotice binding={status.browserBinding} />}
      <ReinstallWarning />

      <Stack space="space.100">
        <Text as="p" color="color.text.subtle">
          Bridge URL: <code className="bridge-break">{bridge.baseUrl}</code>
        </Text>
        {!status.live ? (
          <ContinueButton
            step="overview"
            wizard={props}
            to={target}
            record={!status.completedSteps.includes('overview')}
            label={status.completedSteps.length ? `Continue: ${stepInfo(target).title}` : 'Start the setup'}
          />
        ) : null}
      </Stack>
    </Stack>
  );
}
