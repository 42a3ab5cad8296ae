import { useEffect, useRef, useState } from 'react';
import Button from '@atlaskit/button/new';
import Lozenge from '@atlaskit/lozenge';
import SectionMessage from '@atlaskit/section-message';
import Spinner from '@atlaskit/spinner';
import { Inline, Stack, Text } from '@atlaskit/primitives';
import type { StepProps } from '../wizard-context.ts';
import { invokeResolver, openInNewTab, RefusalError } from '../api.ts';
import type { AdminRefusal } from '../../../../src/core/admin/admin-api-types.ts';
import { TestResultView } from '../components/test-result-view.tsx';
import { ContinueButton } from '../components/continue-button.tsx';
import { ErrorList, fieldName } from '../components/problems.tsx';
import { BrowserBindingNotice } from '../components/browser-binding-notice.tsx';

const POLL_MS = 2_000;
// A sign-in takes a minute or two; past this the provider has most likely shown an error in the
// other tab (a wrong client ID, a callback URL not registered exactly), which never reaches the bridge.
const POLL_LIMIT_MS = 3 * 60 * 1000;

/**
 * Step 4: a real sign-in with the provider in a new tab. The bridge keeps the outcome instead
 * of posting anything to Atlassian; this page polls for it.
 */
export function TestStep(props: StepProps) {
  const { status } = props.data;
  const [started, setStarted] = useState<{ testId: string; url: string; at: number }>();
  const [mountedAt] = useState(() => Date.now());
  const [busy, setBusy] = useState(false);
  const [checking, setChecking] = useState(false);
  const [failure, setFailure] = useState<string>();
  const [refusal, setRefusal] = useState<AdminRefusal>();
  const last = props.lastTest;
  // The test to wait for: the one started here, or one still pending when the admin left this
  // step or reloaded the page.
  const waitingFor = started?.testId ?? (last?.result.state === 'pending' ? last.testId : undefined);
  const pending = waitingFor !== undefined && (!last || last.testId !== waitingFor || last.result.state === 'pending');
  const providerMissing = status.missing.filter((path) => path.startsWith('oidc'));
  const refreshed = useRef<string | undefined>(undefined);
  // The test waited for longest: polling stopped, and the page says what to check instead.
  const [gaveUpOn, setGaveUpOn] = useState<string>();

  async function check(testId: string) {
    setChecking(true);
    try {
      const result = await invokeResolver('test/result', { testId });
      props.setLastTest({ testId, result });
      // The status (testPassed, completed steps) changes with the result: reload it once.
      if (result.state !== 'pending' && refreshed.current !== testId) {
        refreshed.current = testId;
        await props.refresh();
      }
      setFailure(undefined);
    } catch (error) {
      setFailure(error instanceof Error ? error.message : String(error));
    } finally {
      setChecking(false);
    }
  }

  useEffect(() => {
    if (!waitingFor || !pending) return;
    const since = started?.at ?? mountedAt;
    const timer = setInterval(() => {
      if (Date.now() - since > POLL_LIMIT_MS) {
        clearInterval(timer);
        setGaveUpOn(waitingFor);
        return;
      }
      void check(waitingFor);
    }, POLL_MS);
    return () => clearInterval(timer);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [waitingFor, pending]);

  async function start() {
    setBusy(true);
    setFailure(undefined);
    setRefusal(undefined);
    try {
      const { testId, startUrl } = await invokeResolver('test/start', props.target);
      props.setLastTest({ testId, result: { state: 'pending' } });
      setStarted({ testId, url: startUrl, at: Date.now() });
      await openInNewTab(startUrl);
    } catch (error) {
      if (error instanceof RefusalError) setRefusal(error.refusal);
      else setFailure(error instanceof Error ? error.message : String(error));
    } finally {
      setBusy(false);
    }
  }

  const shown = last && last.result.state !== 'pending' ? last.result : undefined;

  return (
    <Stack space="space.300">
      <Text as="p">
        Sign in with your provider as a user who should be able to use Atlassian. The sign-in opens in a new tab; this page then shows
        the claims the provider sent and the exact NameID and attributes the bridge would send to Atlassian. Nothing is posted to
        Atlassian. The test also checks that this host passes the bridge’s sign-in cookie back, which decides whether sign-ins are
        protected against login CSRF.
      </Text>
      {status.testPassed ? (
        <Inline space="space.100" alignBlock="center">
          <Lozenge appearance="success">Passed</Lozenge>
          <Text>A test login has succeeded with the current provider settings.</Text>
        </Inline>
      ) : null}
      {providerMissing.length ? (
        <SectionMessage
          appearance="warning"
          title="Finish the provider settings first"
          actions={[
            <Button key="provider" appearance="subtle" onClick={() => props.goTo('provider')}>
              Go to step 3
            </Button>,
          ]}
        >
          <p>Missing: {providerMissing.map(fieldName).join(', ')}.</p>
        </SectionMessage>
      ) : null}

      <Inline space="space.100">
        <Button appearance="primary" onClick={start} isLoading={busy}>
          Start test login
        </Button>
        {waitingFor ?? last ? (
          <Button onClick={() => check((waitingFor ?? last?.testId)!)} isLoading={checking}>
            Check result
          </Button>
        ) : null}
      </Inline>

      {pending && gaveUpOn === waitingFor ? (
        <SectionMessage appearance="warning" title="No sign-in result after three minutes">
          <Stack space="space.100">
            <Text>This page stopped checking. If the provider’s tab shows an error, the sign-in never came back to the bridge.</Text>
            <ProviderErrorAdvice callbackUrl={props.data.bridge.callbackUrl} />
            <Text>Fix the value at the provider or in step 3, then start the test login again, or press Check result.</Text>
          </Stack>
        </SectionMessage>
      ) : pending ? (
        <SectionMessage appearance="information" title="Waiting for the sign-in in the other tab">
          <Stack space="space.100">
            <Inline space="space.100" alignBlock="center">
              <Spinner size="small" label="Waiting" />
              <Text>This page checks every few seconds. Finish the sign-in, then come back here.</Text>
            </Inline>
            <Text>If the provider’s tab shows an error instead of a sign-in (such as invalid_client or a redirect URI mismatch):</Text>
            <ProviderErrorAdvice callbackUrl={props.data.bridge.callbackUrl} />
            {started?.url ? (
              <Text>
                No new tab? Your browser may have blocked it:{' '}
                <a href={started.url} target="_blank" rel="noopener noreferrer">
                  open the provider’s sign-in page
                </a>
                .
              </Text>
            ) : null}
          </Stack>
        </SectionMessage>
      ) : null}

      {refusal ? (
        <SectionMessage appearance="error" title="The test could not start">
          <p>{refusal.message}</p>
          {refusal.reference ? (
            <p>
              Reference: <code>{refusal.reference}</code>
              {refusal.code ? (
                <>
                  {' '}
                  (code <code>{refusal.code}</code>)
                </>
              ) : null}
            </p>
          ) : null}
        </SectionMessage>
      ) : null}
      {refusal?.problems?.length ? <ErrorList title="Complete these first" errors={refusal.problems} /> : null}
      {failure ? (
        <SectionMessage appearance="error" title="The test could not run">
          <p>{failure}</p>
        </SectionMessage>
      ) : null}

      {shown ? <TestResultView result={shown} goTo={props.goTo} /> : null}
      {shown || status.browserBinding.cookie !== 'not_measured' ? <BrowserBindingNotice binding={status.browserBinding} /> : null}

      {status.testPassed || shown?.state === 'succeeded' ? (
        <ContinueButton step="test" wizard={props} label="Continue" />
      ) : (
        <ContinueButton step="test" wizard={props} label="Skip for now" record={false} />
      )}
    </Stack>
  );
}

/** What to check when the provider shows an error in its tab: the bridge never hears of it. */
function ProviderErrorAdvice({ callbackUrl }: { callbackUrl: string }) {
  return (
    <ul>
      <li>The client ID in step 3 is the one of this app at the provider (an invalid_client error).</li>
      <li>
        The provider has this redirect URI registered exactly, with nothing added or left out: <code>{callbackUrl}</code>
      </li>
    </ul>
  );
}
