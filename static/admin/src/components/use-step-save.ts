import { useEffect, useState } from 'react';
import type { AdminSettings, FieldProblem, WizardStep } from '../../../../src/core/admin/admin-api-types.ts';
import type { StepProps } from '../wizard-context.ts';
import { useUnsavedEdits } from '../unsaved-edits.ts';

export interface SaveState {
  saving: boolean;
  /** Field problems from the last save; they block it. */
  errors: FieldProblem[];
  /** Non-blocking remarks from the last save. */
  warnings: FieldProblem[];
  /** The last save went through. */
  saved: boolean;
  /** The save went to the connection's draft: users keep the applied settings until it is applied. */
  savedToDraft?: boolean;
  /** The call itself failed (network, server error). */
  failure?: string;
  /** Refused: another administrator changed the connection since the page loaded it. */
  conflict?: boolean;
  /** Refused because two values are swapped (Guard's SP Entity ID and ACS URL): the step offers "Swap them". */
  swapGuardValues?: boolean;
}

/** Saves one step's settings and keeps the outcome for the fields and messages. */
export function useStepSave(props: StepProps, step: WizardStep) {
  const [state, setState] = useState<SaveState>({ saving: false, errors: [], warnings: [], saved: false });
  // Marked at once, not from an effect: a step that saves and then moves on must not be asked about.
  const unsaved = useUnsavedEdits();
  // The draft goes with the step: once it is gone, there is nothing to ask about.
  useEffect(() => () => unsaved.mark(step, false), [unsaved, step]);

  async function save(settings: AdminSettings, options: { clientSecret?: string; localErrors?: FieldProblem[]; onSaved?: () => void } = {}): Promise<boolean> {
    if (options.localErrors?.length) {
      setState({ saving: false, errors: options.localErrors, warnings: [], saved: false });
      return false;
    }
    setState((s) => ({ ...s, saving: true, failure: undefined, conflict: false }));
    try {
      const response = await props.save({ settings, step, ...(options.clientSecret ? { clientSecret: options.clientSecret } : {}) });
      if (response.ok) {
        unsaved.mark(step, false);
        options.onSaved?.();
        setState({ saving: false, errors: [], warnings: response.warnings, saved: true, ...(response.status.draft ? { savedToDraft: true } : {}) });
        return true;
      }
      if (response.conflict) {
        setState({ saving: false, errors: [], warnings: [], saved: false, conflict: true });
        return false;
      }
      setState({ saving: false, errors: response.errors, warnings: response.warnings, saved: false, ...(response.swapGuardValues ? { swapGuardValues: true } : {}) });
      return false;
    } catch (error) {
      setState({ saving: false, errors: [], warnings: [], saved: false, failure: error instanceof Error ? error.message : String(error) });
      return false;
    }
  }

  /**
   * Typing after a save hides the "saved" note, so it never describes older values. Fields whose
   * values were replaced wholesale (`replaced`: read from metadata, say) also lose the last save's
   * errors, which were about the values that are gone.
   */
  function touched(replaced: string[] = []) {
    unsaved.mark(step, true);
    setState((s) => {
      const errors = replaced.length ? s.errors.filter((e) => !replaced.includes(e.path)) : s.errors;
      if (!s.saved && errors === s.errors) return s;
      return { ...s, saved: false, errors, ...(errors.length ? {} : { swapGuardValues: false }) };
    });
  }

  return { state, save, touched };
}
