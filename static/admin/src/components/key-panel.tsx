import type { ReactNode } from 'react';
import { Stack, Text } from '@atlaskit/primitives';

/** The titled panel a key is shown in: the signing certificate, a provider's client key. */
export function KeyPanel(props: { title: string; children: ReactNode }) {
  return (
    <section aria-label={props.title} className="bridge-certificate">
      <Stack space="space.200">
        <Text as="p" weight="bold">
          {props.title}
        </Text>
        {props.children}
      </Stack>
    </section>
  );
}
