import Button from '@atlaskit/button/new';
import SectionMessage from '@atlaskit/section-message';
import { Inline, Stack } from '@atlaskit/primitives';
import type { WizardStep } from '../../../../src/core/admin/admin-api-types.ts';
import { nextStepAfter, stepInfo } from '../wizard-steps.ts';
import { ErrorList, unclaimed, WarningList } from './problems.tsx';
import type { SaveState } from './use-step-save.ts';
import { ConflictNotice } from './conflict-notice.tsx';
import { useReadOnly } from '../access.ts';

/**
 * The end of a step: what the last save said (errors the fields do not show, warnings, the
 * saved note), then Save and the way to the next step.
 */
export function StepFooter(props: {
  step: WizardStep;
  state: SaveState;
  /** Paths the step's fields show under themselves. */
  fieldPaths: readonly string[];
  onSave: () => void;
  goTo: (step: WizardStep) => void;
  /** After a conflict: reload the connection as the other administrator left it. */
  onReload: () => Promise<void>;
  saveLabel?: string;
}) {
  const next = nextStepAfter(props.step);
  const readOnly = useReadOnly();
  if (readOnly) {
    // Not an owner: nothing to save (the server would refuse it), only the way on.
    return next ? (
      <Inline space="space.100">
        <Button onClick={() => props.goTo(next)}>{`Next: ${stepInfo(next).title}`}</Button>
      </Inline>
    ) : null;
  }
  const loose = unclaimed(props.state.errors, props.fieldPaths);
  return (
    <Stack space="space.200">
      {props.state.errors.length ? (
        <ErrorList
          title="Not saved: fix the fields marked below"
          errors={loose.length ? loose : props.state.errors}
        />
      ) : null}
      {props.state.failure ? (
        <SectionMessage appearance="error" title="Not saved">
          <p>{props.state.failure}</p>
        </SectionMessage>
      ) : null}
      {props.state.conflict ? <ConflictNotice onReload={props.onReload} /> : null}
      {props.state.saved ? (
        <SectionMessage appearance="success" title="Saved">
          <p>
            {props.state.savedToDraft
              ? 'Saved to the draft. Users keep the applied settings until the draft passes the connection test and is applied (see above).'
              : 'The bridge uses these settings from the next sign-in on.'}
          </p>
        </SectionMessage>
      ) : null}
      <WarningList warnings={props.state.warnings.filter((w) => props.fieldPaths.some((path) => w.path === path || w.path.startsWith(`${path}.`)))} />
      <Inline space="space.100">
        <Button appearance="primary" onClick={props.onSave} isLoading={props.state.saving}>
          {props.saveLabel ?? 'Save'}
        </Button>
        {next && props.state.saved ? (
          <Button onClick={() => props.goTo(next)}>
            {`Next: ${stepInfo(next).title}`}
          </Button>
        ) : null}
      </Inline>
    </Stack>
  );
}
