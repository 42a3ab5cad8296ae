import { Stack, Text } from '@atlaskit/primitives';
import SectionMessage from '@atlaskit/section-message';
import type { StepProps } from '../wizard-context.ts';
import { TextInput } from '../components/field.tsx';
import { CopyButton } from '../components/copy-button.tsx';
import { ContinueButton } from '../components/continue-button.tsx';
import { PRESETS } from '../presets.ts';

/** Step 2: the OIDC redirect URI to register at the provider, with Okta's steps spelled out. */
export function CallbackStep(props: StepProps) {
  const { callbackUrl } = props.data.bridge;
  return (
    <Stack space="space.300">
      <Text as="p">
        Your OpenID provider sends users back to the bridge at this address after they sign in. Register it at the provider exactly as
        shown: providers compare it character for character.
      </Text>
      <TextInput
        label="Sign-in redirect URI"
        value={callbackUrl}
        readOnly
        monospace
        after={<CopyButton text={callbackUrl} what="sign-in redirect URI" />}
      />
      <SectionMessage appearance="discovery" title="In Okta">
        <ol className="bridge-list">
          <li>
            In the Okta Admin Console open <strong>Applications → Applications</strong> and press <strong>Create App Integration</strong>.
          </li>
          <li>
            Choose <strong>OIDC - OpenID Connect</strong>, then <strong>Web Application</strong>, and press <strong>Next</strong>.
          </li>
          <li>
            Name it (for example <em>Atlassian Cloud</em>). Grant type: <strong>Authorization Code</strong>.
          </li>
          <li>
            <strong>Sign-in redirect URIs</strong>: paste the URI above. Leave the sign-out redirect URIs empty.
          </li>
          <li>
            <strong>Assignments</strong>: choose who may sign in to Atlassian, then <strong>Save</strong>.
          </li>
          <li>
            Keep the page open: the next step needs its <strong>Client ID</strong> and <strong>Client secret</strong>, and your Okta
            domain for the issuer.
          </li>
        </ol>
      </SectionMessage>
      <details className="bridge-details">
        <summary>Other providers</summary>
        <ul className="bridge-list">
          {PRESETS.filter((p) => p.value !== 'okta').map((preset) => (
            <li key={preset.value}>
              <strong>{preset.label}</strong>: {preset.registration}
            </li>
          ))}
        </ul>
      </details>
      <ContinueButton step="callback" wizard={props} label="Done, continue" />
    </Stack>
  );
}
