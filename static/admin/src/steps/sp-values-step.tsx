import { useState } from 'react';
import Button from '@atlaskit/button/new';
import SectionMessage from '@atlaskit/section-message';
import { Stack, Text } from '@atlaskit/primitives';
import type { FieldProblem } from '../../../../src/core/admin/admin-api-types.ts';
import { invokeResolver } from '../api.ts';
import type { StepProps } from '../wizard-context.ts';
import { TextArea, TextInput, fieldLabel } from '../components/field.tsx';
import { messagesFor, WarningList } from '../components/problems.tsx';
import { StepFooter } from '../components/step-footer.tsx';
import { useStepSave } from '../components/use-step-save.ts';
import { checkSpUrl } from '../sp-url-check.ts';
import { IdpInitiatedSection } from '../components/idp-initiated-section.tsx';

const FIELD_PATHS = ['serviceProvider.entityId', 'serviceProvider.acsUrl'];

/** Step 6: Guard's SP Entity ID and ACS URL, typed or extracted from its SP metadata. */
export function SpValuesStep(props: StepProps) {
  const saved = props.data.settings.serviceProvider;
  const [entityId, setEntityId] = useState(saved?.entityId ?? '');
  const [acsUrl, setAcsUrl] = useState(saved?.acsUrl ?? '');
  const [xml, setXml] = useState('');
  const [parse, setParse] = useState<{ busy: boolean; message?: string; ok?: boolean; warnings?: FieldProblem[] }>({ busy: false });
  const { state, save, touched } = useStepSave(props, 'sp-values');
  // Open at first when nothing is saved yet; afterwards the admin decides.
  const [metadataOpen] = useState(() => !saved?.entityId && !saved?.acsUrl);

  const local = [...checkSpUrl('serviceProvider.entityId', entityId), ...checkSpUrl('serviceProvider.acsUrl', acsUrl)];
  const localErrors = local.filter((p) => p.level === 'error');
  const localWarnings = local.filter((p) => p.level === 'warning');
  // Until the admin saves, the browser's own check speaks; afterwards the server's.
  const shownWarnings: FieldProblem[] = state.saved || state.errors.length ? [] : parse.warnings?.length ? parse.warnings : localWarnings;
  const savedWarnings = props.data.warnings.filter((w) => w.path.startsWith('serviceProvider'));

  async function extract() {
    if (!xml.trim()) {
      setParse({ busy: false, ok: false, message: 'Paste the SP metadata XML from Atlassian Guard first.' });
      return;
    }
    setParse({ busy: true });
    try {
      const result = await invokeResolver('sp/parse-metadata', { xml });
      if (result.ok) {
        setEntityId(result.entityId);
        setAcsUrl(result.acsUrl);
        touched(FIELD_PATHS);
        setParse({
          busy: false,
          ok: true,
          message: 'Filled in the SP Entity ID and ACS URL from the metadata. Check them, then save.',
          warnings: result.warnings,
        });
      } else {
        setParse({ busy: false, ok: false, message: result.message });
      }
    } catch (error) {
      setParse({ busy: false, ok: false, message: error instanceof Error ? error.message : String(error) });
    }
  }

  return (
    <Stack space="space.300">
      <Text as="p">
        After you saved the bridge’s values, Guard shows its own: the <strong>SP Entity ID</strong> (
        <code>https://auth.atlassian.com/saml/…</code>) and the <strong>ACS URL</strong> (
        <code>https://auth.atlassian.com/login/callback?connection=saml-…</code>). Paste them here, or paste Guard’s SP metadata and let
        the app read both.
      </Text>
      <TextInput
        label={fieldLabel(props.data, 'serviceProvider.entityId')}
        type="url"
        value={entityId}
        monospace
        placeholder="https://auth.atlassian.com/saml/…"
        onChange={(v) => {
          setEntityId(v);
          touched();
        }}
        helper={props.data.fieldHelp['serviceProvider.entityId']}
        errors={messagesFor(state.errors, 'serviceProvider.entityId')}
      />
      <TextInput
        label={fieldLabel(props.data, 'serviceProvider.acsUrl')}
        type="url"
        value={acsUrl}
        monospace
        placeholder="https://auth.atlassian.com/login/callback?connection=saml-…"
        onChange={(v) => {
          setAcsUrl(v);
          touched();
        }}
        helper={props.data.fieldHelp['serviceProvider.acsUrl']}
        errors={messagesFor(state.errors, 'serviceProvider.acsUrl')}
      />
      {state.swapGuardValues && state.errors.length ? (
        <SectionMessage appearance="warning" title="The two values look swapped">
          <p>The SP Entity ID and the ACS URL seem to be in each other’s field.</p>
          <Button
            onClick={() => {
              const [nextEntityId, nextAcsUrl] = [acsUrl, entityId];
              setEntityId(nextEntityId);
              setAcsUrl(nextAcsUrl);
              void save({ serviceProvider: { entityId: nextEntityId.trim(), acsUrl: nextAcsUrl.trim() } });
            }}
          >
            Swap them
          </Button>
        </SectionMessage>
      ) : null}
      <WarningList warnings={shownWarnings} title="These do not look like Atlassian’s values" />
      {!state.saved && !shownWarnings.length ? <WarningList warnings={savedWarnings} title="About the saved values" /> : null}

      <details className="bridge-details" open={metadataOpen}>
        <summary>Or paste Guard’s SP metadata XML</summary>
        <Stack space="space.150">
          <TextArea
            label="SP metadata XML"
            value={xml}
            rows={6}
            placeholder={'<EntityDescriptor entityID="https://auth.atlassian.com/saml/…">…</EntityDescriptor>'}
            onChange={setXml}
            helper="Guard offers the SP metadata for download on the identity provider’s page."
          />
          <div>
            <Button onClick={extract} isLoading={parse.busy}>
              Read values from metadata
            </Button>
          </div>
          {parse.message ? (
            <SectionMessage appearance={parse.ok ? 'success' : 'error'}>
              <p>{parse.message}</p>
            </SectionMessage>
          ) : null}
        </Stack>
      </details>

      <StepFooter
        step="sp-values"
        state={state}
        fieldPaths={FIELD_PATHS}
        goTo={props.goTo}
        onReload={props.reload}
        onSave={() =>
          void save(
            { serviceProvider: { entityId: entityId.trim(), acsUrl: acsUrl.trim() } },
            { localErrors: localErrors.length ? localErrors.map(({ path, message }) => ({ path, message })) : undefined },
          )
        }
      />
      <IdpInitiatedSection {...props} />
    </Stack>
  );
}
