import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import Button from '@atlaskit/button/new';
import Heading from '@atlaskit/heading';
import SectionMessage from '@atlaskit/section-message';
import Spinner from '@atlaskit/spinner';
import { Box, Inline, Stack, Text } from '@atlaskit/primitives';
import type { AdminRefusal, ConfigGetResponse, ConfigSaveRequest, ConnectionSummary, ConnectionTarget, OwnersResponse, WizardStep } from '../../../src/core/admin/admin-api-types.ts';
import { detectHost, getAdminToken, invokeResolver, RefusalError, setAdminToken, UnauthorizedError } from './api.ts';
import { TextInput } from './components/field.tsx';
import { PageNav } from './components/page-nav.tsx';
import { Shell } from './components/shell.tsx';
import { parseRoute, routeHash, type AdminPage, type Route } from './route.ts';
import { stepInfo } from './wizard-steps.ts';
import { targetOf, type LastTest, type StepProps, type WizardTarget } from './wizard-context.ts';
import { ActivityView } from './views/activity-view.tsx';
import { ConnectionsView } from './views/connections-view.tsx';
import { WizardPage } from './views/wizard-page.tsx';
import { OwnersNotice, OwnersView } from './views/owners-view.tsx';
import { TroubleshootView } from './views/troubleshoot-view.tsx';
import { ReadOnlyContext } from './access.ts';
import { LeaveDialog } from './components/leave-dialog.tsx';
import { UnsavedEditsContext, type UnsavedEdits } from './unsaved-edits.ts';

type Phase =
  | { name: 'token'; problem?: string }
  | { name: 'loading' }
  | { name: 'refused'; refusal: AdminRefusal }
  | { name: 'failed'; message: string }
  | { name: 'ready'; data: ConfigGetResponse };

export function App() {
  const host = detectHost();
  const [phase, setPhase] = useState<Phase>(() => (host === 'standalone' && !getAdminToken() ? { name: 'token' } : { name: 'loading' }));
  const [route, setRoute] = useState<Route>(() => parseRoute(window.location.hash));
  // Another connection or provider is loading; what shows is about to be replaced.
  const [switching, setSwitching] = useState(false);
  // Raised by a reload after a conflict, so the steps start over from the saved values.
  const [generation, setGeneration] = useState(0);
  const [notice, setNotice] = useState<string>();
  const [lastTest, setLastTest] = useState<LastTest | undefined>();
  // Who may change the settings; unknown (not loaded) reads as not an owner, as the server would refuse.
  const [owners, setOwners] = useState<OwnersResponse>();
  const routeRef = useRef(route);
  routeRef.current = route;
  const shownRef = useRef<ConfigGetResponse | undefined>(undefined);
  shownRef.current = phase.name === 'ready' ? phase.data : undefined;
  // The steps with edits not saved; leaving them (another step, page, provider, or the page itself) asks first.
  const unsavedRef = useRef(new Set<string>());
  const unsavedEdits = useMemo<UnsavedEdits>(
    () => ({ mark: (step, unsaved) => void (unsaved ? unsavedRef.current.add(step) : unsavedRef.current.delete(step)) }),
    [],
  );
  // Where the admin asked to go while a step held unsaved edits: the dialog asks whether to drop them.
  const [leaving, setLeaving] = useState<Route>();
  // The next hash is a place the admin went to, so it gets its own history entry and Back returns from it.
  const pushHashRef = useRef(false);

  const load = useCallback(async (target: ConnectionTarget) => {
    try {
      const data = await fetchConfig(target, setNotice);
      // After config/get: an admin it refuses sees the refusal page and nothing more is asked.
      setOwners(await invokeResolver('owners/get', {}).catch(() => undefined));
      setPhase({ name: 'ready', data });
      // The route names what is shown, so a reload comes back to it; a first visit starts where the setup stopped.
      setRoute((r) => ({ ...r, connectionId: data.connection.id, providerId: data.providerId, step: r.step ?? initialStep(data) }));
    } catch (error) {
      setPhase(phaseForError(error));
    } finally {
      setSwitching(false);
    }
  }, []);

  /** Goes to a page, step, connection or provider; loads the connection or provider when it is another. */
  const navigate = useCallback(
    (next: Route, how: { discard?: boolean; fromHistory?: boolean } = {}): boolean => {
      const current = routeRef.current;
      const moves =
        next.page !== current.page ||
        (next.step ?? current.step) !== current.step ||
        (next.connectionId ?? current.connectionId) !== current.connectionId ||
        (next.providerId ?? current.providerId) !== current.providerId;
      if (moves && unsavedRef.current.size > 0 && !how.discard) {
        setLeaving(next);
        // Back or Forward already moved the URL: put back the place still shown.
        if (how.fromHistory) history.pushState(null, '', hashOf(current, shownRef.current));
        return false;
      }
      if (how.discard) unsavedRef.current.clear();
      setLeaving(undefined);
      if (moves && !how.fromHistory) pushHashRef.current = true;
      routeRef.current = next;
      setRoute(next);
      const shown = shownRef.current;
      if (!shown) return true;
      if ((next.connectionId && next.connectionId !== shown.connection.id) || (next.providerId && next.providerId !== shown.providerId)) {
        setSwitching(true);
        void load({ connectionId: next.connectionId, providerId: next.providerId });
      }
      return true;
    },
    [load],
  );

  useEffect(() => {
    if (phase.name === 'loading') void load({ connectionId: routeRef.current.connectionId, providerId: routeRef.current.providerId });
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
    if (phase.name !== 'ready') return;
    const hash = hashOf(route, phase.data);
    const push = pushHashRef.current;
    pushHashRef.current = false;
    if (window.location.hash !== hash) {
      // A step or page the admin chose is a history entry (Back returns to the step before); the
      // place a load settles on (first visit, ids filled in) replaces the one in the URL.
      if (push) history.pushState(null, '', hash);
      else history.replaceState(null, '', hash);
    }
    document.title = `${pageTitle(route)} · OIDC SSO for Atlassian Guard`;
  }, [route, phase]);

  useEffect(() => {
    const onHash = () => {
      const parsed = parseRoute(window.location.hash);
      const current = routeRef.current;
      // A hash without ids (typed by hand, or the first release's) keeps what is shown.
      navigate(
        {
          ...parsed,
          step: parsed.step ?? current.step,
          connectionId: parsed.connectionId ?? current.connectionId,
          providerId: parsed.connectionId ? parsed.providerId : (parsed.providerId ?? current.providerId),
        },
        { fromHistory: true },
      );
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, [navigate]);

  // A reload or closing the tab drops the drafts too: the browser asks (it words the question itself).
  useEffect(() => {
    const onBeforeUnload = (event: BeforeUnloadEvent) => {
      if (unsavedRef.current.size === 0) return;
      event.preventDefault();
      event.returnValue = '';
    };
    window.addEventListener('beforeunload', onBeforeUnload);
    return () => window.removeEventListener('beforeunload', onBeforeUnload);
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
  const target = targetOf(data);
  const step = route.step ?? 'overview';
  const update = (change: (data: ConfigGetResponse) => ConfigGetResponse) => setPhase((p) => (p.name === 'ready' ? { name: 'ready', data: change(p.data) } : p));
  const goTo = (next: WizardStep) => {
    if (navigate({ ...routeRef.current, page: 'wizard', step: next })) window.scrollTo?.({ top: 0 });
  };
  const reload = async () => {
    await load(target);
    setGeneration((g) => g + 1);
  };

  /** After a change to the connections: the list as the bridge has it now, and which provider to show. */
  const onConnectionsChanged = (connections: ConnectionSummary[], selectProvider?: string) => {
    const current = connections.find((c) => c.id === data.connection.id);
    update((d) => ({ ...d, connections, ...(current ? { connection: current } : {}) }));
    if (!current) {
      // The connection on show was deleted: show the first one, where its setup stopped.
      setRoute((r) => ({ ...r, step: undefined }));
      setSwitching(true);
      void load({});
    } else if (selectProvider && selectProvider !== data.providerId) {
      navigate({ ...routeRef.current, connectionId: current.id, providerId: selectProvider });
    }
  };

  const props: StepProps = {
    data,
    host,
    target,
    goTo,
    // A test of another provider says nothing about this one.
    lastTest: lastTest && (!lastTest.target || sameTarget(lastTest.target, target)) ? lastTest : undefined,
    setLastTest: (test) => setLastTest(test && { ...test, target: test.target ?? target }),
    refresh: () => load(target),
    reload,
    update,
    save: async (request: ConfigSaveRequest) => {
      try {
        const response = await invokeResolver('config/save', { ...target, expectedRevision: data.connection.revision, ...request });
        if (response.ok) {
          // The new revision at once: a second save before the reload below must not read as a conflict.
          update((d) => ({ ...d, status: response.status, connection: response.connection, connections: replaceConnection(d.connections, response.connection) }));
          await load(target);
        }
        return response;
      } catch (error) {
        const next = phaseForError(error);
        if (next.name !== 'failed') setPhase(next);
        throw error;
      }
    },
  };

  const readOnly = !owners || (!owners.youAreOwner && !owners.unclaimed);

  const openPage = (page: AdminPage) => {
    // The list and the names in the activity come from config/get: another admin may have changed them.
    if (navigate({ ...routeRef.current, page }) && page !== 'wizard') void load(target);
  };

  return (
    <UnsavedEditsContext.Provider value={unsavedEdits}>
    <Shell
      status={data.status.live ? 'live' : data.status.configured ? 'configured' : 'unconfigured'}
      nav={<PageNav current={route.page} onSelect={openPage} />}
      onSignOut={
        host === 'standalone'
          ? () => {
              setAdminToken(undefined);
              setPhase({ name: 'token' });
            }
          : undefined
      }
    >
      {leaving ? (
        <LeaveDialog
          onStay={() => setLeaving(undefined)}
          onLeave={() => {
            const next = leaving;
            if (navigate(next, { discard: true }) && next.page !== 'wizard') void load(target);
          }}
        />
      ) : null}
      <Stack space="space.200">
        {notice ? (
          <SectionMessage
            appearance="warning"
            title="Showing another connection"
            actions={[
              <Button key="dismiss" appearance="subtle" onClick={() => setNotice(undefined)}>
                Dismiss
              </Button>,
            ]}
          >
            <p>{notice}</p>
          </SectionMessage>
        ) : null}
        <OwnersNotice owners={owners} onChanged={setOwners} onOpenOwners={() => openPage('owners')} />
        {route.page === 'owners' ? (
          <OwnersView host={host} owners={owners} onChanged={setOwners} />
        ) : route.page === 'connections' ? (
          <ReadOnlyContext.Provider value={readOnly}>
          <ConnectionsView
            data={data}
            onOpen={(connectionId) =>
              navigate({ page: 'wizard', step: connectionId === data.connection.id ? route.step : undefined, connectionId, providerId: undefined })
            }
            onChanged={onConnectionsChanged}
            onReload={reload}
          />
          </ReadOnlyContext.Provider>
        ) : route.page === 'activity' ? (
          <ActivityView connections={data.connections} />
        ) : route.page === 'troubleshoot' ? (
          <TroubleshootView target={target} connectionName={data.connection.name} />
        ) : (
          <ReadOnlyContext.Provider value={readOnly}>
          <WizardPage
            step={step}
            wizard={props}
            generation={generation}
            busy={switching}
            onSelectProvider={(providerId) => navigate({ ...routeRef.current, connectionId: data.connection.id, providerId })}
            onConnectionsChanged={onConnectionsChanged}
            onOpenConnections={() => openPage('connections')}
          />
          </ReadOnlyContext.Provider>
        )}
      </Stack>
    </Shell>
    </UnsavedEditsContext.Provider>
  );
}

/** The URL hash of a place. One connection of one provider keeps the first release's `#<step>`. */
function hashOf(route: Route, shown: ConfigGetResponse | undefined): string {
  const withTarget = shown ? shown.connections.length > 1 || shown.connection.providers.length > 1 : false;
  return routeHash(route, withTarget);
}

/**
 * `config/get` of a connection and provider. One that no longer exists (a reload or a link
 * after someone deleted it) opens the first connection instead, and says so.
 */
async function fetchConfig(target: ConnectionTarget, onFallback: (message: string) => void): Promise<ConfigGetResponse> {
  try {
    return await invokeResolver('config/get', target);
  } catch (error) {
    const stale = error instanceof RefusalError && error.refusal.error === 'bad_request' && (target.connectionId || target.providerId);
    if (!stale) throw error;
    const data = await invokeResolver('config/get', {});
    onFallback(`The connection or provider this page was showing does not exist any more, so it shows “${data.connection.name}”.`);
    return data;
  }
}

function sameTarget(a: WizardTarget, b: WizardTarget): boolean {
  return a.connectionId === b.connectionId && a.providerId === b.providerId;
}

function replaceConnection(connections: ConnectionSummary[], changed: ConnectionSummary): ConnectionSummary[] {
  return connections.some((c) => c.id === changed.id) ? connections.map((c) => (c.id === changed.id ? changed : c)) : [...connections, changed];
}

function pageTitle(route: Route): string {
  if (route.page === 'connections') return 'Connections';
  if (route.page === 'activity') return 'Sign-in activity';
  if (route.page === 'owners') return 'SSO owners';
  if (route.page === 'troubleshoot') return 'Troubleshoot a sign-in error';
  return stepInfo(route.step ?? 'overview').title;
}

function initialStep(data: ConfigGetResponse): WizardStep {
  // A first visit starts at the overview; a returning admin goes on where the setup stopped.
  if (data.status.live || data.status.completedSteps.length === 0) return 'overview';
  return data.status.nextStep ?? 'overview';
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
    owner_required: 'Only an SSO owner can change this',
  };
  const advice: Record<AdminRefusal['error'], string> = {
    not_admin: 'Ask a Jira or Confluence administrator of this site to open this page.',
    admin_check_failed: 'Reload the page in a moment. If it keeps happening, check the app’s logs.',
    bad_request: 'Reload the page and try again.',
    unauthorized: 'Reload the page and sign in again.',
    owner_required: 'Reload the page: it shows the settings read-only, with the owners and how to request ownership.',
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
