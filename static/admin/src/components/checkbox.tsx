import type { ComponentProps } from 'react';
import { Checkbox as AtlaskitCheckbox } from '@atlaskit/checkbox';
import { useReadOnly } from '../access.ts';

/** Atlaskit's checkbox, disabled for an admin who is not an SSO owner (see `access.ts`). */
export function Checkbox(props: ComponentProps<typeof AtlaskitCheckbox>) {
  const readOnly = useReadOnly();
  return <AtlaskitCheckbox {...props} isDisabled={readOnly || props.isDisabled} />;
}
