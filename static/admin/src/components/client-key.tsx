import { useEffect, useState } from 'react';
import Button from '@atlaskit/button/new';
import SectionMessage from '@atlaskit/section-message';
import { Inline, Stack, Text } from '@atlaskit/primitives';
import type { ClientKeyChangeResponse, ClientKeyResponse, ProviderPreset } from '../../../../src/core/admin/admin-api-types.ts';
import { invokeResolver } from '../api.ts';
import { useReadOnly } from '../access.ts';
import type { WizardTarget } from '../wizard-context.ts';
import { CopyButton } from './copy-button.tsx';
import { KeyPanel } from './key-panel.tsx';
import { TextArea, TextInput } from './field.tsx';
import { downloadText } from '../download.ts';

/** Where each provider takes the bridge's public key (`private_key_jwt`). */
const REGISTRATION_HINTS: Record<ProviderPreset, string> = {
  okta: 'Okta: in the app’s General tab, Client Credentials → Edit, choose “Public key / Private key”, then “Use a URL to fetch keys dynamically” with the JWKS URL (or add the JWKS key by hand).',
  entra: 'Entra ID: in the app registration, Certificates & secrets → Certificates → Upload certificate, and upload the certificate (.pem). Entra ID does not fetch a JWKS URL: upload the next certificate before you activate it.',
  keycloak: 'Keycloak: in the client’s Credentials tab, set Client Authenticator to “Signed JWT” (RS256); in the Keys tab, turn on “Use JWKS URL” and paste the JWKS URL.',
  auth0: 'Auth0: in the application’s Credentials tab, choose “Private Key JWT” and add the certificate (.pem) as a credential.',
  google: 'Google does not accept private_key_jwt for OAuth web clients: use client_secret_basic with Google.',
  other: 'Register the JWKS URL at the provider (token_endpoint_auth_method private_key_jwt, RS256), or paste the JWKS there if it cannot fetch a URL.',
};

/**
 * The provider's client key on the provider step, when the bridge authenticates with
 * `private_key_jwt`: the JWKS URL to register (copy), the JWKS itself and the active certificate
 * (copy or download, for providers that take a key or a certificate instead of a URL), a hint
 * for the chosen provider, and the rotation as the signing certificate's: prepare a next key
 * (published in the JWKS at once), activate it once the provider knows it, undo for 7 days.
 * Only public values reach the page; only SSO owners may change anything (the server checks).
 */
export function ClientKey(props: { target: WizardTarget; preset: ProviderPreset; savedMethod: string | undefined }) {
  const readOnly = useReadOnly();
  const [status, setStatus] = useState<ClientKeyResponse>();
  const [busy, setBusy] = useState<string>();
  const [notice, setNotice] = useState<{ appearance: 'success' | 'error'; text: string }>();
  const { connectionId, providerId } = props.target;

  // Read again once a save chose the method: that save made the first key.
  useEffect(() => {
    let current = true;
    invokeResolver('client-key/get', { connectionId, providerId })
      .then((answer) => current && setStatus(answer))
      .catch((error: unknown) => current && setNotice({ appearance: 'error', text: error instanceof Error ? error.message : 'The client key could not be read.' }));
    return () => {
      current = false;
    };
  }, [connectionId, providerId, props.savedMethod]);

  const change = async (label: string, call: () => Promise<ClientKeyChangeResponse>, done: string) => {
    setBusy(label);
    setNotice(undefined);
    try {
      const answer = await call();
      if (answer.clientKey) setStatus({ exists: true, ...answer.clientKey });
      setNotice(answer.ok ? { appearance: 'success', text: done } : { appearance: 'error', text: answer.message });
    } catch (error) {
      setNotice({ appearance: 'error', text: error instanceof Error ? error.message : 'The request failed. Try again.' });
    } finally {
      setBusy(undefined);
    }
  };

  if (!status) return null;
  const jwksUrlField = (
    <TextInput
      label="JWKS URL"
      value={status.jwksUrl}
      readOnly
      monospace
      helper="The public keys of the bridge for this provider: the active key, and the next one while it is prepared. Register this URL at the provider."
      after={<CopyButton text={status.jwksUrl} what="JWKS URL" />}
    />
  );
  if (!status.exists) {
    return (
      <KeyPanel title="Client key">
        <Text as="p">Save this step: the bridge then makes its client key (RSA 2048, RS256). No client secret is needed or sent.</Text>
        {jwksUrlField}
      </KeyPanel>
    );
  }

  const { keys } = status;
  const jwksText = JSON.stringify(status.jwks, null, 2);
  const certificate = keys.next?.certificatePem ?? keys.active.certificatePem;
  const busyOrReadOnly = readOnly || busy !== undefined;
  const withFingerprint = (fingerprint: string) => ({ connectionId, providerId, fingerprint });
  return (
    <KeyPanel title="Client key">
      <Text as="p">The bridge signs each token request with this key (private_key_jwt); the private key never leaves the app’s secret storage.</Text>
      <SectionMessage appearance="information" title="Register the key at the provider">
        <p>{REGISTRATION_HINTS[props.preset]}</p>
      </SectionMessage>
      {jwksUrlField}
      <dl className="bridge-definitions">
        <dt>Active key (kid)</dt>
        <dd id="client-key-active-kid" className="bridge-break">
          <code>{keys.activeKid}</code>
        </dd>
        {keys.nextKid ? (
          <>
            <dt>Next key (kid)</dt>
            <dd id="client-key-next-kid" className="bridge-break">
              <code>{keys.nextKid}</code>
            </dd>
          </>
        ) : null}
      </dl>
      <TextArea
        label="JWKS"
        value={jwksText}
        readOnly
        rows={6}
        after={
          <Inline space="space.100">
            <CopyButton text={jwksText} what="JWKS" />
            <Button onClick={() => downloadText(jwksText, 'bridge-client-jwks.json', 'application/jwk-set+json')}>Download .json</Button>
          </Inline>
        }
      />
      <Inline space="space.100" alignBlock="center">
        <CopyButton text={certificate} what={keys.next ? 'next client certificate' : 'client certificate'} />
        <Button onClick={() => downloadText(certificate, keys.next ? 'bridge-client-key-next.pem' : 'bridge-client-key.pem', 'application/x-pem-file')}>
          {keys.next ? 'Download next certificate (.pem)' : 'Download certificate (.pem)'}
        </Button>
        <Text>For providers that register a certificate (Entra ID, Auth0).</Text>
      </Inline>
      {keys.next ? (
        <Inline space="space.100">
          <Button
            appearance="primary"
            isDisabled={busyOrReadOnly}
            isLoading={busy === 'activate'}
            onClick={() =>
              change('activate', () => invokeResolver('client-key/activate', withFingerprint(keys.next!.fingerprint)), 'The next key signs from the next sign-in on. Run the connection test now; if the provider refuses it, use Undo.')
            }
          >
            The provider knows it — activate
          </Button>
          <Button
            appearance="subtle"
            isDisabled={busyOrReadOnly}
            isLoading={busy === 'discard'}
            onClick={() => change('discard', () => invokeResolver('client-key/discard-next', withFingerprint(keys.next!.fingerprint)), 'The next key is gone from the JWKS; the active key keeps signing.')}
          >
            Discard next key
          </Button>
        </Inline>
      ) : (
        <Inline space="space.100" alignBlock="center">
          <Button
            isDisabled={busyOrReadOnly}
            isLoading={busy === 'prepare'}
            onClick={() => change('prepare', () => invokeResolver('client-key/prepare', { connectionId, providerId }), 'The next key is in the JWKS now. A provider that fetches the JWKS URL sees it; otherwise register it there, then activate it.')}
          >
            Prepare next key
          </Button>
          <Text>A new key beside the active one; sign-ins keep the active one until you activate it.</Text>
        </Inline>
      )}
      {keys.undo ? (
        <Inline space="space.100" alignBlock="center">
          <Button
            isDisabled={busyOrReadOnly}
            isLoading={busy === 'undo'}
            onClick={() => change('undo', () => invokeResolver('client-key/undo', withFingerprint(keys.undo!.fingerprint)), 'The previous key signs again; the one you switched away from is the next key again.')}
          >
            Undo: sign with the previous key
          </Button>
          <Text>Possible until {keys.undo.until.slice(0, 10)}.</Text>
        </Inline>
      ) : null}
      {readOnly ? <Text as="p">Only an SSO owner can prepare, activate or undo a client key.</Text> : null}
      {notice ? (
        <SectionMessage appearance={notice.appearance} title={notice.appearance === 'success' ? 'Done' : 'Nothing was changed'}>
          <p>{notice.text}</p>
        </SectionMessage>
      ) : null}
    </KeyPanel>
  );
}
