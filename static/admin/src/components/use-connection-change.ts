import { useState } from 'react';

/** What the resolvers that add, rename and remove connections and providers answer when they refuse. */
type Refused = { ok: false; message: string; conflict?: true };

export interface ConnectionChangeState {
  busy: boolean;
  /** The last change was refused (its message for the admin), or the call failed. */
  problem?: { message: string; conflict: boolean };
}

/**
 * Runs one change to the connections (`connections/*`, `providers/*`) and keeps what the admin
 * needs to see of it: busy while it runs, then the refusal or failure. Resolves to the answer
 * when it went through, else undefined.
 */
export function useConnectionChange() {
  const [state, setState] = useState<ConnectionChangeState>({ busy: false });

  async function run<T extends { ok: true } | Refused>(call: () => Promise<T>): Promise<Exclude<T, Refused> | undefined> {
    setState({ busy: true });
    try {
      const answer = await call();
      if (!answer.ok) {
        setState({ busy: false, problem: { message: answer.message, conflict: answer.conflict === true } });
        return undefined;
      }
      setState({ busy: false });
      return answer as Exclude<T, Refused>;
    } catch (error) {
      setState({ busy: false, problem: { message: error instanceof Error ? error.message : String(error), conflict: false } });
      return undefined;
    }
  }

  return { state, run, clear: () => setState({ busy: false }) };
}
