import { useState } from 'react';
import Button from '@atlaskit/button/new';
import SectionMessage from '@atlaskit/section-message';
import { Stack } from '@atlaskit/primitives';
import type { WizardStep } from '../../../../src/core/admin/admin-api-types.ts';
import type { StepProps } from '../wizard-context.ts';
import { nextStepAfter } from '../wizard-steps.ts';
import { useReadOnly } from '../access.ts';

/** For steps without inputs: records the step as done (resumable progress) and moves on. */
export function ContinueButton(props: { step: WizardStep; wizard: StepProps; label?: string; record?: boolean; to?: WizardStep }) {
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string>();
  const next = props.to ?? nextStepAfter(props.step);
  // Not an owner: progress is an owner's to record; the button only moves on.
  const readOnly = useReadOnly();
  const record = props.record !== false && !readOnly;
  return (
    <Stack space="space.100">
      {failure ? (
        <SectionMessage appearance="error" title="Progress not saved">
          <p>{failure}</p>
        </SectionMessage>
      ) : null}
      <div>
        <Button
          appearance="primary"
          isLoading={busy}
          onClick={async () => {
            setBusy(true);
            setFailure(undefined);
            try {
              if (!record) {
                if (next) props.wizard.goTo(next);
                return;
              }
              const response = await props.wizard.save({ settings: {}, step: props.step });
              // Nothing was edited here, so field errors belong to other steps: move on anyway.
              if (!response.ok && response.errors.length === 0) throw new Error('The bridge did not record this step.');
              if (next) props.wizard.goTo(next);
            } catch (error) {
              setFailure(error instanceof Error ? error.message : String(error));
            } finally {
              setBusy(false);
            }
          }}
        >
          {props.label ?? 'Continue'}
        </Button>
      </div>
    </Stack>
  );
}
