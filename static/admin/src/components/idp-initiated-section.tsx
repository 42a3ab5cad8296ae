import { useState } from 'react';
import Button from '@atlaskit/button/new';
import Heading from '@atlaskit/heading';
import SectionMessage from '@atlaskit/section-message';
import { Stack, Text } from '@atlaskit/primitives';
import type { FieldProblem } from '../../../../src/core/admin/admin-api-types.ts';
import type { StepProps } from '../wizard-context.ts';
import { useReadOnly } from '../access.ts';
import { Checkbox } from './checkbox.tsx';
import { CopyButton } from './copy-button.tsx';
import { TextInput, fieldLabel } from './field.tsx';
import { messagesFor } from './problems.tsx';

const PATHS = ['atlassianSiteUrl', 'idpInitiated.enabled', 'idpInitiated.relayState'];

/**
 * Sign-in from a bookmark or dashboard tile (IdP-initiated): the switch, the page users land on,
 * the connection's site (the only site that page may be on), and the start URL to copy. Saved
 * with `config/save` like every setting (owners only, recorded in the audit trail; a live
 * connection's change goes to its draft). The server judges the landing page against the site.
 */
export function IdpInitiatedSection(props: StepProps) {
  const saved = props.data.settings;
  const readOnly = useReadOnly();
  const [enabled, setEnabled] = useState(saved.idpInitiated?.enabled ?? false);
  const [siteUrl, setSiteUrl] = useState(saved.atlassianSiteUrl ?? '');
  const [relayState, setRelayState] = useState(saved.idpInitiated?.relayState ?? '');
  const [state, setState] = useState<{ saving: boolean; errors: FieldProblem[]; saved?: 'applied' | 'draft'; failure?: string }>({ saving: false, errors: [] });
  const startUrl = props.data.bridge.idpInitiatedStartUrl;
  const appliedOn = props.data.settings.idpInitiated?.enabled === true;

  const edited = () => setState((s) => (s.saved ? { ...s, saved: undefined } : s));

  async function save() {
    setState({ saving: true, errors: [] });
    try {
      // Empty means "not set": the default landing page, no site.
      const response = await props.save({ settings: { atlassianSiteUrl: siteUrl.trim(), idpInitiated: { enabled, relayState: relayState.trim() } } });
      if (response.ok) setState({ saving: false, errors: [], saved: response.status.draft ? 'draft' : 'applied' });
      else setState({ saving: false, errors: response.conflict ? [{ path: '', message: 'Another administrator changed this connection. Reload the page.' }] : response.errors });
    } catch (error) {
      setState({ saving: false, errors: [], failure: error instanceof Error ? error.message : String(error) });
    }
  }

  const otherErrors = state.errors.filter((e) => !PATHS.includes(e.path));
  return (
    <section aria-labelledby="idp-initiated-heading">
      <Stack space="space.200">
        <Heading size="small" as="h3" id="idp-initiated-heading">
          Sign-in from a bookmark or dashboard tile
        </Heading>
        <Text as="p">
          Usually Atlassian starts each sign-in. With this on, the start URL below signs users in at your provider first and then sends
          them to Atlassian (an IdP-initiated sign-in), for a bookmark or a tile on your provider’s dashboard (in Okta: a Bookmark app
          with this URL).
        </Text>
        <Checkbox
          label={fieldLabel(props.data, 'idpInitiated.enabled')}
          isChecked={enabled}
          isDisabled={readOnly}
          onChange={(event) => {
            setEnabled(event.target.checked);
            edited();
          }}
        />
        <Text as="p" color="color.text.subtle">
          {props.data.fieldHelp['idpInitiated.enabled']}
        </Text>
        <TextInput
          label={fieldLabel(props.data, 'atlassianSiteUrl')}
          type="url"
          value={siteUrl}
          monospace
          placeholder="https://your-company.atlassian.net"
          onChange={(v) => {
            setSiteUrl(v);
            edited();
          }}
          helper={props.data.fieldHelp['atlassianSiteUrl']}
          errors={messagesFor(state.errors, 'atlassianSiteUrl')}
        />
        <TextInput
          label={fieldLabel(props.data, 'idpInitiated.relayState')}
          type="url"
          value={relayState}
          monospace
          placeholder="https://start.atlassian.com"
          onChange={(v) => {
            setRelayState(v);
            edited();
          }}
          helper={props.data.fieldHelp['idpInitiated.relayState']}
          errors={messagesFor(state.errors, 'idpInitiated.relayState', 'idpInitiated.enabled', 'idpInitiated')}
        />
        <TextInput
          label="Start URL"
          value={startUrl}
          readOnly
          monospace
          helper={appliedOn ? 'Put this URL into the bookmark or the dashboard tile.' : 'Works once the setting above is on and saved.'}
          after={<CopyButton text={startUrl} what="start URL" />}
        />
        <div>
          <Button appearance="primary" onClick={() => void save()} isLoading={state.saving} isDisabled={readOnly}>
            Save sign-in from a bookmark
          </Button>
        </div>
        {state.saved ? (
          <SectionMessage appearance="success" title={state.saved === 'draft' ? 'Saved to the draft' : 'Sign-in from a bookmark saved'}>
            <p>
              {state.saved === 'draft'
                ? 'Users get it once the draft passes the connection test and you apply it.'
                : enabled
                  ? 'The start URL signs users in now.'
                  : 'The start URL is off.'}
            </p>
          </SectionMessage>
        ) : null}
        {otherErrors.length || state.failure ? (
          <SectionMessage appearance="error" title="Not saved">
            {otherErrors.map((e) => (
              <p key={e.path + e.message}>{e.message}</p>
            ))}
            {state.failure ? <p>{state.failure}</p> : null}
          </SectionMessage>
        ) : null}
      </Stack>
    </section>
  );
}
