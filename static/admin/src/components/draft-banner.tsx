import { useId, useState } from 'react';
import Button from '@atlaskit/button/new';
import SectionMessage from '@atlaskit/section-message';
import Textfield from '@atlaskit/textfield';
import { Inline, Stack } from '@atlaskit/primitives';
import { APPLY_UNTESTED_CONFIRMATION, type DraftApplyResponse, type DraftDiscardResponse } from '../../../../src/core/admin/admin-api-types.ts';
import { invokeResolver } from '../api.ts';
import { useReadOnly } from '../access.ts';
import type { StepProps } from '../wizard-context.ts';
import { fieldName } from './problems.tsx';

/** `providers.<id>.oidc.clientId` → the wizard's label of `oidc.clientId`, with the provider's name when there are several. */
function draftFieldName(path: string, props: StepProps): string {
  const match = /^providers\.([^.]+)\.(.+)$/.exec(path);
  if (!match) return fieldName(path);
  const [, providerId, inner] = match;
  const providers = props.data.connection.providers;
  const name = fieldName(inner!);
  return providers.length > 1 ? `${name} (${providers.find((p) => p.id === providerId)?.name ?? providerId})` : name;
}

/**
 * Above every step while the connection has a draft: users still sign in with the applied
 * settings; which fields the draft changes (names, never values); whether its test passed; and
 * Apply (offered only after a passing test of this draft, otherwise after typing APPLY UNTESTED)
 * and Discard. Without a draft, on a connection users sign in with, it says that a save makes one.
 */
export function DraftBanner(props: StepProps) {
  const { status } = props.data;
  const readOnly = useReadOnly();
  const [typed, setTyped] = useState('');
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string>();
  const confirmId = useId();
  const draft = status.draft;
  if (!draft) {
    if (!status.editsGoToDraft) return null;
    return (
      <SectionMessage appearance="information" title="Changes are saved as a draft">
        <p>
          Users sign in with this connection. A change you save here becomes a draft: users keep the applied settings until the draft
          passes the connection test and you apply it.
        </p>
      </SectionMessage>
    );
  }

  const run = async (call: () => Promise<DraftApplyResponse | DraftDiscardResponse>) => {
    setBusy(true);
    setFailure(undefined);
    try {
      const answer = await call();
      if (answer.ok) {
        setTyped('');
        await props.reload();
      } else {
        setFailure(answer.message + ('problems' in answer && answer.problems?.length ? ` (${answer.problems.map((p) => fieldName(p.path)).join(', ')})` : ''));
      }
    } catch (error) {
      setFailure(error instanceof Error ? error.message : 'The request failed. Try again.');
    } finally {
      setBusy(false);
    }
  };
  const apply = (confirmUntested?: string) => run(() => invokeResolver('draft/apply', { ...props.target, ...(confirmUntested ? { confirmUntested } : {}) }));
  const discard = () => run(() => invokeResolver('draft/discard', { ...props.target }));
  const fields = [...new Set(draft.fields.map((path) => draftFieldName(path, props)))];
  const confirmed = typed.trim() === APPLY_UNTESTED_CONFIRMATION;

  return (
    <section aria-label="Draft" className="bridge-draft">
      <SectionMessage appearance="warning" title="Draft not applied: users still sign in with the applied settings">
        <Stack space="space.150">
          <p>
            The draft changes: <strong>{fields.join(', ')}</strong>.
          </p>
          {draft.stale ? (
            <p>The applied connection changed since this draft was started. Discard the draft and make the change again.</p>
          ) : draft.testPassed ? (
            <p>The draft passed the connection test. Apply it to make it the settings users get.</p>
          ) : (
            <p>
              The draft has not passed the connection test yet. Run the test (step 4) against the draft; Apply is offered once it passes.
            </p>
          )}
          {failure ? (
            <p role="alert">
              <strong>Not done:</strong> {failure}
            </p>
          ) : null}
          {readOnly ? null : (
            <Stack space="space.100">
              <Inline space="space.100" shouldWrap>
                {draft.testPassed && !draft.stale ? (
                  <Button appearance="primary" isDisabled={busy} onClick={() => void apply()}>
                    Apply draft
                  </Button>
                ) : null}
                <Button appearance="subtle" isDisabled={busy} onClick={() => void discard()}>
                  Discard draft
                </Button>
              </Inline>
              {!draft.testPassed && !draft.stale ? (
                <Stack space="space.050">
                  <label htmlFor={`${confirmId}-confirm`}>Type {APPLY_UNTESTED_CONFIRMATION} to apply the draft without a passing test</label>
                  <Inline space="space.100" alignBlock="center" shouldWrap>
                    <Textfield id={`${confirmId}-confirm`} value={typed} autoComplete="off" width="medium" onChange={(e) => setTyped((e.target as HTMLInputElement).value)} />
                    <Button appearance="warning" isDisabled={busy || !confirmed} onClick={() => void apply(typed)}>
                      Apply untested draft
                    </Button>
                  </Inline>
                </Stack>
              ) : null}
            </Stack>
          )}
        </Stack>
      </SectionMessage>
    </section>
  );
}
