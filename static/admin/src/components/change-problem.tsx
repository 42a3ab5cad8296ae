import SectionMessage from '@atlaskit/section-message';
import { ConflictNotice } from './conflict-notice.tsx';
import type { ConnectionChangeState } from './use-connection-change.ts';

/** Why a change to the connections did not go through: a conflict (reload), or the bridge's message. */
export function ChangeProblem(props: { state: ConnectionChangeState; onReload: () => Promise<void> }) {
  const problem = props.state.problem;
  if (!problem) return null;
  if (problem.conflict) return <ConflictNotice onReload={props.onReload} />;
  return (
    <div role="alert">
      <SectionMessage appearance="error" title="Not changed">
        <p>{problem.message}</p>
      </SectionMessage>
    </div>
  );
}
