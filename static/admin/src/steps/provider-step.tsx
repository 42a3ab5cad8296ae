import { useState } from 'react';
import Button from '@atlaskit/button/new';
import { Checkbox } from '../components/checkbox.tsx';
import SectionMessage from '@atlaskit/section-message';
import { Stack, Text } from '@atlaskit/primitives';
import type { AdminSettings, DiscoverResponse, ProviderPreset } from '../../../../src/core/admin/admin-api-types.ts';
import { approvedEgressHosts, invokeResolver, requestEgressApproval } from '../api.ts';
import { EgressApproval, type EgressStatus } from '../components/egress-approval.tsx';
import type { StepProps } from '../wizard-context.ts';
import { TextInput, fieldLabel } from '../components/field.tsx';
import { SelectField } from '../components/select-field.tsx';
import { messagesFor } from '../components/problems.tsx';
import { ClientKey } from '../components/client-key.tsx';
import { StepFooter } from '../components/step-footer.tsx';
import { useStepSave } from '../components/use-step-save.ts';
import { PRESETS, presetInfo } from '../presets.ts';

type AuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';
type Endpoints = { authorizationEndpoint: string; tokenEndpoint: string; userinfoEndpoint: string; jwksUri: string };

const EMPTY_ENDPOINTS: Endpoints = { authorizationEndpoint: '', tokenEndpoint: '', userinfoEndpoint: '', jwksUri: '' };

const FIELD_PATHS = ['preset', 'oidc.issuer', 'oidc.clientId', 'oidc.clientSecret', 'oidc.clientSecretExpiresAt', 'oidc.scopes', 'oidc.clientAuthMethod', 'oidc.endpoints'];

/** What to do about each way discovery can fail; the server's message says what happened. */
const DISCOVERY_ADVICE: Record<Extract<DiscoverResponse, { ok: false }>['failure'], string> = {
  invalid_url: 'Enter the issuer as an absolute https:// URL, without query or fragment.',
  unreachable:
    'Check the host name. On Forge, the provider’s domain must also be one the app may call (Okta, Entra ID, Google, Auth0, OneLogin and PingOne are; others need the egress approval the app asks for).',
  timeout: 'The provider did not answer in time. Try again; if it keeps happening, check that the provider is reachable.',
  not_json:
    'There is no discovery document at this issuer. Check the issuer: for Okta’s default authorization server it ends in /oauth2/default. Or enter the endpoints by hand.',
  issuer_mismatch:
    'The discovery document names a different issuer. Use exactly the issuer it names, including any trailing slash: ID tokens are checked against it.',
  missing_endpoints: 'The discovery document lacks endpoints the bridge needs. Enter them by hand.',
  http_error: 'The provider answered the discovery request with an error. Check the issuer, or enter the endpoints by hand.',
  dns_failure: 'Check the host name of the issuer for typing mistakes: no DNS server knows it.',
  tls_failure: 'The provider’s HTTPS certificate was not accepted. Check the issuer’s host; a provider of your own needs a certificate from a public authority.',
  egress_not_approved:
    'Forge lets the app call this host only once a site administrator approves it (customer-managed egress, early access on Forge). Approve access, then press Discover again.',
  private_address:
    'The server does not call private, link-local or cloud-metadata addresses, so that the settings cannot point it at internal services. For a provider on your own network, start the server with BRIDGE_ALLOW_PRIVATE_NETWORK=1.',
};

/** Step 3: the OpenID provider: preset, issuer and discovery, client ID and secret, scopes. */
export function ProviderStep(props: StepProps) {
  const saved = props.data.settings;
  const help = props.data.fieldHelp;
  const [preset, setPreset] = useState<ProviderPreset>(saved.preset ?? 'okta');
  const [issuer, setIssuer] = useState(saved.oidc?.issuer ?? '');
  const [clientId, setClientId] = useState(saved.oidc?.clientId ?? '');
  const [clientSecret, setClientSecret] = useState('');
  const [secretExpiresAt, setSecretExpiresAt] = useState(saved.oidc?.clientSecretExpiresAt ?? '');
  const [scopes, setScopes] = useState((saved.oidc?.scopes ?? ['openid', 'email', 'profile']).join(' '));
  const [authMethod, setAuthMethod] = useState<AuthMethod>(saved.oidc?.clientAuthMethod ?? 'client_secret_basic');
  const [manual, setManual] = useState(Boolean(saved.oidc?.endpoints));
  const [endpoints, setEndpoints] = useState<Endpoints>({ ...EMPTY_ENDPOINTS, ...stripUndefined(saved.oidc?.endpoints) });
  const [discovery, setDiscovery] = useState<{ busy: boolean; result?: DiscoverResponse; error?: string }>({ busy: false });
  const [egress, setEgress] = useState<EgressStatus | undefined>();
  const { state, save, touched } = useStepSave(props, 'provider');
  const info = presetInfo(preset);
  const secretSet = props.data.status.clientSecretSet;
  // With its own client key the bridge has no secret: the secret fields are hidden and not asked for.
  const signsWithKey = authMethod === 'private_key_jwt';
  const showEndpoints = manual || (discovery.result?.ok ?? false);

  const edit = <T,>(setter: (v: T) => void) => (value: T) => {
    setter(value);
    touched();
  };

  /**
   * On Forge: whether the app may call `hosts` now. Hosts an admin approved before count; for
   * the others the approval panel asks. Returns false while approval is still needed.
   */
  async function egressReady(hosts: string[]): Promise<boolean> {
    if (!hosts.length) return true;
    setEgress({ status: 'checking', hosts });
    const current = await approvedEgressHosts();
    if (current.state !== 'approved') {
      // Discovery still runs: its own answer then says what Forge did with the call.
      setEgress({ status: 'unavailable', hosts, detail: current.detail });
      return true;
    }
    const missing = hosts.filter((host) => !current.hosts.includes(host));
    if (!missing.length) {
      setEgress({ status: 'approved', hosts });
      return true;
    }
    setEgress({ status: 'needed', hosts: missing, approved: current.hosts });
    return false;
  }

  async function approve() {
    if (!egress || (egress.status !== 'needed' && egress.status !== 'denied')) return;
    const { hosts, approved } = egress;
    setEgress({ status: 'requesting', hosts, approved });
    const answer = await requestEgressApproval([...new Set([...approved, ...hosts])]);
    if (answer.state === 'denied') setEgress({ status: 'denied', hosts, approved, detail: answer.detail });
    else if (answer.state === 'unavailable') setEgress({ status: 'unavailable', hosts, detail: answer.detail });
    else await discover();
  }

  async function discover() {
    const value = issuer.trim();
    if (!value) {
      setDiscovery({ busy: false, error: 'Enter the issuer URL first.' });
      return;
    }
    setDiscovery({ busy: true });
    setEgress(undefined);
    try {
      // On Forge, a host no static remote covers is blocked (HTTP 403) until an admin approves
      // it: ask before discovery, which is the first call to it.
      if (props.host === 'forge') {
        const plan = await invokeResolver('provider/egress', { issuer: value });
        if (!(await egressReady(plan.needsApproval))) {
          setDiscovery({ busy: false });
          return;
        }
      }
      const result = await invokeResolver('provider/discover', { issuer: value });
      setDiscovery({ busy: false, result });
      if (!result.ok && result.failure === 'egress_not_approved' && result.blockedHost) await egressReady([result.blockedHost]);
      if (result.ok) {
        setIssuer(result.issuer);
        setEndpoints({
          authorizationEndpoint: result.endpoints.authorizationEndpoint,
          tokenEndpoint: result.endpoints.tokenEndpoint,
          userinfoEndpoint: result.endpoints.userinfoEndpoint ?? '',
          jwksUri: result.endpoints.jwksUri,
        });
        setManual(false);
        const methods = result.tokenEndpointAuthMethods;
        if (methods?.length && !methods.includes(authMethod)) {
          const supported = (['client_secret_basic', 'client_secret_post'] as const).find((m) => methods.includes(m));
          if (supported) setAuthMethod(supported);
        }
        touched();
        if (props.host === 'forge') {
          // The token, userinfo and JWKS endpoints may live on other hosts than the issuer.
          const plan = await invokeResolver('provider/egress', { issuer: result.issuer, endpoints: result.endpoints });
          await egressReady(plan.needsApproval);
        }
      }
    } catch (error) {
      setDiscovery({ busy: false, error: error instanceof Error ? error.message : String(error) });
    }
  }

  function onSave() {
    const oidc: NonNullable<AdminSettings['oidc']> = {
      issuer: issuer.trim(),
      clientId: clientId.trim(),
      // Empty removes a saved date.
      clientSecretExpiresAt: secretExpiresAt.trim(),
      scopes: scopes.split(/[\s,]+/).filter(Boolean),
      clientAuthMethod: authMethod,
    };
    if (manual) {
      // An empty userinfo endpoint removes a saved one.
      oidc.endpoints = {
        authorizationEndpoint: endpoints.authorizationEndpoint.trim(),
        tokenEndpoint: endpoints.tokenEndpoint.trim(),
        userinfoEndpoint: endpoints.userinfoEndpoint.trim(),
        jwksUri: endpoints.jwksUri.trim(),
      };
    } else if (saved.oidc?.endpoints) {
      // `{}` turns manual mode off: discovery decides the endpoints again.
      oidc.endpoints = {};
    }
    // Everything missing is said at once: an empty save must not flag the secret alone.
    const localErrors = [];
    if (!oidc.issuer) localErrors.push({ path: 'oidc.issuer', message: 'Enter a URL.' });
    if (!oidc.clientId) localErrors.push({ path: 'oidc.clientId', message: 'Enter the client ID.' });
    if (!signsWithKey && !secretSet && !clientSecret) localErrors.push({ path: 'oidc.clientSecret', message: 'Paste the client secret from your provider.' });
    void save(
      { preset, oidc },
      {
        clientSecret: (!signsWithKey && clientSecret) || undefined,
        localErrors: localErrors.length ? localErrors : undefined,
        // Write-only: once stored, the typed secret leaves the page.
        onSaved: () => setClientSecret(''),
      },
    );
  }

  const failed = discovery.result && !discovery.result.ok ? discovery.result : undefined;
  const found = discovery.result?.ok ? discovery.result : undefined;

  return (
    <Stack space="space.300">
      <Text as="p">
        The bridge signs users in with your OpenID provider as a confidential web client (authorization code flow with PKCE). Enter the
        issuer, or the URL of its discovery document (…/.well-known/openid-configuration or Okta’s Metadata URI), and press{' '}
        <strong>Discover</strong>: the bridge reads the provider’s discovery document and fills in the issuer it names and its endpoints.
      </Text>

      <SelectField<ProviderPreset>
        label={fieldLabel(props.data, 'preset')}
        value={preset}
        choices={PRESETS.map((p) => ({ value: p.value, label: p.label }))}
        onChange={(value) => {
          setPreset(value);
          const fixed = presetInfo(value).fixedIssuer;
          if (fixed && !issuer.trim()) setIssuer(fixed);
          touched();
        }}
        helper="Shapes the hints below; any OpenID Connect provider works."
        errors={messagesFor(state.errors, 'preset')}
      />

      <TextInput
        label={fieldLabel(props.data, 'oidc.issuer')}
        type="url"
        value={issuer}
        onChange={edit(setIssuer)}
        placeholder={info.issuerExample}
        monospace
        helper={info.issuerHint}
        errors={messagesFor(state.errors, 'oidc.issuer')}
        after={
          <Button onClick={discover} isLoading={discovery.busy}>
            Discover
          </Button>
        }
      />

      {egress ? <EgressApproval egress={egress} onApprove={() => void approve()} /> : null}
      {discovery.error ? (
        <SectionMessage appearance="error" title="Discovery failed">
          <p>{discovery.error}</p>
        </SectionMessage>
      ) : null}
      {failed ? (
        <SectionMessage
          appearance="error"
          title="Discovery failed"
          actions={
            manual
              ? []
              : [
                  <Button key="manual" appearance="subtle" onClick={() => setManual(true)}>
                    Enter the endpoints by hand
                  </Button>,
                ]
          }
        >
          <p>{failed.message}</p>
          <p>{DISCOVERY_ADVICE[failed.failure]}</p>
        </SectionMessage>
      ) : null}
      {found ? (
        <SectionMessage appearance="success" title="Provider found">
          {found.enteredDiscoveryUrl ? (
            <p>
              You entered the address of the discovery document, not the issuer. The issuer field now holds the issuer that document
              names, <code className="bridge-break">{found.issuer}</code>: ID tokens are checked against it.
            </p>
          ) : null}
          <p>
            The discovery document of <code className="bridge-break">{found.issuer}</code> names the endpoints below.
            {found.scopesSupported && !['email', 'profile'].every((s) => found.scopesSupported!.includes(s))
              ? ' It does not list the email and profile scopes: check that the provider sends the email and names.'
              : ''}
          </p>
        </SectionMessage>
      ) : null}

      <Checkbox
        label="Enter the endpoints by hand (for a provider without a discovery document)"
        isChecked={manual}
        onChange={(event) => {
          setManual(event.target.checked);
          touched();
        }}
      />

      {showEndpoints ? (
        <fieldset className="bridge-fieldset">
          <legend>Endpoints{manual ? '' : ' (from discovery; editing one switches to entering them by hand)'}</legend>
          <Stack space="space.150">
            {(
              [
                ['authorizationEndpoint', 'Authorization endpoint'],
                ['tokenEndpoint', 'Token endpoint'],
                ['userinfoEndpoint', 'Userinfo endpoint'],
                ['jwksUri', 'JWKS URI'],
              ] as const
            ).map(([key, label]) => (
              <TextInput
                key={key}
                label={label}
                type="url"
                value={endpoints[key]}
                monospace
                onChange={(value) => {
                  setEndpoints((e) => ({ ...e, [key]: value }));
                  setManual(true);
                  touched();
                }}
                helper={key === 'userinfoEndpoint' ? 'Optional, but most providers put the names only there.' : undefined}
                errors={messagesFor(state.errors, `oidc.endpoints.${key}`)}
              />
            ))}
          </Stack>
        </fieldset>
      ) : null}

      <TextInput
        label={fieldLabel(props.data, 'oidc.clientId')}
        value={clientId}
        onChange={edit(setClientId)}
        monospace
        helper={help['oidc.clientId'] ?? 'The client ID of the web application you registered in step 2.'}
        errors={messagesFor(state.errors, 'oidc.clientId')}
      />
      {signsWithKey ? null : (
        <>
          <TextInput
            label={fieldLabel(props.data, 'oidc.clientSecret')}
            type="password"
            value={clientSecret}
            onChange={edit(setClientSecret)}
            autoComplete="new-password"
            placeholder={secretSet ? '•••• set — type to replace' : 'Paste the client secret'}
            helper={
              secretSet
                ? 'A client secret is set. It is stored encrypted and never shown again; type a new one only to replace it. Changing the issuer, an endpoint, the client ID or the authentication method needs it typed again, so that the stored secret never goes to another server.'
                : 'Stored encrypted; never shown again, never sent back to the browser.'
            }
            errors={messagesFor(state.errors, 'oidc.clientSecret')}
          />
          <TextInput
            label={fieldLabel(props.data, 'oidc.clientSecretExpiresAt')}
            value={secretExpiresAt}
            onChange={edit(setSecretExpiresAt)}
            placeholder="YYYY-MM-DD"
            monospace
            helper={help['oidc.clientSecretExpiresAt']}
            errors={messagesFor(state.errors, 'oidc.clientSecretExpiresAt')}
          />
        </>
      )}
      <TextInput
        label={fieldLabel(props.data, 'oidc.scopes')}
        value={scopes}
        onChange={edit(setScopes)}
        monospace
        helper="Separated by spaces. openid is required; email and profile give the email and names."
        errors={messagesFor(state.errors, 'oidc.scopes')}
      />
      <SelectField<AuthMethod>
        label={fieldLabel(props.data, 'oidc.clientAuthMethod')}
        value={authMethod}
        choices={[
          { value: 'client_secret_basic', label: 'client_secret_basic (HTTP Basic, the usual default)' },
          { value: 'client_secret_post', label: 'client_secret_post (in the request body)' },
          { value: 'private_key_jwt', label: 'private_key_jwt (a key the app makes; no secret)' },
        ]}
        onChange={edit(setAuthMethod)}
        helper={
          found?.tokenEndpointAuthMethods?.length
            ? `The provider accepts: ${found.tokenEndpointAuthMethods.join(', ')}.`
            : 'How the bridge authenticates to the token endpoint: with the client secret, or with an assertion signed by its own key. Okta’s default is client_secret_basic.'
        }
        errors={messagesFor(state.errors, 'oidc.clientAuthMethod')}
      />
      {signsWithKey ? <ClientKey target={props.target} preset={preset} savedMethod={saved.oidc?.clientAuthMethod} /> : null}

      <StepFooter step="provider" state={state} fieldPaths={FIELD_PATHS} onSave={onSave} goTo={props.goTo} onReload={props.reload} />
    </Stack>
  );
}

function stripUndefined(value: Partial<Endpoints> | undefined): Partial<Endpoints> {
  return Object.fromEntries(Object.entries(value ?? {}).filter(([, v]) => typeof v === 'string')) as Partial<Endpoints>;
}
