import { useId, type ReactNode } from 'react';
import type { ConfigGetResponse } from '../../../../src/core/admin/admin-api-types.ts';
import { ErrorMessage, HelperMessage, Label } from '@atlaskit/form';
import Textfield from '@atlaskit/textfield';
import { Box, Inline, xcss } from '@atlaskit/primitives';
import { useReadOnly } from '../access.ts';

/** One labelled input: a visible `<label>`, the help under it, then every error for the field. */
export interface TextInputProps {
  label: string;
  value: string;
  onChange?: (value: string) => void;
  helper?: ReactNode;
  errors?: string[];
  type?: 'text' | 'url' | 'password' | 'email' | 'date';
  placeholder?: string;
  readOnly?: boolean;
  monospace?: boolean;
  autoComplete?: string;
  required?: boolean;
  /** Beside the input, such as a copy button. */
  after?: ReactNode;
  name?: string;
  /** Focus on mount: for a field that appears because the admin asked for it (a rename). */
  autoFocus?: boolean;
}

const grow = xcss({ flexGrow: 1, minWidth: '0' });

export function TextInput(props: TextInputProps) {
  const id = useId();
  const readOnly = useReadOnly() || props.readOnly;
  const describedBy = [props.helper ? `${id}-help` : '', props.errors?.length ? `${id}-error` : ''].filter(Boolean).join(' ');
  const input = (
    <Textfield
      id={id}
      name={props.name}
      type={props.type ?? 'text'}
      value={props.value}
      placeholder={props.placeholder}
      isReadOnly={readOnly}
      isMonospaced={props.monospace}
      isInvalid={Boolean(props.errors?.length)}
      isRequired={props.required}
      autoFocus={props.autoFocus}
      autoComplete={props.autoComplete ?? 'off'}
      spellCheck={false}
      aria-invalid={props.errors?.length ? true : undefined}
      aria-describedby={describedBy || undefined}
      onChange={(event) => props.onChange?.((event.target as HTMLInputElement).value)}
    />
  );
  return (
    <Box>
      <Label htmlFor={id}>{props.label}</Label>
      {props.after ? (
        <Inline space="space.100" alignBlock="center">
          <Box xcss={grow}>{input}</Box>
          {props.after}
        </Inline>
      ) : (
        input
      )}
      <FieldMessages id={id} helper={props.helper} errors={props.errors} />
    </Box>
  );
}

export interface TextAreaProps {
  label: string;
  value: string;
  onChange?: (value: string) => void;
  helper?: ReactNode;
  errors?: string[];
  readOnly?: boolean;
  rows?: number;
  placeholder?: string;
  after?: ReactNode;
}

/** A labelled multi-line field (Atlaskit's textarea package is not among the dependencies). */
export function TextArea(props: TextAreaProps) {
  const id = useId();
  const readOnly = useReadOnly() || props.readOnly;
  const describedBy = [props.helper ? `${id}-help` : '', props.errors?.length ? `${id}-error` : ''].filter(Boolean).join(' ');
  return (
    <Box>
      <Label htmlFor={id}>{props.label}</Label>
      <textarea
        id={id}
        className={`bridge-textarea${props.errors?.length ? ' bridge-textarea--invalid' : ''}`}
        value={props.value}
        readOnly={readOnly}
        rows={props.rows ?? 6}
        placeholder={props.placeholder}
        spellCheck={false}
        aria-invalid={props.errors?.length ? true : undefined}
        aria-describedby={describedBy || undefined}
        onChange={(event) => props.onChange?.(event.target.value)}
      />
      {props.after ? <Box paddingBlockStart="space.050">{props.after}</Box> : null}
      <FieldMessages id={id} helper={props.helper} errors={props.errors} />
    </Box>
  );
}

export function FieldMessages(props: { id: string; helper?: ReactNode; errors?: string[] }) {
  return (
    <>
      {props.helper ? (
        <div id={`${props.id}-help`}>
          <HelperMessage>{props.helper}</HelperMessage>
        </div>
      ) : null}
      {props.errors?.length ? (
        <div id={`${props.id}-error`} role="alert">
          {props.errors.map((message) => (
            <ErrorMessage key={message}>{message}</ErrorMessage>
          ))}
        </div>
      ) : null}
    </>
  );
}

/** A configuration field's label, from the one field table the server answers with (`config/get` `fields`). */
export function fieldLabel(data: Pick<ConfigGetResponse, 'fields'>, path: string): string {
  const label = data.fields[path]?.label;
  if (!label) throw new Error(`no configuration field ${path}`);
  return label;
}
