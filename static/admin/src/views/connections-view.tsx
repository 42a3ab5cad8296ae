import { useState } from 'react';
import Heading from '@atlaskit/heading';
import SectionMessage from '@atlaskit/section-message';
import { Stack, Text } from '@atlaskit/primitives';
import type { ConfigGetResponse, ConnectionSummary } from '../../../../src/core/admin/admin-api-types.ts';
import { invokeResolver } from '../api.ts';
import { ChangeProblem } from '../components/change-problem.tsx';
import { NameForm } from '../components/name-form.tsx';
import { useConnectionChange } from '../components/use-connection-change.ts';
import { ConnectionCard } from './connection-card.tsx';
import { useReadOnly } from '../access.ts';
import { BackupSection } from './backup-section.tsx';

/**
 * Every connection of this installation, one per identity provider entry in Atlassian Guard
 * (for example one per Atlassian organization, or a sandbox beside production).
 */
export function ConnectionsView(props: {
  data: ConfigGetResponse;
  onOpen: (connectionId: string) => void;
  onChanged: (connections: ConnectionSummary[]) => void;
  onReload: () => Promise<void>;
}) {
  const { connections, connection: shown } = props.data;
  // An installation that has saved nothing yet lists the connection its first save creates.
  const listed = connections.length ? connections : [shown];
  const change = useConnectionChange();
  const readOnly = useReadOnly();
  const [added, setAdded] = useState<ConnectionSummary>();
  // Remounted after each addition, so the name field is empty again.
  const [formKey, setFormKey] = useState(0);

  async function add(name: string) {
    setAdded(undefined);
    const done = await change.run(() => invokeResolver('connections/save', { name }));
    if (!done) return;
    setAdded(done.connection);
    setFormKey((k) => k + 1);
    props.onChanged(done.connections);
  }

  return (
    <main className="bridge-main" aria-labelledby="connections-heading">
      <Stack space="space.300">
        <Stack space="space.100">
          <Heading size="large" as="h2" id="connections-heading">
            Connections
          </Heading>
          <Text as="p">
            Each connection is one identity provider entry in Atlassian Guard, with its own SP Entity ID, signing key and IdP metadata
            URL. Each has one or more OpenID providers; with several, the sign-in page asks for the email address and sends the user to
            the provider of its domain.
          </Text>
        </Stack>
        {listed.map((c) => (
          <ConnectionCard
            key={c.id}
            connection={c}
            selected={c.id === shown.id}
            unsaved={!connections.length}
            onOpen={() => props.onOpen(c.id)}
            onChanged={props.onChanged}
            onReload={props.onReload}
          />
        ))}
        {readOnly ? null : (
        <section className="bridge-card" aria-labelledby="add-connection-heading">
          <Stack space="space.150">
            <Heading size="small" as="h3" id="add-connection-heading">
              Add a connection
            </Heading>
            {added ? (
              <SectionMessage appearance="success" title={`Added “${added.name}”`}>
                <p>Open it in the wizard to set it up: it needs its own values from Atlassian Guard and a provider.</p>
              </SectionMessage>
            ) : null}
            <NameForm
              key={formKey}
              label="New connection name"
              submitLabel="Add connection"
              helper="For example the Atlassian organization it signs in to: “Sandbox”."
              busy={change.state.busy}
              onSubmit={(name) => void add(name)}
            />
            <ChangeProblem state={change.state} onReload={props.onReload} />
          </Stack>
        </section>
        )}
        <BackupSection connections={connections} onChanged={props.onChanged} onReload={props.onReload} />
      </Stack>
    </main>
  );
}
