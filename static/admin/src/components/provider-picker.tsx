import { useState } from 'react';
import Button from '@atlaskit/button/new';
import { Inline, Stack, Text } from '@atlaskit/primitives';
import type { ConfigGetResponse, ConnectionSummary, WizardStep } from '../../../../src/core/admin/admin-api-types.ts';
import { invokeResolver } from '../api.ts';
import { ChangeProblem } from './change-problem.tsx';
import { ConfirmDelete } from './confirm-delete.tsx';
import { NameForm } from './name-form.tsx';
import { SelectField } from './select-field.tsx';
import { useConnectionChange } from './use-connection-change.ts';
import { useReadOnly } from '../access.ts';

/** What on this step belongs to the chosen provider, and what to the whole connection. */
const SCOPE: Partial<Record<WizardStep, string>> = {
  provider: 'The issuer, client ID and secret below are this provider’s.',
  test: 'The test signs in through this provider.',
  users: 'The allowed email domains are this provider’s; the claims to send apply to every provider of the connection.',
};

type Mode = { name: 'idle' } | { name: 'add' } | { name: 'rename' } | { name: 'remove' };

/**
 * The provider of the connection that the provider steps edit: pick one, add one, rename or
 * remove it. With several providers the sign-in page asks for the email address and sends the
 * user to the provider of its domain, so each needs its own allowed domains.
 */
export function ProviderPicker(props: {
  data: ConfigGetResponse;
  step: WizardStep;
  onSelect: (providerId: string) => void;
  /** After a change: the connections as the bridge now has them, and the provider to show. */
  onChanged: (connections: ConnectionSummary[], select?: string) => void;
  onReload: () => Promise<void>;
}) {
  const readOnly = useReadOnly();
  const { connection, providerId } = props.data;
  const provider = connection.providers.find((p) => p.id === providerId) ?? connection.providers[0]!;
  const [mode, setMode] = useState<Mode>({ name: 'idle' });
  const change = useConnectionChange();
  const open = (next: Mode) => {
    change.clear();
    setMode(next);
  };

  async function add(name: string) {
    const done = await change.run(() => invokeResolver('providers/save', { connectionId: connection.id, name, expectedRevision: connection.revision }));
    if (!done) return;
    setMode({ name: 'idle' });
    props.onChanged(done.connections, done.providerId);
  }

  async function rename(name: string) {
    const done = await change.run(() =>
      invokeResolver('providers/save', { connectionId: connection.id, providerId: provider.id, name, expectedRevision: connection.revision }),
    );
    if (!done) return;
    setMode({ name: 'idle' });
    props.onChanged(done.connections);
  }

  async function remove() {
    const done = await change.run(() =>
      invokeResolver('providers/delete', { connectionId: connection.id, providerId: provider.id, expectedRevision: connection.revision }),
    );
    // Refused or not, the question is answered; a refusal shows below.
    setMode({ name: 'idle' });
    if (!done) return;
    const remaining = done.connections.find((c) => c.id === connection.id)?.providers[0]?.id;
    props.onChanged(done.connections, remaining);
  }

  return (
    <section className="bridge-picker" aria-label="Provider of the connection">
      <Stack space="space.150">
        {connection.providers.length > 1 ? (
          <SelectField
            choosesView
            label="Provider"
            value={provider.id}
            choices={connection.providers.map((p) => ({ value: p.id, label: `${p.name} (${p.domains.length ? p.domains.join(', ') : 'no domains yet'})` }))}
            onChange={(id) => {
              if (id !== provider.id) props.onSelect(id);
            }}
            helper={`${SCOPE[props.step] ?? ''} The sign-in page asks for the email address and sends each user to the provider of its domain.`}
          />
        ) : (
          <Text as="p">
            Provider: <strong>{provider.name}</strong>. {SCOPE[props.step]} Add a provider when some users sign in through another OpenID
            provider (for example a subsidiary’s).
          </Text>
        )}
        {mode.name === 'idle' && !readOnly ? (
          <Inline space="space.100" shouldWrap>
            <Button spacing="compact" onClick={() => open({ name: 'add' })}>
              Add provider
            </Button>
            <Button spacing="compact" appearance="subtle" onClick={() => open({ name: 'rename' })}>
              Rename provider
            </Button>
            <Button spacing="compact" appearance="subtle" onClick={() => open({ name: 'remove' })}>
              Remove provider
            </Button>
          </Inline>
        ) : null}
        {mode.name === 'add' ? (
          <NameForm
            label="New provider name"
            submitLabel="Add provider"
            helper="For example the company or directory it signs in: “Subsidiary (Entra ID)”. Users see it on the sign-in page."
            busy={change.state.busy}
            onSubmit={(name) => void add(name)}
            onCancel={() => open({ name: 'idle' })}
            autoFocus
          />
        ) : null}
        {mode.name === 'rename' ? (
          <NameForm
            label="Provider name"
            initial={provider.name}
            submitLabel="Save name"
            busy={change.state.busy}
            onSubmit={(name) => void rename(name)}
            onCancel={() => open({ name: 'idle' })}
            autoFocus
          />
        ) : null}
        {mode.name === 'remove' ? (
          <ConfirmDelete
            title={`Remove provider “${provider.name}”?`}
            confirmLabel="Remove provider"
            busy={change.state.busy}
            onConfirm={() => void remove()}
            onCancel={() => open({ name: 'idle' })}
          >
            <p>
              Users of {provider.domains.length ? provider.domains.join(', ') : 'its domains'} can no longer sign in through this connection.
              Its client secret is deleted; this cannot be undone.
            </p>
          </ConfirmDelete>
        ) : null}
        <ChangeProblem state={change.state} onReload={props.onReload} />
      </Stack>
    </section>
  );
}
