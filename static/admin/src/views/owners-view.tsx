import { useState } from 'react';
import Button from '@atlaskit/button/new';
import Heading from '@atlaskit/heading';
import SectionMessage from '@atlaskit/section-message';
import { Stack, Text } from '@atlaskit/primitives';
import type { OwnersResponse } from '../../../../src/core/admin/admin-api-types.ts';
import { invokeResolver, RefusalError, type Host } from '../api.ts';
import { NameForm } from '../components/name-form.tsx';

/** A time as every admin reads it the same way, whatever their browser's zone. */
export function utcTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function delayText(owners: OwnersResponse): string {
  return `${Math.round(owners.requestDelayMs / 3_600_000)} hours`;
}

/** What an owner change answered: the new owners, or the refusal's words. */
async function ownersChange(run: () => Promise<OwnersResponse>): Promise<{ owners?: OwnersResponse; problem?: string }> {
  try {
    return { owners: await run() };
  } catch (error) {
    return { problem: error instanceof RefusalError ? error.refusal.message : error instanceof Error ? error.message : String(error) };
  }
}

/**
 * On every admin page: a pending ownership request (with Cancel for owners), and for an admin
 * who is not an owner why the settings are read-only, who the owners are, and the way to ask.
 */
export function OwnersNotice(props: { owners: OwnersResponse | undefined; onChanged: (owners: OwnersResponse) => void; onOpenOwners: () => void }) {
  const { owners } = props;
  const [problem, setProblem] = useState<string>();
  const [busy, setBusy] = useState(false);
  if (!owners) return null;
  const act = async (run: () => Promise<OwnersResponse>) => {
    setBusy(true);
    const done = await ownersChange(run);
    setBusy(false);
    setProblem(done.problem);
    if (done.owners) props.onChanged(done.owners);
  };
  const request = owners.request;
  return (
    <Stack space="space.100">
      {request ? (
        <SectionMessage
          appearance="warning"
          title="Ownership requested"
          actions={
            owners.youAreOwner
              ? [
                  <Button key="cancel" appearance="warning" isLoading={busy} onClick={() => void act(() => invokeResolver('ownership/cancel', {}))}>
                    Cancel the request
                  </Button>,
                ]
              : []
          }
        >
          <p>
            <strong>{request.requester === owners.you ? 'You' : request.requester}</strong> requested SSO ownership on {utcTime(request.requestedAt)}. It takes
            effect on <strong>{utcTime(request.dueAt)}</strong> unless an owner cancels it; an owner can change who signs in to Atlassian, and as whom.
            {owners.youAreOwner ? ' If you do not know why, cancel it.' : ''}
          </p>
        </SectionMessage>
      ) : null}
      {!owners.youAreOwner && !owners.unclaimed ? (
        <SectionMessage
          appearance="information"
          title="Read-only: you are not an SSO owner"
          actions={[
            <Button key="owners" appearance="subtle" onClick={props.onOpenOwners}>
              Show the owners
            </Button>,
            ...(request
              ? []
              : [
                  <Button key="request" isLoading={busy} onClick={() => void act(() => invokeResolver('ownership/request', {}))}>
                    Request ownership
                  </Button>,
                ]),
          ]}
        >
          <p>
            Only SSO owners can change what decides who signs in ({owners.owners.map((o) => o.id).join(', ')}). You can look at every setting and run the
            connection test. To make changes, ask an owner to add you, or request ownership: every admin sees the request, and it takes effect after{' '}
            {delayText(owners)} unless an owner cancels it.
          </p>
        </SectionMessage>
      ) : null}
      {owners.unclaimed ? (
        <SectionMessage appearance="information" title="No SSO owner yet">
          <p>The first administrator to save a change becomes the SSO owner: from then on, only owners can change these settings.</p>
        </SectionMessage>
      ) : null}
      {problem ? (
        <SectionMessage appearance="error" title="Not done">
          <p>{problem}</p>
        </SectionMessage>
      ) : null}
    </Stack>
  );
}

/** The Owners page: who may change the settings, adding and removing owners, the pending request. */
export function OwnersView(props: { host: Host; owners: OwnersResponse | undefined; onChanged: (owners: OwnersResponse) => void }) {
  const { owners } = props;
  const [problem, setProblem] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [formKey, setFormKey] = useState(0);
  if (!owners) return <Text as="p">The owners could not be loaded. Reload the page.</Text>;
  const idLabel = props.host === 'forge' ? 'Atlassian account ID' : 'Admin token identity';
  const act = async (run: () => Promise<OwnersResponse>) => {
    setBusy(true);
    const done = await ownersChange(run);
    setBusy(false);
    setProblem(done.problem);
    if (done.owners) {
      props.onChanged(done.owners);
      setFormKey((k) => k + 1);
    }
  };
  return (
    <main aria-labelledby="owners-heading">
      <Stack space="space.200">
        <Heading size="large" as="h2" id="owners-heading">
          SSO owners
        </Heading>
        <Text as="p">
          Any product administrator can open this page, but whoever changes the provider, the values from Atlassian Guard, the allowed domains or the
          user mapping can sign in to Atlassian as anyone in those domains, organization admins included. So only SSO owners can change them; every
          other administrator sees them read-only and can run the connection test. Every change is listed under Sign-in activity, Configuration
          changes.
        </Text>
        {owners.unclaimed ? (
          <Text as="p">No one owns this installation yet: the first administrator to save a change becomes its owner.</Text>
        ) : (
          <table className="bridge-table" aria-label="Owners">
            <thead>
              <tr>
                <th scope="col">{idLabel}</th>
                <th scope="col">Owner since</th>
                <th scope="col">Added by</th>
                {owners.youAreOwner ? <th scope="col">Actions</th> : null}
              </tr>
            </thead>
            <tbody>
              {owners.owners.map((owner) => (
                <tr key={owner.id}>
                  <td>
                    <code>{owner.id}</code>
                    {owner.id === owners.you ? ' (you)' : ''}
                  </td>
                  <td>{utcTime(owner.addedAt)}</td>
                  <td>{owner.addedBy === 'ownership-request' ? 'Ownership request' : owner.addedBy}</td>
                  {owners.youAreOwner ? (
                    <td>
                      <Button
                        appearance="subtle"
                        spacing="compact"
                        isDisabled={owners.owners.length === 1 || busy}
                        aria-label={`Remove owner ${owner.id}`}
                        onClick={() => void act(() => invokeResolver('owners/remove', { id: owner.id }))}
                      >
                        Remove
                      </Button>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <Text as="p">
          Your identity: <code>{owners.you}</code>
          {owners.youAreOwner ? ' (an owner)' : ''}.
        </Text>
        {owners.youAreOwner ? (
          <section className="bridge-card" aria-labelledby="add-owner-heading">
            <Stack space="space.150">
              <Heading size="small" as="h3" id="add-owner-heading">
                Add an owner
              </Heading>
              <NameForm
                key={formKey}
                label={idLabel}
                submitLabel="Add owner"
                helper={
                  props.host === 'forge'
                    ? 'The account ID of another administrator (the last part of their profile URL in Atlassian). They must also be a Jira or Confluence admin to open this page.'
                    : 'The identity of another admin token (BRIDGE_ADMIN_TOKENS identity=token), or standalone-admin for the single token.'
                }
                busy={busy}
                onSubmit={(id) => void act(() => invokeResolver('owners/add', { id }))}
              />
            </Stack>
          </section>
        ) : null}
        {problem ? (
          <SectionMessage appearance="error" title="Not done">
            <p>{problem}</p>
          </SectionMessage>
        ) : null}
      </Stack>
    </main>
  );
}
