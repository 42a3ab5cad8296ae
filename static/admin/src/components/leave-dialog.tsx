import { useEffect, useRef } from 'react';
import Button from '@atlaskit/button/new';
import Heading from '@atlaskit/heading';
import { Inline, Stack, Text } from '@atlaskit/primitives';

/**
 * Asked when the admin leaves a step with edits not saved: the step's draft is dropped on leaving.
 * A modal `<dialog>` (Atlaskit's modal is not installed): it keeps focus inside, and Escape stays.
 */
export function LeaveDialog(props: { onStay: () => void; onLeave: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal?.();
    return () => dialog?.close?.();
  }, []);
  return (
    <dialog
      ref={ref}
      className="bridge-dialog"
      aria-labelledby="leave-dialog-title"
      aria-describedby="leave-dialog-text"
      onCancel={(event) => {
        event.preventDefault();
        props.onStay();
      }}
    >
      <Stack space="space.200">
        <Heading size="medium" as="h2" id="leave-dialog-title">
          Leave without saving?
        </Heading>
        <Text as="p" id="leave-dialog-text">
          This step has changes that are not saved yet. If you leave now, they are lost. Stay and press Save to keep them.
        </Text>
        <Inline space="space.100" shouldWrap>
          <Button appearance="primary" autoFocus onClick={props.onStay}>
            Stay on this step
          </Button>
          <Button appearance="warning" onClick={props.onLeave}>
            Leave and discard changes
          </Button>
        </Inline>
      </Stack>
    </dialog>
  );
}
