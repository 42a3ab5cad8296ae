import { useState } from 'react';
import Button from '@atlaskit/button/new';
import SectionMessage from '@atlaskit/section-message';

/**
 * A change refused because another administrator changed the same connection since this page
 * loaded it (compare-and-set on its revision). Nothing was overwritten; the page does not retry
 * on its own, since that would silently undo the other change.
 */
export function ConflictNotice(props: { onReload: () => Promise<void> | void }) {
  const [busy, setBusy] = useState(false);
  return (
    <div role="alert">
      <SectionMessage
        appearance="warning"
        title="Another administrator changed this connection"
        actions={[
          <Button
            key="reload"
            appearance="primary"
            isLoading={busy}
            onClick={async () => {
              setBusy(true);
              try {
                await props.onReload();
              } finally {
                setBusy(false);
              }
            }}
          >
            Reload
          </Button>,
        ]}
      >
        <p>
          Another administrator changed this connection after this page loaded it, so your change was not saved and nothing of theirs
          was overwritten. Reload to see their change, then make yours again.
        </p>
      </SectionMessage>
    </div>
  );
}
