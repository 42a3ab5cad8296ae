import { useState, type FormEvent, type ReactNode } from 'react';
import Button from '@atlaskit/button/new';
import { Inline, Stack } from '@atlaskit/primitives';
import { TextInput } from './field.tsx';

/** One name to type, for adding or renaming a connection or a provider. */
export function NameForm(props: {
  label: string;
  initial?: string;
  submitLabel: string;
  busy: boolean;
  onSubmit: (name: string) => void;
  /** Without it the form stays (adding); with it a Cancel button closes it (renaming). */
  onCancel?: () => void;
  helper?: ReactNode;
  autoFocus?: boolean;
}) {
  const [name, setName] = useState(props.initial ?? '');
  const [empty, setEmpty] = useState(false);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const value = name.trim();
    if (!value) {
      setEmpty(true);
      return;
    }
    props.onSubmit(value);
  };
  return (
    <form onSubmit={submit} noValidate>
      <Stack space="space.100">
        <TextInput
          label={props.label}
          value={name}
          onChange={(value) => {
            setName(value);
            setEmpty(false);
          }}
          helper={props.helper}
          errors={empty ? ['Enter a name.'] : undefined}
          autoFocus={props.autoFocus}
        />
        <Inline space="space.100">
          <Button appearance="primary" type="submit" isLoading={props.busy}>
            {props.submitLabel}
          </Button>
          {props.onCancel ? (
            <Button appearance="subtle" onClick={props.onCancel}>
              Cancel
            </Button>
          ) : null}
        </Inline>
      </Stack>
    </form>
  );
}
