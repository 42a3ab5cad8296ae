import { useState } from 'react';
import { Checkbox } from '../components/checkbox.tsx';
import SectionMessage from '@atlaskit/section-message';
import Button from '@atlaskit/button/new';
import { Stack, Text } from '@atlaskit/primitives';
import type { RolloutChecklist } from '../../../../src/core/admin/admin-api-types.ts';
import { invokeResolver } from '../api.ts';
import type { StepProps } from '../wizard-context.ts';
import { ExternalLink } from '../components/external-link.tsx';
import { fieldName } from '../components/problems.tsx';
import { ReinstallWarning } from '../components/reinstall-warning.tsx';
import { BrowserBindingNotice } from '../components/browser-binding-notice.tsx';
import { TroubleshootLink } from '../components/troubleshoot-link.tsx';

const ADMIN = 'https://admin.atlassian.com/';

interface Item {
  key: keyof RolloutChecklist;
  label: string;
  detail: string;
  doc: string;
}

/** The rollout in Atlassian's admin, in the order that keeps everyone able to sign in. */
const ITEMS: readonly Item[] = [
  {
    key: 'domainLinked',
    label: 'Link the verified domain to this identity provider',
    detail: 'Security → Identity providers → your provider → Link domains. Only users of a verified, linked domain use this SSO.',
    doc: 'https://support.atlassian.com/provisioning-users/docs/link-domains-to-identity-provider-directories/',
  },
  {
    key: 'testPolicyCreated',
    label: 'Test with an authentication policy of a few members',
    detail:
      'Security → Authentication policies → Add policy for this identity provider’s directory, enforce single sign-on in it, add a few members, and sign in as one of them in a private window.',
    doc: 'https://support.atlassian.com/security-and-access-policies/docs/edit-authentication-settings-and-members/',
  },
  {
    key: 'adminOutsideSso',
    label: 'Keep one admin account outside SSO',
    detail:
      'An organization admin in a policy without SSO (or outside the verified domains) can still sign in and undo a mistake if the provider or this app is down.',
    doc: 'https://support.atlassian.com/security-and-access-policies/docs/understand-authentication-policies/',
  },
  {
    key: 'enforced',
    label: 'Enforce single sign-on for everyone else',
    detail: 'Security → Identity providers → your directory → Authentication policies → Edit → Enforce single sign-on, then move the remaining members in.',
    doc: 'https://support.atlassian.com/provisioning-users/docs/require-single-sign-on-for-user-login/',
  },
];

/** Step 8: the checklist in Atlassian Guard, ticked here so the wizard knows when SSO is live. */
export function EnforceStep(props: StepProps) {
  const { status } = props.data;
  // Ticks show at once; a failed save puts the box back.
  const [pending, setPending] = useState<Partial<RolloutChecklist>>({});
  const rollout: RolloutChecklist = { ...props.data.rollout, ...pending };
  const [busy, setBusy] = useState<keyof RolloutChecklist>();
  const [failure, setFailure] = useState<string>();

  async function tick(key: keyof RolloutChecklist, value: boolean) {
    setBusy(key);
    setFailure(undefined);
    setPending((p) => ({ ...p, [key]: value }));
    try {
      const response = await invokeResolver('rollout/save', { ...props.target, rollout: { [key]: value } });
      props.update((data) => ({ ...data, rollout: response.rollout, status: response.status }));
    } catch (error) {
      setFailure(error instanceof Error ? error.message : String(error));
    } finally {
      setPending((p) => {
        const { [key]: _done, ...rest } = p;
        return rest;
      });
      setBusy(undefined);
    }
  }

  const allTicked = ITEMS.every((item) => rollout[item.key]);

  return (
    <Stack space="space.300">
      <Text as="p">
        The rest happens in <ExternalLink href={ADMIN}>Atlassian Administration</ExternalLink>. Tick each step when it is done; the
        order keeps everyone able to sign in while you test.
      </Text>
      <ol className="bridge-checklist">
        {ITEMS.map((item) => (
          <li key={item.key}>
            <Checkbox
              label={item.label}
              isChecked={rollout[item.key]}
              isDisabled={busy !== undefined}
              onChange={(event) => void tick(item.key, event.target.checked)}
            />
            <div className="bridge-checklist__detail">
              <Text as="p" color="color.text.subtle">
                {item.detail}
              </Text>
              <Text as="p">
                <ExternalLink href={ADMIN}>
                  Open Atlassian Administration<span className="bridge-visually-hidden"> to {lowerFirst(item.label)}</span>
                </ExternalLink>{' '}
                ·{' '}
                <ExternalLink href={item.doc}>
                  How to<span className="bridge-visually-hidden"> {lowerFirst(item.label)}</span> (Atlassian’s guide)
                </ExternalLink>
              </Text>
            </div>
          </li>
        ))}
      </ol>
      {status.browserBinding.bound ? null : <BrowserBindingNotice binding={status.browserBinding} />}
      <ReinstallWarning />
      {rollout.enforced || rollout.testPolicyCreated ? <TroubleshootLink /> : null}
      {failure ? (
        <SectionMessage appearance="error" title="Not saved">
          <p>{failure}</p>
        </SectionMessage>
      ) : null}
      {status.live ? (
        <SectionMessage appearance="success" title="SSO is live">
          <p>
            Your users sign in to Atlassian through your OpenID provider. To change a setting later, come back to this page: a saved
            change becomes a draft, which users get only once it passes the connection test and you apply it.
          </p>
        </SectionMessage>
      ) : allTicked && status.missing.length ? (
        <SectionMessage
          appearance="warning"
          title="Not live yet: the configuration is incomplete"
          actions={[
            <Button key="overview" appearance="subtle" onClick={() => props.goTo('overview')}>
              Go to the overview
            </Button>,
          ]}
        >
          <p>Missing: {status.missing.map(fieldName).join(', ')}.</p>
        </SectionMessage>
      ) : allTicked && !status.appliedTestPassed ? (
        <SectionMessage
          appearance="warning"
          title="Not live yet: the applied settings have not passed the connection test"
          actions={[
            <Button key="test" appearance="subtle" onClick={() => props.goTo('test')}>
              Go to the connection test
            </Button>,
          ]}
        >
          <p>Run the connection test (step 4). SSO counts as live only while the settings users get are the ones that passed it.</p>
        </SectionMessage>
      ) : null}
    </Stack>
  );
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
