import { createContext, useContext } from 'react';

/**
 * Which steps hold edits the admin has not saved. The steps keep their drafts in their own state,
 * which is dropped when the admin leaves the step or reloads, so the page asks before either.
 */
export interface UnsavedEdits {
  /** `step` has edits not saved (true) or none any more (false). */
  mark(step: string, unsaved: boolean): void;
}

export const UnsavedEditsContext = createContext<UnsavedEdits>({ mark: () => undefined });

export function useUnsavedEdits(): UnsavedEdits {
  return useContext(UnsavedEditsContext);
}
