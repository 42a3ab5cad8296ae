import { useId, useState } from 'react';
import Button from '@atlaskit/button/new';
import Heading from '@atlaskit/heading';
import Lozenge from '@atlaskit/lozenge';
import { Inline, Stack } from '@atlaskit/primitives';
import type { ConnectionSummary } from '../../../../src/core/admin/admin-api-types.ts';
import { invokeResolver } from '../api.ts';
import { ChangeProblem } from '../components/change-problem.tsx';
import { ConfirmDelete } from '../components/confirm-delete.tsx';
import { CopyButton } from '../components/copy-button.tsx';
import { NameForm } from '../components/name-form.tsx';
import { ProviderHealthSection } from '../components/provider-health.tsx';
import { ReadyLozenge } from '../components/ready-lozenge.tsx';
import { useConnectionChange } from '../components/use-connection-change.ts';
import { useReadOnly } from '../access.ts';

type Mode = 'idle' | 'rename' | 'delete';

/** One connection in the list: what Guard knows it by, its providers and domains, and what can be done with it. */
export function ConnectionCard(props: {
  connection: ConnectionSummary;
  /** The connection the wizard shows. */
  selected: boolean;
  /** Nothing is stored yet: the wizard's first save creates this connection, so it cannot be renamed or deleted. */
  unsaved?: boolean;
  onOpen: () => void;
  onChanged: (connections: ConnectionSummary[]) => void;
  onReload: () => Promise<void>;
}) {
  const { connection } = props;
  const headingId = useId();
  const readOnly = useReadOnly();
  const [mode, setMode] = useState<Mode>('idle');
  const change = useConnectionChange();
  const open = (next: Mode) => {
    change.clear();
    setMode(next);
  };

  async function rename(name: string) {
    const done = await change.run(() => invokeResolver('connections/save', { connectionId: connection.id, name, expectedRevision: connection.revision }));
    if (!done) return;
    setMode('idle');
    props.onChanged(done.connections);
  }

  async function remove() {
    const done = await change.run(() => invokeResolver('connections/delete', { connectionId: connection.id, expectedRevision: connection.revision }));
    if (done) props.onChanged(done.connections);
  }

  return (
    <section className="bridge-card" aria-labelledby={headingId}>
      <Stack space="space.150">
        <Inline space="space.100" alignBlock="center" shouldWrap>
          <Heading size="small" as="h3" id={headingId}>
            {connection.name}
          </Heading>
          <ReadyLozenge ready={connection.ready} />
          {props.selected ? <Lozenge appearance="inprogress">In the wizard</Lozenge> : null}
          {props.unsaved ? <Lozenge appearance="new">Not saved yet</Lozenge> : null}
        </Inline>
        <table className="bridge-table">
          <tbody>
            <tr>
              <th scope="row">SP Entity ID (from Guard)</th>
              <td>{connection.spEntityId ? <code>{connection.spEntityId}</code> : 'Not set'}</td>
            </tr>
            <tr>
              <th scope="row">IdP metadata URL</th>
              <td>
                <Inline space="space.100" alignBlock="center" shouldWrap>
                  <code className="bridge-break">{connection.metadataUrl}</code>
                  <CopyButton text={connection.metadataUrl} what={`metadata URL of ${connection.name}`} />
                </Inline>
              </td>
            </tr>
            <tr>
              <th scope="row">Providers</th>
              <td>
                <ul className="bridge-list" aria-label={`Providers of ${connection.name}`}>
                  {connection.providers.map((p) => (
                    <li key={p.id}>
                      <strong>{p.name}</strong>: {p.domains.length ? p.domains.join(', ') : 'no allowed domains yet'}
                    </li>
                  ))}
                </ul>
              </td>
            </tr>
          </tbody>
        </table>
        {props.unsaved ? null : <ProviderHealthSection connectionId={connection.id} connectionName={connection.name} />}
        {mode === 'idle' ? (
          <Inline space="space.100" shouldWrap>
            <Button appearance="primary" onClick={props.onOpen}>
              Open in the wizard
            </Button>
            {props.unsaved || readOnly ? null : (
              <>
                <Button appearance="subtle" onClick={() => open('rename')}>
                  Rename
                </Button>
                <Button appearance="subtle" onClick={() => open('delete')}>
                  Delete
                </Button>
              </>
            )}
          </Inline>
        ) : null}
        {mode === 'rename' ? (
          <NameForm
            label="Connection name"
            initial={connection.name}
            submitLabel="Save name"
            busy={change.state.busy}
            onSubmit={(name) => void rename(name)}
            onCancel={() => open('idle')}
            autoFocus
          />
        ) : null}
        {mode === 'delete' ? (
          <ConfirmDelete
            title={`Delete connection “${connection.name}”?`}
            confirmLabel="Delete connection"
            typeToConfirm={connection.name}
            busy={change.state.busy}
            onConfirm={() => void remove()}
            onCancel={() => open('idle')}
          >
            <p>
              Sign-ins through this connection stop at once: the identity provider entry in Atlassian Guard that uses it
              {connection.spEntityId ? (
                <>
                  {' '}
                  (<code className="bridge-break">{connection.spEntityId}</code>)
                </>
              ) : null}{' '}
              can no longer sign anyone in. Its signing key, client secrets and setup progress are deleted. This cannot be undone.
            </p>
          </ConfirmDelete>
        ) : null}
        <ChangeProblem state={change.state} onReload={props.onReload} />
      </Stack>
    </section>
  );
}
