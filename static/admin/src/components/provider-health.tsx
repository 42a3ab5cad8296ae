import { useCallback, useEffect, useId, useState } from 'react';
import Button from '@atlaskit/button/new';
import Lozenge from '@atlaskit/lozenge';
import SectionMessage from '@atlaskit/section-message';
import Spinner from '@atlaskit/spinner';
import { Inline, Stack, Text } from '@atlaskit/primitives';
import { SECRET_EXPIRY_WARNING_DAYS, type HealthCheck, type ProviderHealth } from '../../../../src/core/admin/admin-api-types.ts';
import { invokeResolver } from '../api.ts';

/** A time from the answer (ISO 8601), in the admin's own clock and words. */
const when = (iso: string) => new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });

function CheckLine(props: { check: HealthCheck | undefined; ok: string }) {
  const { check } = props;
  if (!check) return <>Not checked yet.</>;
  if (check.status === 'ok') {
    return (
      <Inline space="space.100" alignBlock="center" shouldWrap>
        <Lozenge appearance="success">Reachable</Lozenge>
        <Text>{props.ok}</Text>
      </Inline>
    );
  }
  if (check.status === 'skipped') return <Text>{check.message}</Text>;
  return (
    <Stack space="space.050">
      <Inline space="space.100" alignBlock="center">
        <Lozenge appearance="removed">Failing</Lozenge>
        <code>{check.failure}</code>
      </Inline>
      <Text>{check.message}</Text>
    </Stack>
  );
}

function SecretExpiry({ secret }: { secret: ProviderHealth['clientSecret'] }) {
  if (!secret) return <>Not entered. Enter the date on the provider step to be warned before it expires.</>;
  const { expiresAt, daysLeft, state } = secret;
  if (state === 'ok') return <>{`${expiresAt} (${daysLeft} days left)`}</>;
  return (
    <SectionMessage appearance={state === 'expired' ? 'error' : 'warning'} title={state === 'expired' ? `The client secret expired on ${expiresAt}` : `The client secret expires in ${daysLeft} day${daysLeft === 1 ? '' : 's'} (${expiresAt})`}>
      <p>
        {state === 'expired'
          ? 'Logins through this provider fail until a new secret is in place. Create one at the provider, then paste it on the provider step and enter its expiry date.'
          : `Create a new secret at the provider before ${expiresAt}, paste it on the provider step and enter its new expiry date. This page warns from ${SECRET_EXPIRY_WARNING_DAYS} days before.`}
      </p>
    </SectionMessage>
  );
}

function ProviderHealthPanel({ health }: { health: ProviderHealth }) {
  const headingId = useId();
  const { jwks } = health;
  const noLogins = health.loginsSearched === 'none' ? 'This host keeps no audit trail.' : health.loginsSearched === 'recent' ? 'None among the newest records.' : 'None in the last 30 days.';
  return (
    <section className="bridge-health" aria-labelledby={headingId} data-provider={health.providerId}>
      <Stack space="space.100">
        <Text as="p" weight="bold" id={headingId}>
          Health of {health.providerName}
        </Text>
        {health.state === 'incomplete' ? <Text as="p">No issuer saved yet: set the provider up in the wizard first.</Text> : null}
        {health.state === 'rate_limited' ? (
          <Text as="p">
            Not checked again just now, to spare the provider{health.checkedAt ? `; the result of ${when(health.checkedAt)} is shown` : ''}. Press Check again in a minute.
          </Text>
        ) : null}
        <dl className="bridge-definitions">
          <dt>Discovery document</dt>
          <dd data-check="discovery">
            <CheckLine check={health.discovery} ok="It names the configured issuer." />
          </dd>
          <dt>Signing keys (JWKS)</dt>
          <dd data-check="jwks">
            <CheckLine check={jwks} ok={jwks?.keys !== undefined ? `${jwks.keys} key${jwks.keys === 1 ? '' : 's'}, usable for ${jwks.algorithms?.join(', ')}.` : ''} />
          </dd>
          <dt>Last successful sign-in</dt>
          <dd data-check="last-success">{health.lastSuccess ? `${when(health.lastSuccess.time)} (${health.lastSuccess.reference})` : noLogins}</dd>
          <dt>Last refused sign-in</dt>
          <dd data-check="last-failure">
            {health.lastFailure ? (
              <>
                {when(health.lastFailure.time)}: {health.lastFailure.codeTitle ?? 'refused'} {health.lastFailure.code ? <code>{health.lastFailure.code}</code> : null} (reference{' '}
                <code>{health.lastFailure.reference}</code>)
              </>
            ) : (
              noLogins
            )}
          </dd>
          <dt>Client secret expires</dt>
          <dd data-check="client-secret">
            <SecretExpiry secret={health.clientSecret} />
          </dd>
          {health.checkedAt ? (
            <>
              <dt>Checked</dt>
              <dd>{when(health.checkedAt)}</dd>
            </>
          ) : null}
        </dl>
      </Stack>
    </section>
  );
}

/**
 * The health of each provider of one connection (`providers/health`): whether the discovery
 * document and signing keys the login needs can be read, the last sign-in and refusal, and the
 * client secret's expiry. Read when the card shows; "Check again" reads the providers anew (the
 * server answers from its cache while the last check is seconds old).
 */
export function ProviderHealthSection(props: { connectionId: string; connectionName: string }) {
  const [state, setState] = useState<{ busy: boolean; providers?: ProviderHealth[]; error?: string }>({ busy: true });
  const load = useCallback(
    async (recheck: boolean) => {
      setState((s) => ({ ...s, busy: true, error: undefined }));
      try {
        const answer = await invokeResolver('providers/health', { connectionId: props.connectionId, ...(recheck ? { recheck } : {}) });
        setState({ busy: false, providers: answer.providers });
      } catch (error) {
        setState((s) => ({ ...s, busy: false, error: error instanceof Error ? error.message : 'Try again.' }));
      }
    },
    [props.connectionId],
  );
  useEffect(() => {
    void load(false);
  }, [load]);

  return (
    <section aria-label={`Provider health of ${props.connectionName}`}>
      <Stack space="space.150">
        <Inline space="space.100" alignBlock="center">
          <Text as="p" weight="bold">
            Provider health
          </Text>
          <Button appearance="subtle" isLoading={state.busy} isDisabled={state.busy} onClick={() => void load(true)}>
            Check again
          </Button>
        </Inline>
        {state.busy && !state.providers ? (
          <Inline space="space.100" alignBlock="center">
            <Spinner size="small" label="Checking the providers" />
            <Text>Checking the providers…</Text>
          </Inline>
        ) : null}
        {state.error ? (
          <SectionMessage appearance="error" title="The health check failed">
            <p>{state.error}</p>
          </SectionMessage>
        ) : null}
        {state.providers?.map((health) => <ProviderHealthPanel key={health.providerId} health={health} />)}
      </Stack>
    </section>
  );
}
