import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import type { CertificateChangeResponse, ClientKeyChangeResponse, ClientKeyResponse, ConfigGetResponse, ConfigSaveResponse, DraftApplyResponse, RolloutSaveResponse, TestResultResponse, TestStartResponse } from '../../src/core/admin/admin-api-types.js';
import type { BackupExportResponse, BackupImportResponse, BackupPreviewResponse } from '../../src/core/admin/backup-api-types.js';
import { createDemoProvider, demoUsers } from '../../dev/demo/demo-provider.js';
import { guardServiceProvider, metadataCertificate } from '../support/forge-login-support.js';
import { readAutoPost } from '../support/login-harness.js';
import { UserAgent } from '../support/user-agent.js';
import { ACS_URL, CLIENT_ID, CLIENT_SECRET, leaks, SP_ENTITY_ID, startAdminHarness, type AdminHarness } from './support/admin-harness.js';

/**
 * Backup and restore end to end, in the standalone server against a real `oidc-provider` and a
 * node-saml SP playing Guard: an installation in use exports a sealed file with its client
 * secret and signing key; a reinstalled app (same URLs, empty storage) imports it as a draft,
 * the draft passes a connection test, is applied, the restored certificate is activated as the
 * prepared next one, and a user's SAML response verifies with the SAME certificate Guard had
 * before the reinstall. Then the same for a provider that authenticates the bridge by its client
 * key (`private_key_jwt`) kept as registered: the restored client key, once activated,
 * signs in without registering anything again.
 */

const alice = demoUsers.find((u) => u.email === 'alice@example.com')!;
const stopAtAcs = (url: URL) => url.href.startsWith('https://auth.atlassian.com/');
const PASSPHRASE = 'reinstall passphrase 2026';
const opened: AdminHarness[] = [];
/** The certificate pasted into Guard before the reinstall (base64 DER, as the metadata publishes it). */
let guardCertificate = '';
const guardFingerprint = () => new X509Certificate(Buffer.from(guardCertificate, 'base64')).fingerprint256;

afterAll(async () => {
  for (const harness of opened) {
    expect(leaks(harness.answers, [CLIENT_SECRET, PASSPHRASE])).toEqual([]);
    expect(harness.answers.join('\n')).not.toContain('PRIVATE KEY');
    await harness.close().catch(() => undefined);
  }
});

async function runTest(harness: AdminHarness, providerUrl = harness.providerUrl): Promise<TestResultResponse> {
  const started = await harness.api<TestStartResponse>('test/start', {});
  expect(started.status).toBe(200);
  const agent = new UserAgent({ stopAt: stopAtAcs });
  const loginPage = await agent.get(started.body.startUrl);
  expect(loginPage.url.startsWith(providerUrl)).toBe(true);
  await agent.submit(loginPage, { fields: { email: alice.email, password: alice.password } });
  return (await harness.api<TestResultResponse>('test/result', { testId: started.body.testId })).body;
}

/** Alice signs in at an SP that trusts only `certificate` (what was pasted into Guard): the NameID node-saml accepted. */
async function loginVerifiedWith(harness: AdminHarness, certificate: string): Promise<string | undefined> {
  const sp = guardServiceProvider(harness.app.baseUrl, certificate, { issuer: SP_ENTITY_ID, callbackUrl: ACS_URL, audience: SP_ENTITY_ID });
  const agent = new UserAgent({ stopAt: stopAtAcs });
  const loginPage = await agent.get(await sp.getAuthorizeUrlAsync('', undefined, {}));
  const bridgePage = await agent.submit(loginPage, { fields: { email: alice.email, password: alice.password } });
  expect(bridgePage.status).toBe(200);
  const post = readAutoPost(bridgePage);
  const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: post.SAMLResponse!, RelayState: post.RelayState! });
  return profile?.nameID;
}

describe('backup and restore after a reinstall', () => {
  let file = '';
  let ports: { app: number; provider: number };
  let restored: AdminHarness;

  it('exports a sealed file from an installation users sign in with', async () => {
    const source = await startAdminHarness();
    opened.push(source);
    ports = { app: Number(new URL(source.app.serverUrl).port), provider: Number(new URL(source.providerUrl).port) };
    const saved = await source.api<ConfigSaveResponse>('config/save', {
      settings: { ...source.providerSettings(), serviceProvider: { entityId: SP_ENTITY_ID, acsUrl: ACS_URL }, allowedEmailDomains: ['example.com'] },
      clientSecret: CLIENT_SECRET,
    });
    expect(saved.body).toMatchObject({ ok: true });
    await expect(runTest(source)).resolves.toMatchObject({ state: 'succeeded' });
    guardCertificate = metadataCertificate(await (await fetch(`${source.app.baseUrl}/saml/metadata`)).text())!;
    await expect(loginVerifiedWith(source, guardCertificate)).resolves.toBe(alice.email);
    const exported = await source.api<BackupExportResponse>('backup/export-sealed', { passphrase: PASSPHRASE });
    expect(exported.body).toMatchObject({ ok: true });
    file = (exported.body as Extract<BackupExportResponse, { ok: true }>).file;
    expect(file).not.toContain(CLIENT_SECRET);
    await source.close();
    opened.splice(opened.indexOf(source), 1);
  });

  it('imports it into the reinstalled app as a draft, with the old key as the prepared next certificate', async () => {
    restored = await startAdminHarness({ standalone: { port: ports.app }, providerPort: ports.provider });
    opened.push(restored);
    const fresh = (await restored.api<ConfigGetResponse>('config/get', {})).body;
    expect(fresh.certificate.active.fingerprint).not.toBe(guardFingerprint());
    const preview = (await restored.api<BackupPreviewResponse>('backup/preview', { file, passphrase: PASSPHRASE })).body as Extract<BackupPreviewResponse, { ok: true }>;
    expect(preview).toMatchObject({ ok: true, encrypted: true, valid: true });
    expect(preview.connections[0]).toMatchObject({ connectionId: 'default', exists: false, signingKey: 'prepare', secrets: [{ path: 'providers.default.oidc.clientSecret', secret: 'changed' }] });
    expect(preview.connections[0]!.rows).toEqual(expect.arrayContaining([{ path: 'providers.default.oidc.clientId', change: 'added', after: '"wizard-client"' }]));
    const imported = await restored.api<BackupImportResponse>('backup/import', { file, passphrase: PASSPHRASE });
    expect(imported.body).toMatchObject({ ok: true, imported: [{ connectionId: 'default', draft: true, signingKey: 'prepare' }] });
    const config = (await restored.api<ConfigGetResponse>('config/get', {})).body;
    expect(config.certificate.next?.fingerprint).toBe(guardFingerprint());
    expect(config.certificate.active.fingerprint).toBe(fresh.certificate.active.fingerprint);
    expect(config.status.draft).toMatchObject({ testPassed: false });
  });

  it('tests the draft against the real provider with the restored secret, and applies it', async () => {
    await expect(restored.api<DraftApplyResponse>('draft/apply', {})).resolves.toMatchObject({ body: { ok: false, reason: 'untested' } });
    await expect(runTest(restored)).resolves.toMatchObject({ state: 'succeeded' });
    const applied = await restored.api<DraftApplyResponse>('draft/apply', {});
    expect(applied.body).toMatchObject({ ok: true, untested: false });
    const rollout = await restored.api<RolloutSaveResponse>('rollout/save', { rollout: { domainLinked: true, testPolicyCreated: true, adminOutsideSso: true, enforced: true } });
    expect(rollout.status).toBe(200);
  });

  it('signs with the SAME certificate as before once the owner activates it: Guard needs no change', async () => {
    const config = (await restored.api<ConfigGetResponse>('config/get', {})).body;
    const activated = await restored.api<CertificateChangeResponse>('certificate/activate', { fingerprint: config.certificate.next!.fingerprint });
    expect(activated.body).toMatchObject({ ok: true });
    await expect(loginVerifiedWith(restored, guardCertificate)).resolves.toBe(alice.email);
  });
});


/** Where the test's provider host serves the client keys registered there. */
const REGISTERED_JWKS = '/registered/client-jwks.json';

describe('backup and restore of a provider that holds the client key as registered (private_key_jwt)', () => {
  const server = http.createServer();
  let providerUrl = '';
  let file = '';
  let appPort = 0;
  let registeredKid = '';
  let restored: AdminHarness;
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('exports a sealed file from an installation that signs in with its client key, as registered at the provider', async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    providerUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const source = await startAdminHarness();
    opened.push(source);
    appPort = Number(new URL(source.app.serverUrl).port);
    const saved = await source.api<ConfigSaveResponse>('config/save', {
      settings: { preset: 'other', oidc: { issuer: providerUrl, clientId: CLIENT_ID, scopes: ['openid', 'email', 'profile'], clientAuthMethod: 'private_key_jwt' }, serviceProvider: { entityId: SP_ENTITY_ID, acsUrl: ACS_URL }, allowedEmailDomains: ['example.com'] },
    });
    expect(saved.body).toMatchObject({ ok: true });
    const clientKey = (await source.api<ClientKeyResponse>('client-key/get', {})).body;
    if (!clientKey.exists) throw new Error('no client key after choosing private_key_jwt');
    registeredKid = clientKey.keys.activeKid;
    // The provider keeps the key as it was registered, as Entra ID keeps an uploaded certificate:
    // a frozen copy of the JWKS of that day, never the bridge's JWKS URL. (Served by the test
    // rather than inline in the client: oidc-provider structuredClones static clients, which under
    // Jest yields objects of another realm that its inline-JWKS check refuses.)
    const registered = JSON.stringify(clientKey.jwks);
    const provider = await createDemoProvider({
      issuer: providerUrl,
      clients: [{ client_id: CLIENT_ID, jwks_uri: `${providerUrl}${REGISTERED_JWKS}`, redirect_uris: [`${source.app.baseUrl}/oidc/callback`], token_endpoint_auth_method: 'private_key_jwt' }],
      allowLoopbackFetch: true,
    });
    server.on('request', (req, res) => {
      if (req.url !== REGISTERED_JWKS) return provider.handle(req, res);
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(registered);
    });
    await expect(runTest(source, providerUrl)).resolves.toMatchObject({ state: 'succeeded' });
    guardCertificate = metadataCertificate(await (await fetch(`${source.app.baseUrl}/saml/metadata`)).text())!;
    const exported = await source.api<BackupExportResponse>('backup/export-sealed', { passphrase: PASSPHRASE });
    expect(exported.body).toMatchObject({ ok: true });
    file = (exported.body as Extract<BackupExportResponse, { ok: true }>).file;
    await source.close();
    opened.splice(opened.indexOf(source), 1);
  });

  it('imports the client key as the prepared next one: the new installation\'s own key is refused by the provider, the restored one signs in once activated', async () => {
    restored = await startAdminHarness({ standalone: { port: appPort } });
    opened.push(restored);
    const imported = await restored.api<BackupImportResponse>('backup/import', { file, passphrase: PASSPHRASE });
    expect(imported.body).toMatchObject({ ok: true, imported: [{ connectionId: 'default', draft: true, signingKey: 'prepare', clientKeys: [{ providerId: 'default', clientKey: 'prepare' }] }] });
    const clientKey = (await restored.api<ClientKeyResponse>('client-key/get', {})).body;
    if (!clientKey.exists) throw new Error('no client key after the import');
    expect(clientKey.keys.nextKid).toBe(registeredKid);
    expect(clientKey.keys.activeKid).not.toBe(registeredKid);
    // Signed with the new installation's own key, the provider does not know the bridge.
    await expect(runTest(restored, providerUrl)).resolves.toMatchObject({ state: 'failed' });
    const activated = await restored.api<ClientKeyChangeResponse>('client-key/activate', { fingerprint: clientKey.keys.next!.fingerprint });
    expect(activated.body).toMatchObject({ ok: true });
    await expect(runTest(restored, providerUrl)).resolves.toMatchObject({ state: 'succeeded' });
    await expect(restored.api<DraftApplyResponse>('draft/apply', {})).resolves.toMatchObject({ body: { ok: true, untested: false } });
    await restored.api<RolloutSaveResponse>('rollout/save', { rollout: { domainLinked: true, testPolicyCreated: true, adminOutsideSso: true, enforced: true } });
    const certificate = (await restored.api<ConfigGetResponse>('config/get', {})).body.certificate;
    await expect(restored.api<CertificateChangeResponse>('certificate/activate', { fingerprint: certificate.next!.fingerprint })).resolves.toMatchObject({ body: { ok: true } });
    await expect(loginVerifiedWith(restored, guardCertificate)).resolves.toBe(alice.email);
  });
});
