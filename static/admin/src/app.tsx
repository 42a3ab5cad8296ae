import { useCallback, useEffect, useState, type FormEvent, type ReactNode } from 'react';
import Button from '@atlaskit/button/new';
import Heading from '@atlaskit/heading';
import Lozenge from '@atlaskit/lozenge';
import SectionMessage from '@atlaskit/section-message';
import Spinner from '@atlaskit/spinner';
import { Box, Inline, Stack, Text } from '@atlaskit/primitives';
import type { ConfigGetResponse, ConfigSaveRequest, WizardStep } from '../../../src/core/admin/admin-api-types.ts';
import { detectHost, getAdminToken, invokeResolver, RefusalError, setAdminToken, UnauthorizedError } from './api.ts';
import { TextInput } from './components/field.tsx';
import { StepNav } from './components/step-nav.tsx';
import { isWizardStep, stepInfo, stepNumber } from './wizard-steps.ts';
import type { LastTest, StepProps } from './wizard-context.ts';
import { OverviewStep } from './steps/overview-step.tsx';
import { CallbackStep } from './steps/callback-step.tsx';
import { ProviderStep } from './steps/provider-step.tsx';
import { TestStep } from './steps/test-step.tsx';
import { IdpValuesStep } from './steps/idp-values-step.tsx';
import { SpValuesStep } from './steps/sp-values-step.tsx';
import { UsersStep } from './steps/users-step.tsx';
import { EnforceStep } from './steps/enforce-step.tsx';
import type { AdminRefusal } from '../../../src/core/admin/admin-api-types.ts';

type Phase =
  | { name: 'token'; problem?: string }
  | { name: 'loading' }
  | { name: 'refused'; refusal: AdminRefusal }
  | { name: 'failed'; message: string }
  | { name: 'ready'; data: ConfigGetResponse };

export function App() {
  const host = detectHost();
  const [phase, setPhase] = useState<Phase>(() => (host === 'standalone' && !getAdminToken() ? { name: 'token' } : { name: 'loading' }));
  const [step, setStep] = useState<WizardStep | undefined>(() => stepFromHash());
  const [lastTest, setLastTest] = useState<LastTest | undefined>();

  const load = useCallback(async () => {
    try {
      const data = await invokeResolver('config/get', {});
      setPhase({ name: 'ready', data });
      setStep((current) => current ?? initialStep(data));
    } catch (error) {
      setPhase(phaseForError(error));
    }
  }, []);

  useEffect(() => {
    if (phase.name === 'loading') void load();
  }, [phase.name, load]);

  // The last test's claims feed the mapping preview, also after the admin came back later.
  const lastTestId = phase.name === 'ready' ? phase.data.lastTestId : undefined;
  useEffect(() => {
    if (phase.name !== 'ready' || lastTest) return;
    const testId = phase.data.lastTestId;
    if (!testId) return;
    invokeResolver('test/result', { testId }).then(
      (result) => setLastTest((current) => current ?? { testId, result }),
      () => undefined,
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [phase.name, lastTestId, lastTest]);

  useEffect(() => {
    if (!step) return;
    if (window.location.hash !== `#${step}`) history.replaceState(null, '', `#${step}`);
    document.title = `${stepInfo(step).title} · OIDC SSO for Atlassian Guard`;
  }, [step]);

  useEffect(() => {
    const onHash = () => {
      const fromHash = stepFromHash();
      if (fromHash) setStep(fromHash);
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  if (phase.name === 'token') {
    return (
      <TokenScreen
        problem={phase.problem}
        onToken={(token) => {
          setAdminToken(token);
          setPhase({ name: 'loading' });
        }}
      />
    );
  }
  if (phase.name === 'loading') {
    return (
      <Shell>
        <Inline space="space.100" alignBlock="center">
          <Spinner size="medium" label="Loading" />
          <Text>Loading the configuration…</Text>
        </Inline>
      </Shell>
    );
  }
  if (phase.name === 'refused') return <RefusalScreen refusal={phase.refusal} />;
  if (phase.name === 'failed') {
    return (
      <Shell>
        <SectionMessage
          appearance="error"
          title="The setup page could not load"
          actions={[{ text: 'Try again', onClick: () => setPhase({ name: 'loading' }) }].map((a) => (
            <Button key={a.text} onClick={a.onClick}>
              {a.text}
            </Button>
          ))}
        >
          <p>{phase.message}</p>
        </SectionMessage>
      </Shell>
    );
  }

  const data = phase.data;
  const current = step ?? 'overview';
  const goTo = (next: WizardStep) => {
    setStep(next);
    window.scrollTo?.({ top: 0 });
  };
  const props: StepProps = {
    data,
    host,
    goTo,
    lastTest,
    setLastTest,
    refresh: load,
    update: (change) => setPhase((p) => (p.name === 'ready' ? { name: 'ready', data: change(p.data) } : p)),
    save: async (request: ConfigSaveRequest) => {
      try {
        const response = await invokeResolver('config/save', request);
        if (response.ok) {
          const fresh = await invokeResolver('config/get', {});
          setPhase({ name: 'ready', data: fresh });
        }
        return response;
      } catch (error) {
        const next = phaseForError(error);
        if (next.name !== 'failed') setPhase(next);
        throw error;
      }
    },
  };

  return (
    <Shell
      status={data.status.live ? 'live' : data.status.configured ? 'configured' : 'unconfigured'}
      onSignOut={
        host === 'standalone'
          ? () => {
              setAdminToken(undefined);
              setPhase({ name: 'token' });
            }
          : undefined
      }
    >
      <div className="bridge-layout">
        <StepNav current={current} status={data.status} onSelect={goTo} />
        <main className="bridge-main" aria-labelledby="step-heading">
          <Stack space="space.250">
            <Stack space="space.050">
              <Text size="small" color="color.text.subtle">
                Step {stepNumber(current)} of 8
              </Text>
              <Heading size="large" as="h2" id="step-heading">
                {stepInfo(current).title}
              </Heading>
            </Stack>
            <StepBody step={current} props={props} />
          </Stack>
        </main>
      </div>
    </Shell>
  );
}

function StepBody({ step, props }: { step: WizardStep; props: StepProps }) {
  // `key` resets a step's draft when the admin comes back to it.
  switch (step) {
    case 'overview':
      return <OverviewStep key={step} {...props} />;
    case 'callback':
      return <CallbackStep key={step} {...props} />;
    case 'provider':
      return <ProviderStep key={step} {...props} />;
    case 'test':
      return <TestStep key={step} {...props} />;
    case 'idp-values':
      return <IdpValuesStep key={step} {...props} />;
    case 'sp-values':
      return <SpValuesStep key={step} {...props} />;
    case 'users':
      return <UsersStep key={step} {...props} />;
    case 'enforce':
      return <EnforceStep key={step} {...props} />;
  }
}

function initialStep(data: ConfigGetResponse): WizardStep {
  // A first visit starts at the overview; a returning admin goes on where the setup stopped.
  if (data.status.live || data.status.completedSteps.length === 0) return 'overview';
  return data.status.nextStep ?? 'overview';
}

function stepFromHash(): WizardStep | undefined {
  const value = decodeURIComponent(window.location.hash.replace(/^#/, ''));
  return isWizardStep(value) ? value : undefined;
}

function phaseForError(error: unknown): Phase {
  if (error instanceof UnauthorizedError) {
    setAdminToken(undefined);
    return {
      name: 'token',
      problem: 'That admin token was not accepted. Use the token the server printed when it started (or the value of BRIDGE_ADMIN_TOKEN).',
    };
  }
  // Only a refusal of the admin as such replaces the page; a refused request is shown where it was made.
  if (error instanceof RefusalError && error.refusal.error !== 'bad_request') return { name: 'refused', refusal: error.refusal };
  return { name: 'failed', message: error instanceof Error ? error.message : String(error) };
}

function Shell(props: { children: ReactNode; status?: 'live' | 'configured' | 'unconfigured'; onSignOut?: () => void }) {
  return (
    <div className="bridge-page">
      <header className="bridge-header">
        <Inline space="space.150" alignBlock="center" spread="space-between">
          <Inline space="space.150" alignBlock="center">
            <Heading size="medium" as="h1">
              OIDC SSO for Atlassian Guard
            </Heading>
            {props.status === 'live' ? (
              <Lozenge appearance="success" isBold>
                Live
              </Lozenge>
            ) : props.status === 'configured' ? (
              <Lozenge appearance="inprogress">Configured, not enforced</Lozenge>
            ) : props.status === 'unconfigured' ? (
              <Lozenge appearance="default">Not configured</Lozenge>
            ) : null}
          </Inline>
          {props.onSignOut ? (
            <Button appearance="subtle" onClick={props.onSignOut}>
              Forget admin token
            </Button>
          ) : null}
        </Inline>
      </header>
      {props.children}
    </div>
  );
}

function TokenScreen(props: { problem?: string; onToken: (token: string) => void }) {
  const [token, setToken] = useState('');
  const [empty, setEmpty] = useState(false);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const value = token.trim();
    if (!value) {
      setEmpty(true);
      return;
    }
    props.onToken(value);
  };
  return (
    <Shell>
      <Box>
        <form className="bridge-narrow" onSubmit={submit} noValidate>
          <Stack space="space.200">
            <Heading size="large" as="h2">
              Sign in to the setup wizard
            </Heading>
            <Text as="p">
              This page changes who can sign in to Atlassian, so it asks for the server's admin token. The server printed it once when it
              started (unless you set <code>BRIDGE_ADMIN_TOKEN</code>). It stays in this browser tab only.
            </Text>
            {props.problem ? (
              <SectionMessage appearance="error" title="Not signed in">
                <p>{props.problem}</p>
              </SectionMessage>
            ) : null}
            <TextInput
              label="Admin token"
              type="password"
              value={token}
              onChange={(value) => {
                setToken(value);
                setEmpty(false);
              }}
              autoComplete="current-password"
              errors={empty ? ['Enter the admin token.'] : undefined}
            />
            <Box>
              <Button appearance="primary" type="submit">
                Continue
              </Button>
            </Box>
          </Stack>
        </form>
      </Box>
    </Shell>
  );
}

function RefusalScreen({ refusal }: { refusal: AdminRefusal }) {
  const titles: Record<AdminRefusal['error'], string> = {
    not_admin: 'Only administrators can set up single sign-on',
    admin_check_failed: 'Your admin rights could not be checked',
    bad_request: 'The request was refused',
    unauthorized: 'Not signed in',
  };
  const advice: Record<AdminRefusal['error'], string> = {
    not_admin: 'Ask a Jira or Confluence administrator of this site to open this page.',
    admin_check_failed: 'Reload the page in a moment. If it keeps happening, check the app’s logs.',
    bad_request: 'Reload the page and try again.',
    unauthorized: 'Reload the page and sign in again.',
  };
  return (
    <Shell>
      <div className="bridge-narrow">
        <SectionMessage appearance="error" title={titles[refusal.error]}>
          <p>{refusal.message}</p>
          <p>{advice[refusal.error]}</p>
        </SectionMessage>
      </div>
    </Shell>
  );
}
