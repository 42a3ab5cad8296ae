import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { ConfigGetResponse, ConfigSaveResponse, ErrorsExplainResponse } from '../../src/core/admin/admin-api-types.js';
import { ADMIN_RESOLVER_KEYS } from '../../src/core/admin/admin-resolvers.js';
import { storageKeys } from '../../src/core/storage-keys.js';
import { actorHash, writeTestRecord } from '../../src/core/test-login.js';
import { adminResolver, bridgeTrigger } from '../../src/forge/index.js';
import { ForgeKeyValueStore } from '../../src/forge/kvs-stores.js';
import { AdminCheckError, isConsentRequired, requireAdmin } from '../../src/forge/require-admin.js';
import { installForgePlatform, TEST_WEB_TRIGGER_URL, type ForgePlatform } from './forge-platform.js';

// The resolvers run as Forge runs them: @forge/resolver's definitions handler with the
// invocation payload and the backend runtime payload, the admin check through @forge/api's
// asUser(), the web trigger URL through webTrigger.getUrl and storage through @forge/kvs, all
// over the platform stand-in.

const JIRA = { extension: { type: 'jira:adminPage' } };
const CONFLUENCE = { extension: { type: 'confluence:globalSettings' } };

const CLIENT_SECRET = 'forge-client-secret-do-not-leak-7f3a9c';

const SETTINGS = {
  preset: 'okta' as const,
  oidc: { issuer: 'https://example.okta.com/oauth2/default', clientId: '0oa123' },
  serviceProvider: {
    entityId: 'https://auth.atlassian.com/saml/6f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b',
    acsUrl: 'https://auth.atlassian.com/login/callback?connection=saml-6f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b',
  },
  allowedEmailDomains: ['example.com'],
};

function invoke(
  functionKey: string,
  context: Record<string, unknown>,
  payload: unknown = {},
  principal: { accountId: string } | null = { accountId: 'admin-1' },
): Promise<unknown> {
  return adminResolver({ call: { functionKey, payload }, context }, principal ? { principal } : {});
}

async function failureCode(promise: Promise<unknown>): Promise<string | undefined> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AdminCheckError);
  return (error as AdminCheckError).code;
}

describe('admin resolver on Forge', () => {
  let platform: ForgePlatform;

  beforeEach(() => {
    platform = installForgePlatform();
  });

  afterEach(() => platform.uninstall());

  it('answers config/get for a Jira admin with the web trigger URLs and nothing configured', async () => {
    const answer = (await invoke('config/get', JIRA)) as ConfigGetResponse;
    expect(platform.productRequests).toEqual([
      { provider: 'user', remote: 'jira', path: '/rest/api/3/mypermissions?permissions=ADMINISTER', method: 'GET', accept: 'application/json' },
    ]);
    expect(answer.bridge).toMatchObject({
      baseUrl: TEST_WEB_TRIGGER_URL,
      callbackUrl: `${TEST_WEB_TRIGGER_URL}/oidc/callback`,
      ssoUrl: `${TEST_WEB_TRIGGER_URL}/saml/sso`,
      idpEntityId: `${TEST_WEB_TRIGGER_URL}/saml/metadata`,
    });
    expect(answer.bridge.certificatePem).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
    expect(answer.status).toMatchObject({ configured: false, clientSecretSet: false, testPassed: false, live: false, nextStep: 'callback' });
    expect(answer.status.missing).toEqual(expect.arrayContaining(['oidc.issuer', 'oidc.clientId', 'oidc.clientSecret', 'serviceProvider.acsUrl', 'allowedEmailDomains']));
    // The signing key went to secret storage, never to plain storage.
    expect(platform.kvs.secrets.has(storageKeys.signingKey())).toBe(true);
    expect(platform.kvs.data.has(storageKeys.signingKey())).toBe(false);
  });

  it('asks Confluence when called from the Confluence settings page', async () => {
    await expect(invoke('config/get', CONFLUENCE)).resolves.toHaveProperty('status');
    expect(platform.productRequests).toEqual([
      { provider: 'user', remote: 'confluence', path: '/wiki/rest/api/user/current?expand=operations', method: 'GET', accept: 'application/json' },
    ]);
  });

  it('saves the whole configuration, with the secret in secret storage only, and reports it configured', async () => {
    const saved = (await invoke('config/save', JIRA, { settings: SETTINGS, clientSecret: CLIENT_SECRET, step: 'provider' })) as ConfigSaveResponse;
    expect(saved).toMatchObject({ ok: true, warnings: [] });
    expect(saved.ok && saved.status).toMatchObject({ configured: true, clientSecretSet: true, missing: [] });
    expect(platform.kvs.secrets.has(storageKeys.clientSecret())).toBe(true);
    expect(JSON.stringify([...platform.kvs.data.values()])).not.toContain(CLIENT_SECRET);
  });

  it('answers provider/egress as Forge: a custom domain needs the admin\'s approval', async () => {
    await expect(invoke('provider/egress', JIRA, { issuer: 'https://login.company.com/oauth2/default' })).resolves.toEqual({
      host: 'forge',
      covered: [],
      needsApproval: ['login.company.com'],
    });
  });

  it('explains a pasted Atlassian error on Forge, against the certificate in Forge\'s secret storage', async () => {
    const { bridge } = (await invoke('config/get', JIRA)) as ConfigGetResponse;
    const before = platform.kvs.requests.length;
    const explained = (await invoke('errors/explain', CONFLUENCE, {
      text: 'https://id.atlassian.com/error?error=access_denied&error_description=Certificate%20in%20SAML%20Response%20does%20not%20match',
      guardCertificate: bridge.certificatePem,
    })) as ErrorsExplainResponse;
    expect(explained).toMatchObject({ recognised: true, explanations: [{ id: 'certificate_mismatch', checks: [{ id: 'certificate_match', result: 'ok' }, { id: 'certificate_expiry', result: 'ok' }] }] });
    // Read-only: it reads Forge storage and writes nothing.
    const made = platform.kvs.requests.slice(before).map((r) => r.path);
    expect(made.length).toBeGreaterThan(0);
    expect(made.filter((path) => !/\/(get|query)$/.test(path))).toEqual([]);
    await expect(invoke('errors/explain', JIRA, { text: 7 })).resolves.toMatchObject({ error: 'bad_request' });
  });

  it('never accepts a loopback http issuer on Forge', async () => {
    const saved = (await invoke('config/save', JIRA, { settings: { oidc: { issuer: 'http://127.0.0.1:3000' } } })) as ConfigSaveResponse;
    expect(saved.ok).toBe(false);
    expect(!saved.ok && saved.errors.map((e) => e.path)).toEqual(['oidc.issuer']);
  });

  it('never returns the client secret or the private key from any resolver', async () => {
    await invoke('config/save', JIRA, { settings: SETTINGS, clientSecret: CLIENT_SECRET });
    // A backup round trip: the sealed file carries the secret and the key, which an import brings back into storage, never into an answer.
    const passphrase = 'forge backup passphrase';
    const plainFile = ((await invoke('backup/export', JIRA, {})) as { file: string }).file;
    const sealedFile = ((await invoke('backup/export-sealed', JIRA, { passphrase })) as { file: string }).file;
    const payloads: Record<string, unknown[]> = {
      'config/get': [{}],
      'config/save': [{ settings: { allowedEmailDomains: ['example.com', 'example.org'] } }, { settings: { oidc: { clientId: '' } }, clientSecret: 'x' }],
      'provider/discover': [{ issuer: 'https://example.okta.com/oauth2/default' }],
      'provider/egress': [{ issuer: 'https://login.company.com/oauth2/default' }],
      'sp/parse-metadata': [{ xml: '<x/>' }],
      'test/start': [{}],
      'test/result': [{ testId: 'AAAAAAAAAAAAAAAAAAAAAA' }],
      'rollout/save': [{ rollout: { domainLinked: true } }],
      'users/preview': [{}],
      'idp/metadata': [{}],
      'connections/save': [{ name: 'Sandbox' }, { connectionId: 'default', name: 'Production' }],
      'providers/save': [{ connectionId: 'default', name: 'Entra ID' }],
      'providers/delete': [{ connectionId: 'default', providerId: 'nope', expectedRevision: 1 }],
      'connections/delete': [{ connectionId: 'nope', expectedRevision: 1 }],
      'audit/query': [{}, { email: 'alice@example.com' }],
      'audit/export': [{}],
      'owners/get': [{}],
      'owners/add': [{ id: '557058:f58131cb-b67d-43c7-b30d-6b58d40bd077' }],
      'owners/remove': [{ id: '557058:f58131cb-b67d-43c7-b30d-6b58d40bd077' }],
      'ownership/request': [{}],
      'ownership/cancel': [{}],
      'draft/apply': [{ confirmUntested: 'APPLY UNTESTED' }],
      'draft/discard': [{}],
      'certificate/prepare': [{}],
      // The fingerprint of the next certificate is not known here: refused as changed, which
      // still answers the status (with the next certificate's PEM, never its key).
      'certificate/activate': [{ fingerprint: '00:'.repeat(31) + '00' }],
      'certificate/discard-next': [{ fingerprint: '00:'.repeat(31) + '00' }],
      'certificate/undo': [{ fingerprint: '00:'.repeat(31) + '00' }],
      // The first prepare makes the provider's client key, the second a next one beside it.
      'client-key/prepare': [{}, { connectionId: 'default', providerId: 'default' }],
      'client-key/get': [{}],
      'client-key/activate': [{ fingerprint: '00:'.repeat(31) + '00' }],
      'client-key/discard-next': [{ fingerprint: '00:'.repeat(31) + '00' }],
      'client-key/undo': [{ fingerprint: '00:'.repeat(31) + '00' }],
      'errors/explain': [{ text: 'https://id.atlassian.com/error?error=access_denied&error_description=assertion%20has%20expired' }],
      'providers/health': [{}, { connectionId: 'default', recheck: true }],
      'backup/export': [{}, { connectionId: 'default' }],
      'backup/export-sealed': [{ passphrase }],
      'backup/preview': [{ file: plainFile }, { file: sealedFile, passphrase }],
      'backup/import': [{ file: sealedFile, passphrase }, { file: plainFile }],
    };
    expect(Object.keys(payloads).sort()).toEqual([...ADMIN_RESOLVER_KEYS].sort());
    const answers: unknown[] = [];
    for (const [key, list] of Object.entries(payloads)) {
      for (const payload of list) answers.push(await invoke(key, JIRA, payload).catch((error: unknown) => String(error)));
    }
    const privateKey = (platform.kvs.secrets.get(storageKeys.signingKey())?.value as { v?: { privateKeyPem?: string } } | undefined)?.v?.privateKeyPem;
    const serialized = JSON.stringify(answers);
    expect(serialized).not.toContain(CLIENT_SECRET);
    expect(privateKey).toMatch(/PRIVATE KEY/);
    const keyBody = privateKey!.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
    expect(serialized.replace(/\\n/g, '')).not.toContain(keyBody.slice(0, 64));
    expect(serialized).not.toContain('PRIVATE KEY');
    // The prepared next key's private half stays in secret storage too.
    const ring = platform.kvs.data.get(storageKeys.signingKeyRing())?.value as { v?: { next?: { id: string } } } | undefined;
    const nextId = ring?.v?.next?.id;
    expect(nextId).toBeDefined();
    const nextKey = (platform.kvs.secrets.get(storageKeys.signingKeyOf('default', nextId!))?.value as { v?: { privateKeyPem?: string } } | undefined)?.v?.privateKeyPem;
    expect(nextKey).toMatch(/PRIVATE KEY/);
    expect(serialized.replace(/\\n/g, '')).not.toContain(nextKey!.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '').slice(0, 64));
    // So do the provider's client keys (private_key_jwt): the active one and the prepared one.
    const clientRing = platform.kvs.data.get(storageKeys.clientKeyRing('default', 'default'))?.value as { v?: { active: { id: string }; next?: { id: string } } } | undefined;
    const clientKeyIds = [clientRing?.v?.active.id, clientRing?.v?.next?.id];
    expect(clientKeyIds.every(Boolean)).toBe(true);
    for (const id of clientKeyIds) {
      const pem = (platform.kvs.secrets.get(storageKeys.clientKeyOf('default', 'default', id!))?.value as { v?: { privateKeyPem?: string } } | undefined)?.v?.privateKeyPem;
      expect(pem).toMatch(/PRIVATE KEY/);
      expect(serialized.replace(/\\n/g, '')).not.toContain(pem!.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '').slice(0, 64));
    }
  });

  it.each(ADMIN_RESOLVER_KEYS)('refuses %s to a Jira user without ADMINISTER, before reading storage', async (key) => {
    platform.user.jiraAdmin = false;
    await expect(invoke(key, JIRA, {})).resolves.toEqual({ error: 'not_admin', message: expect.any(String) });
    expect(platform.kvs.requests).toEqual([]);
  });

  it('refuses a Confluence user who cannot administer the application', async () => {
    platform.user.confluenceAdmin = false;
    await expect(invoke('config/save', CONFLUENCE, { settings: SETTINGS, clientSecret: CLIENT_SECRET })).resolves.toMatchObject({ error: 'not_admin' });
    expect(platform.kvs.secrets.has(storageKeys.clientSecret())).toBe(false);
  });

  it('refuses a call without a user, without asking the product', async () => {
    await expect(invoke('config/get', JIRA, {}, null)).resolves.toMatchObject({ error: 'not_admin' });
    expect(platform.productRequests).toEqual([]);
  });

  it('fails closed with admin_check_failed when the product cannot answer', async () => {
    platform.user.productStatus = 500;
    await expect(invoke('config/get', JIRA)).resolves.toMatchObject({ error: 'admin_check_failed' });
    expect(platform.kvs.requests).toEqual([]);
  });

  it('lets the platform\'s consent-required error through unchanged, so Forge shows the consent prompt', async () => {
    platform.user.consentRequired = true;
    const error = await invoke('config/get', JIRA).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe('NEEDS_AUTHENTICATION_ERR');
    expect(error).not.toBeInstanceOf(AdminCheckError);
    expect(platform.kvs.requests).toEqual([]);
    // Once the user has consented, the same call answers.
    platform.user.consentRequired = false;
    await expect(invoke('config/get', JIRA)).resolves.toHaveProperty('status');
  });

  it('makes the Jira admin who first saves the SSO owner, by account id, and shows every other admin the settings read-only', async () => {
    const owner = { accountId: '557058:0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d' };
    const other = { accountId: '5b10ac8d82e05b22cc7d4ef5' };
    await expect(invoke('config/save', JIRA, { settings: SETTINGS, clientSecret: CLIENT_SECRET }, owner)).resolves.toMatchObject({ ok: true });
    // Another product admin (the ADMINISTER check passes) cannot point the app at a provider of theirs.
    await expect(invoke('config/save', JIRA, { settings: { oidc: { issuer: 'https://attacker.example/oauth2' } } }, other)).resolves.toMatchObject({ error: 'owner_required' });
    await expect(invoke('providers/save', CONFLUENCE, { connectionId: 'default', name: 'Attacker' }, other)).resolves.toMatchObject({ error: 'owner_required' });
    await expect(invoke('config/get', JIRA, {}, other)).resolves.toMatchObject({ settings: { oidc: { issuer: SETTINGS.oidc.issuer } } });
    await expect(invoke('owners/get', JIRA, {}, other)).resolves.toMatchObject({ owners: [{ id: owner.accountId }], you: other.accountId, youAreOwner: false });
    // The owner adds the other admin by account id; from then on their change is accepted.
    await expect(invoke('owners/add', JIRA, { id: other.accountId }, owner)).resolves.toMatchObject({ owners: [{ id: owner.accountId }, { id: other.accountId, addedBy: owner.accountId }] });
    await expect(invoke('config/save', JIRA, { settings: { allowedEmailDomains: ['example.com', 'example.org'] } }, other)).resolves.toMatchObject({ ok: true });
    // The owners live in the app's own storage, under compare-and-set, beside the connections.
    expect(platform.kvs.data.has(storageKeys.owners())).toBe(true);
  });

  it('answers bad_request for a payload that is not what the resolver takes', async () => {
    await expect(invoke('config/save', JIRA, { settings: { oidc: { issuer: 42 } } })).resolves.toMatchObject({ error: 'bad_request' });
    await expect(invoke('config/get', JIRA, { unexpected: true })).resolves.toMatchObject({ error: 'bad_request' });
  });

  it('reads back a connection test that ended at the web trigger, with the reference of the page', async () => {
    // A test whose provider settings were removed before the callback: the web trigger answers
    // its error page and stores the failure, which test/result shows with the same reference.
    const store = new ForgeKeyValueStore({ now: () => Date.now() });
    const now = Date.now();
    const testId = 'ForgeTest000000000000001';
    await writeTestRecord(store, testId, { v: 1, state: 'pending', actorHash: actorHash('admin-1'), createdAt: now, expiresAt: now + 600_000 });
    const state = 'F'.repeat(43); // the shape of an issued state (32 random bytes, base64url)
    await store.set(storageKeys.login(state), {
      v: 1,
      kind: 'test',
      testId,
      samlRequestId: '',
      relayState: null,
      nonce: 'n',
      codeVerifier: 'c',
      forceAuthn: false,
      createdAt: now,
      expiresAt: now + 600_000,
      spEntityId: '',
      browserHash: null,
    });
    const page = await bridgeTrigger(
      { method: 'GET', userPath: '/oidc/callback', queryParameters: { state: [state], code: ['code'] }, headers: {}, body: '' },
      { installContext: 'ari:cloud:jira::site/test' },
    );
    expect(page.statusCode).toBe(503);
    expect(page.headers['X-Bridge-Error']).toEqual(['config_missing']);
    const reference = page.headers['X-Bridge-Reference']![0];
    await expect(invoke('test/result', JIRA, { testId })).resolves.toMatchObject({ state: 'failed', code: 'config_missing', reference });
  });

  describe('requireAdmin', () => {
    it('refuses a call from a module of another product', async () => {
      await expect(failureCode(requireAdmin({ accountId: 'u', extension: { type: 'bitbucket:repoSettings' } }))).resolves.toBe(
        'admin_required',
      );
      await expect(failureCode(requireAdmin({ accountId: 'u' }))).resolves.toBe('admin_required');
      expect(platform.productRequests).toEqual([]);
    });

    it('refuses a call without an account id, or with an empty one, without asking the product', async () => {
      await expect(failureCode(requireAdmin({ ...JIRA }))).resolves.toBe('admin_required');
      await expect(failureCode(requireAdmin({ accountId: '', ...JIRA }))).resolves.toBe('admin_required');
      await expect(failureCode(requireAdmin({ accountId: 42 as unknown as string, ...CONFLUENCE }))).resolves.toBe('admin_required');
      expect(platform.productRequests).toEqual([]);
    });

    // Anything but the documented "yes" is "not an admin": refused as admin_required, and never
    // a crash on a missing part (which would read as the product failing, admin_check_failed).
    it.each([
      ['null', null],
      ['a string', 'yes'],
      ['an array', [{ permissions: { ADMINISTER: { havePermission: true } } }]],
      ['permissions null', { permissions: null }],
      ['ADMINISTER null', { permissions: { ADMINISTER: null } }],
      ['havePermission as a string', { permissions: { ADMINISTER: { havePermission: 'true' } } }],
    ])('takes a Jira answer of %s as not an admin', async (_, body) => {
      platform.user.productBody = body;
      await expect(failureCode(requireAdmin({ accountId: 'u', ...JIRA }))).resolves.toBe('admin_required');
    });

    it.each([
      ['null', null],
      ['operations as an object', { operations: { operation: 'administer', targetType: 'application' } }],
      ['a null operation before the others', { operations: [null, { operation: 'use', targetType: 'application' }] }],
      ['administer of a space, not the application', { operations: [{ operation: 'administer', targetType: 'space' }] }],
      ['another operation on the application', { operations: [{ operation: 'use', targetType: 'application' }] }],
    ])('takes a Confluence answer of %s as not an admin', async (_, body) => {
      platform.user.productBody = body;
      await expect(failureCode(requireAdmin({ accountId: 'u', ...CONFLUENCE }))).resolves.toBe('admin_required');
    });

    it('says which check refused, by name and message (what the resolver logs)', async () => {
      platform.user.jiraAdmin = false;
      const error = await requireAdmin({ accountId: 'u', ...JIRA }).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'AdminCheckError', code: 'admin_required', message: 'admin_required: not a jira administrator' });
      expect(new AdminCheckError('admin_check_failed').message).toBe('admin_check_failed');
    });

    it('fails closed when the product cannot answer', async () => {
      platform.user.productStatus = 500;
      await expect(failureCode(requireAdmin({ accountId: 'u', ...JIRA }))).resolves.toBe('admin_check_failed');
      platform.user.productStatus = 403;
      await expect(failureCode(requireAdmin({ accountId: 'u', ...CONFLUENCE }))).resolves.toBe('admin_check_failed');
    });

    it('rethrows the consent-required error as it is, for either product', async () => {
      platform.user.consentRequired = true;
      for (const module of [JIRA, CONFLUENCE]) {
        const error = await requireAdmin({ accountId: 'u', ...module }).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).not.toBeInstanceOf(AdminCheckError);
        expect((error as Error).name).toBe('NEEDS_AUTHENTICATION_ERR');
        expect(isConsentRequired(error)).toBe(true);
      }
      expect(isConsentRequired(new AdminCheckError('admin_check_failed'))).toBe(false);
    });

    it('resolves for an admin', async () => {
      await expect(requireAdmin({ accountId: 'u', ...JIRA })).resolves.toBeUndefined();
      await expect(requireAdmin({ accountId: 'u', ...CONFLUENCE })).resolves.toBeUndefined();
    });
  });
});
