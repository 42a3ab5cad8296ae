import { useState, type ReactNode } from 'react';
import Button from '@atlaskit/button/new';
import SectionMessage from '@atlaskit/section-message';
import { Inline, Stack } from '@atlaskit/primitives';
import { TextInput } from './field.tsx';

/**
 * An inline confirmation before something that stops sign-ins and cannot be undone. With
 * `typeToConfirm` the admin types that name first (as GitHub asks before deleting a
 * repository), so a click on the wrong row deletes nothing.
 */
export function ConfirmDelete(props: {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  typeToConfirm?: string;
  busy: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const [typed, setTyped] = useState('');
  const confirmed = props.typeToConfirm === undefined || typed.trim() === props.typeToConfirm.trim();
  return (
    <div role="alertdialog" aria-label={props.title}>
      <SectionMessage appearance="error" title={props.title}>
        <Stack space="space.150">
          <div>{props.children}</div>
          {props.typeToConfirm !== undefined ? (
            <TextInput label={`Type “${props.typeToConfirm}” to confirm`} value={typed} onChange={setTyped} autoFocus />
          ) : null}
          <Inline space="space.100">
            <Button appearance="danger" isDisabled={!confirmed} isLoading={props.busy} onClick={props.onConfirm}>
              {props.confirmLabel}
            </Button>
            {/* Focus starts on the safe choice (or on the name to type). */}
            <Button appearance="subtle" onClick={props.onCancel} autoFocus={props.typeToConfirm === undefined}>
              Cancel
            </Button>
          </Inline>
        </Stack>
      </SectionMessage>
    </div>
  );
}
