import { useId, type ReactNode } from 'react';
import { Label } from '@atlaskit/form';
import Select from '@atlaskit/select';
import { useReadOnly } from '../access.ts';
import { Box } from '@atlaskit/primitives';
import { FieldMessages } from './field.tsx';

export interface Choice<V extends string> {
  value: V;
  label: string;
}

/** A labelled single choice on Atlaskit's Select; the label names the combobox input. */
export function SelectField<V extends string>(props: {
  label: string;
  value: V;
  choices: readonly Choice<V>[];
  onChange: (value: V) => void;
  helper?: ReactNode;
  errors?: string[];
  /** Chooses what the page shows, not a setting: stays enabled for an admin who is not an owner. */
  choosesView?: boolean;
}) {
  const id = useId();
  const readOnly = useReadOnly() && !props.choosesView;
  const selected = props.choices.find((c) => c.value === props.value) ?? null;
  return (
    <Box>
      <Label htmlFor={id}>{props.label}</Label>
      <Select<Choice<V>>
        inputId={id}
        options={props.choices as Choice<V>[]}
        value={selected}
        onChange={(choice) => {
          if (choice) props.onChange(choice.value);
        }}
        isSearchable={false}
        isDisabled={readOnly}
        isInvalid={Boolean(props.errors?.length)}
        descriptionId={props.helper ? `${id}-help` : undefined}
      />
      <FieldMessages id={id} helper={props.helper} errors={props.errors} />
    </Box>
  );
}
