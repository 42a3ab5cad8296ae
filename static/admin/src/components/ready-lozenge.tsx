import Lozenge from '@atlaskit/lozenge';

/** Whether a connection's service provider can sign in now (its settings complete and valid). */
export function ReadyLozenge({ ready }: { ready: boolean }) {
  return ready ? <Lozenge appearance="success">Ready</Lozenge> : <Lozenge appearance="default">Not ready</Lozenge>;
}
