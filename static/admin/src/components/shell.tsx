import type { ReactNode } from 'react';
import Button from '@atlaskit/button/new';
import Heading from '@atlaskit/heading';
import Lozenge from '@atlaskit/lozenge';
import { Inline } from '@atlaskit/primitives';

export type ShellStatus = 'live' | 'configured' | 'unconfigured';

/** The page frame: the app's name, the shown connection's state, the page links and sign-out. */
export function Shell(props: { children: ReactNode; status?: ShellStatus; nav?: ReactNode; onSignOut?: () => void }) {
  return (
    <div className="bridge-page">
      <header className="bridge-header">
        <Inline space="space.150" alignBlock="center" spread="space-between" shouldWrap>
          <Inline space="space.150" alignBlock="center" shouldWrap>
            <Heading size="medium" as="h1">
              OIDC SSO for Atlassian Guard
            </Heading>
            <span className="bridge-status" data-testid="connection-status">
              <StatusLozenge status={props.status} />
            </span>
          </Inline>
          <Inline space="space.100" alignBlock="center" shouldWrap>
            {props.nav}
            {props.onSignOut ? (
              <Button appearance="subtle" onClick={props.onSignOut}>
                Forget admin token
              </Button>
            ) : null}
          </Inline>
        </Inline>
      </header>
      {props.children}
    </div>
  );
}

function StatusLozenge({ status }: { status?: ShellStatus }) {
  if (status === 'live') {
    return (
      <Lozenge appearance="success" isBold maxWidth="none">
        Live
      </Lozenge>
    );
  }
  if (status === 'configured') return <Lozenge appearance="inprogress" maxWidth="none">Configured, not enforced</Lozenge>;
  if (status === 'unconfigured') return <Lozenge appearance="default" maxWidth="none">Not configured</Lozenge>;
  return null;
}
