import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ValidateInResponseTo, type SamlConfig } from '@node-saml/node-saml';
import type { ConfigSaveResponse } from '../../src/core/admin/admin-api-types.js';
import { storageKeys } from '../../src/core/storage-keys.js';
import type { WebTriggerEvent } from '../../src/forge/web-trigger.js';
import { TEST_WEB_TRIGGER_URL } from '../forge/forge-platform.js';
import { FORGE_BUNDLE_DIR, startForgeBundleHost, type ForgeBundleHost } from '../support/forge-bundle.js';
import { guardServiceProvider, installFetchRoutes, metadataCertificate, pinnedHttpsFetch, providerStepSave, startHttpsDemoProvider, webTriggerFetch } from '../support/forge-login-support.js';
import { ACS_URL, alice, CLIENT_SECRET, readAutoPost, signInAtProvider, SP_ENTITY_ID, stopAtAcs } from '../support/login-harness.js';
import { Page, UserAgent } from '../support/user-agent.js';
import type { DemoUser } from '../../dev/demo/demo-provider.js';
import type { AuditQueryResponse, CertificateChangeResponse, ClientKeyResponse, ConnectionChangeResponse, ProviderHealthResponse } from '../../src/core/admin/admin-api-types.js';
import type { BackupExportResponse, BackupImportResponse, BackupPreviewResponse } from '../../src/core/admin/backup-api-types.js';

// What ships is what is tested: the handler file Forge's own bundler (@forge/bundler, the
// webpack build of `forge deploy`) wrote from manifest.yml, loaded under Node 22 in a process of
// its own with the platform stand-ins around it (test/support/forge-bundle-host.ts). Nothing of
// the app is imported from src here: every call goes through the bundle's exported functions.
//
// The network: node-saml (the service provider) and the user agent here → the web trigger URL,
// each request one invocation of the bundled `bridgeTrigger` → the bundle's own fetch to the demo
// oidc-provider over https (its certificate trusted through NODE_EXTRA_CA_CERTS) → back.

const INSTALL_CONTEXT = 'ari:cloud:jira::site/22222222-2222-2222-2222-222222222222';
const GIVEN_NAME = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname';
const JIRA_ADMIN_PAGE = { extension: { type: 'jira:adminPage' } };
/** The page at the SP that posts the AuthnRequest (HTTP-POST binding): a cross-site POST. */
const SP_PAGE = 'https://auth.atlassian.test/login';
const SANDBOX = { entityId: 'https://auth.atlassian.test/saml/sandbox-0001', acsUrl: 'https://auth.atlassian.test/login/callback?connection=saml-sandbox-0001' };
const SUBSIDIARY_CLIENT = { id: 'subsidiary-client', secret: 'subsidiary-client-secret-abcdef012345' };
const carol: DemoUser = { sub: 'carol-0001', email: 'carol@subsidiary.test', email_verified: true, password: 'carol-pass', given_name: 'Carol', family_name: 'Sub', name: 'Carol Sub' };
/** A subsidiary user claiming an address of the parent's domain. */
/** The user of the provider that authenticates the bridge with its client key (private_key_jwt). */
const dave: DemoUser = { sub: 'dave-0003', email: 'dave@keyed.test', email_verified: true, password: 'dave-pass', given_name: 'Dave', family_name: 'Key', name: 'Dave Key' };
/** The client's JWKS URL as the keyed provider knows it: forwarded to the bundle's URL once the provider exists (its id is made then). */
const KEYED_JWKS_ALIAS = 'https://jwks.keyed.test/';
const eve: DemoUser = { sub: 'eve-0002', email: 'eve@example.com', email_verified: true, password: 'eve-pass', given_name: 'Eve', family_name: 'Sub', name: 'Eve Sub' };

/** The function handlers manifest.yml names (`<file below src>.<export>`). */
function manifestHandlers(): string[] {
  const manifest = readFileSync(new URL('../../manifest.yml', import.meta.url), 'utf8');
  return [...manifest.matchAll(/^\s+handler:\s*(\S+)\s*$/gm)].map((m) => m[1]!);
}

describe('the app as Forge builds it, on Node 22', () => {
  let host: ForgeBundleHost;
  let provider: Awaited<ReturnType<typeof startHttpsDemoProvider>>;
  /** A second provider, the subsidiary's, for a connection with two providers. */
  let subsidiary: Awaited<ReturnType<typeof startHttpsDemoProvider>>;
  /** A third provider, registered with private_key_jwt: no client secret. */
  let keyed: Awaited<ReturnType<typeof startHttpsDemoProvider>>;
  let keyedJwksUrl = '';
  let issuer: string;
  let restoreFetch: () => void;
  let caDirectory: string;
  let certificate: string;
  const triggerCalls: { event: WebTriggerEvent; status: number }[] = [];

  const serviceProvider = (options: Partial<SamlConfig> = {}) => guardServiceProvider(TEST_WEB_TRIGGER_URL, certificate, options);

  const saveSettings = (principal: string) =>
    host.adminResolver({ call: { functionKey: 'config/save', payload: providerStepSave(issuer) }, context: JIRA_ADMIN_PAGE }, { principal: { accountId: principal } });

  beforeAll(async () => {
    provider = await startHttpsDemoProvider(`${TEST_WEB_TRIGGER_URL}/oidc/callback`);
    subsidiary = await startHttpsDemoProvider(`${TEST_WEB_TRIGGER_URL}/oidc/callback`, { users: [carol, eve], client: SUBSIDIARY_CLIENT });
    keyed = await startHttpsDemoProvider(`${TEST_WEB_TRIGGER_URL}/oidc/callback`, { users: [dave], client: { id: 'keyed-client', jwksUri: KEYED_JWKS_ALIAS } });
    issuer = provider.issuer;
    caDirectory = mkdtempSync(path.join(tmpdir(), 'forge-bundle-ca-'));
    writeFileSync(path.join(caDirectory, 'ca.pem'), `${provider.certificate}\n${subsidiary.certificate}\n${keyed.certificate}`);
    host = await startForgeBundleHost({ env: { NODE_EXTRA_CA_CERTS: path.join(caDirectory, 'ca.pem') } });
    restoreFetch = installFetchRoutes({
      [`${TEST_WEB_TRIGGER_URL}/`]: webTriggerFetch(TEST_WEB_TRIGGER_URL, (event, context) => host.bridgeTrigger(event, context!), { installContext: INSTALL_CONTEXT }, (event, response) =>
        triggerCalls.push({ event, status: response.statusCode }),
      ),
      [`${issuer}/`]: pinnedHttpsFetch(issuer, provider.certificate),
      [`${subsidiary.issuer}/`]: pinnedHttpsFetch(subsidiary.issuer, subsidiary.certificate),
      [`${keyed.issuer}/`]: pinnedHttpsFetch(keyed.issuer, keyed.certificate),
      // The keyed provider's fetch of the client JWKS, answered by the bundled web trigger.
      [KEYED_JWKS_ALIAS]: () => fetch(keyedJwksUrl),
    });
  }, 60_000);

  afterAll(async () => {
    restoreFetch?.();
    await host?.close();
    await provider?.close();
    await subsidiary?.close();
    await keyed?.close();
    if (caDirectory) rmSync(caDirectory, { recursive: true, force: true });
  });

  it('exports every function handler manifest.yml names, and runs on Node 22', async () => {
    const handlers = manifestHandlers();
    expect(handlers.length).toBeGreaterThan(0);
    const loaded = await host.exports();
    expect(loaded.nodeVersion).toMatch(/^v22\./);
    for (const handler of handlers) {
      const [file, name] = handler.split('.');
      // One handler file per manifest module; this suite loads index.cjs.
      expect(file).toBe('index');
      expect(loaded.types[name!]).toBe('function');
    }
  });

  it('carries neither the standalone server, the demo peers nor native addons', () => {
    const files = readdirSync(FORGE_BUNDLE_DIR, { recursive: true }) as string[];
    expect(files.filter((f) => f.endsWith('.node'))).toEqual([]);
    // The npm packages inside, as the Forge bundler itself reports them.
    const report = JSON.parse(readFileSync(`${FORGE_BUNDLE_DIR.replace(/\/$/, '')}.json`, 'utf8')) as { modules: string[]; warnings: string[] };
    expect(report.modules).toEqual(expect.arrayContaining(['@forge/api', '@forge/kvs', '@forge/resolver', 'openid-client', 'libxml2-wasm', 'node-forge']));
    // The login path has no JavaScript XML DOM: libxml2 reads requests, signs and canonicalizes.
    for (const excluded of ['better-sqlite3', 'oidc-provider', '@node-saml/node-saml', 'samlp', 'samlify', 'xml-crypto', '@xmldom/xmldom']) {
      expect(report.modules).not.toContain(excluded);
    }
    expect(report.warnings).toEqual([]);
    const sources = files
      .filter((f) => f.endsWith('.cjs.map'))
      .flatMap((f) => (JSON.parse(readFileSync(path.join(FORGE_BUNDLE_DIR, f), 'utf8')) as { sources: string[] }).sources);
    // The app's own modules, from the source maps: the compiled core and Forge adapter only.
    const appSources = sources.filter((s) => !s.includes('node_modules'));
    expect(appSources).toEqual(expect.arrayContaining([expect.stringContaining('build/app/core/bridge.js'), expect.stringContaining('build/app/forge/index.js')]));
    expect(appSources.filter((s) => /standalone|demo|\bdev\//.test(s))).toEqual([]);
    // The npm packages again, from the source maps: every bundled file's package by its lockfile
    // path, each one a production package (not marked dev), so none of the dev-only demo peers.
    const lock = JSON.parse(readFileSync(new URL('../../package-lock.json', import.meta.url), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
    const bundled = [...new Set(sources.flatMap((s) => /(node_modules\/(?:@[^/]+\/)?[^/]+(?:\/node_modules\/(?:@[^/]+\/)?[^/]+)*)\//.exec(s)?.[1] ?? []))];
    expect(bundled).toEqual(expect.arrayContaining(['node_modules/@forge/api', 'node_modules/openid-client', 'node_modules/libxml2-wasm']));
    expect(bundled.filter((at) => lock.packages[at] === undefined || lock.packages[at].dev)).toEqual([]);
  });

  it('refuses config/save from a user who is not a site admin, and stores nothing', async () => {
    await host.request({ type: 'user', jiraAdmin: false });
    try {
      const refused = await saveSettings('someone-1');
      expect(refused).toMatchObject({ error: 'not_admin' });
      expect(await host.request({ type: 'kvs', op: 'has-secret', key: storageKeys.clientSecret() })).toBe(false);
    } finally {
      await host.request({ type: 'user', jiraAdmin: true });
    }
  });

  it('saves the settings through the bundled admin resolver, the secret into secret storage only', async () => {
    const saved = (await saveSettings('admin-1')) as ConfigSaveResponse;
    expect(saved).toMatchObject({ ok: true });
    expect(await host.request({ type: 'kvs', op: 'has-secret', key: storageKeys.clientSecret() })).toBe(true);
    expect(await host.request<string>({ type: 'kvs', op: 'values' })).not.toContain(CLIENT_SECRET);
    const read = await host.adminResolver({ call: { functionKey: 'config/get', payload: {} }, context: JIRA_ADMIN_PAGE }, { principal: { accountId: 'admin-1' } });
    expect(JSON.stringify(read)).toContain(SP_ENTITY_ID);
    expect(JSON.stringify(read)).not.toContain(CLIENT_SECRET);
  });

  it('serves /saml/metadata with the signing certificate', async () => {
    const metadata = await fetch(`${TEST_WEB_TRIGGER_URL}/saml/metadata`);
    expect(metadata.status).toBe(200);
    const xml = await metadata.text();
    expect(xml).toContain('IDPSSODescriptor');
    expect(xml).toContain(`Location="${TEST_WEB_TRIGGER_URL}/saml/sso"`);
    certificate = metadataCertificate(xml) ?? '';
    expect(certificate.length).toBeGreaterThan(500);
  });

  it('explains a pasted Atlassian error through the bundled admin resolver, against the certificate it signs with', async () => {
    const explain = (guardCertificate: string) =>
      host.adminResolver(
        {
          call: {
            functionKey: 'errors/explain',
            payload: { text: 'https://id.atlassian.com/error?error=access_denied&error_description=Certificate%20in%20SAML%20Response%20does%20not%20match', guardCertificate },
          },
          context: JIRA_ADMIN_PAGE,
        },
        { principal: { accountId: 'admin-1' } },
      );
    // The metadata's certificate (the test above), as an admin would have pasted it into Guard.
    const pem = `-----BEGIN CERTIFICATE-----\n${certificate}\n-----END CERTIFICATE-----`;
    await expect(explain(pem)).resolves.toMatchObject({ recognised: true, explanations: [{ id: 'certificate_mismatch', checks: [{ id: 'certificate_match', result: 'ok' }, { id: 'certificate_expiry', result: 'ok' }] }] });
    await expect(explain('MIIB')).resolves.toMatchObject({ explanations: [{ checks: [{ id: 'certificate_match', result: 'problem' }, { id: 'certificate_expiry' }] }] });
  });

  it('logs a user in with the HTTP-Redirect binding, verified by node-saml; a replayed callback is refused', async () => {
    const sp = serviceProvider();
    const relayState = 'https://start.atlassian.com/?a=1&b="<x>"';
    const agent = new UserAgent({ stopAt: stopAtAcs });
    const since = triggerCalls.length;
    const loginPage = await agent.get(await sp.getAuthorizeUrlAsync(relayState, undefined, {}));
    expect(loginPage.status).toBe(200);
    expect(new URL(loginPage.url).origin).toBe(issuer);
    const bridgePage = await signInAtProvider(agent, loginPage, alice);
    expect(bridgePage.status).toBe(200);
    const post = readAutoPost(bridgePage);
    expect(post.action).toBe(ACS_URL);
    expect(post.RelayState).toBe(relayState);
    const { profile, loggedOut } = await sp.validatePostResponseAsync({ SAMLResponse: post.SAMLResponse!, RelayState: post.RelayState! });
    expect(loggedOut).toBe(false);
    expect(profile?.nameID).toBe(alice.email);
    expect(profile?.[GIVEN_NAME]).toBe(alice.given_name);
    expect(triggerCalls.slice(since).map((c) => [c.event.userPath, c.status])).toEqual([
      ['/saml/sso', 302],
      ['/oidc/callback', 200],
    ]);

    const callback = triggerCalls.slice(since).find((c) => c.event.userPath === '/oidc/callback')!.event;
    const replayed = await host.bridgeTrigger(structuredClone(callback), { installContext: INSTALL_CONTEXT });
    expect(replayed.statusCode).toBe(400);
    expect(replayed.headers['X-Bridge-Error']).toEqual(['login_unknown']);
    expect(replayed.body).not.toContain('SAMLResponse');
  });

  it('logs a user in with the HTTP-POST binding, verified by node-saml', async () => {
    // node-saml deflates HTTP-POST messages unless told not to; the binding says base64 only.
    const sp = serviceProvider({ authnRequestBinding: 'HTTP-POST', skipRequestCompression: true });
    const relayState = 'https://start.atlassian.com/?continue=/wiki';
    const form = new Page(SP_PAGE, 200, new Headers({ 'content-type': 'text/html' }), await sp.getAuthorizeFormAsync(relayState, undefined, {}), []).form();
    expect(form.action).toBe(`${TEST_WEB_TRIGGER_URL}/saml/sso`);
    const agent = new UserAgent({ stopAt: stopAtAcs });
    const loginPage = await agent.post(form.action, form.fields, { initiator: SP_PAGE });
    expect(loginPage.hops[0]).toEqual(expect.objectContaining({ method: 'POST', status: 302 }));
    const bridgePage = await signInAtProvider(agent, loginPage, alice);
    const post = readAutoPost(bridgePage);
    expect(post.action).toBe(ACS_URL);
    const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: post.SAMLResponse!, RelayState: post.RelayState! });
    expect(profile?.nameID).toBe(alice.email);
  });

  it('refuses an AuthnRequest from a service provider it does not know, with a reference and no SAML response', async () => {
    const stranger = serviceProvider({ issuer: 'https://auth.atlassian.test/saml/someone-else' });
    const page = await new UserAgent({ stopAt: stopAtAcs }).get(await stranger.getAuthorizeUrlAsync('', undefined, {}));
    expect(page.status).toBe(400);
    expect(page.headers.get('x-bridge-error')).toBe('saml_unknown_sp');
    expect(page.body).toMatch(/Reference/i);
    expect(page.body).not.toContain('SAMLResponse');
  });

  it('serves a connection\'s start URL under the web trigger: off until an owner turns it on, then an unsolicited response node-saml verifies', async () => {
    const startUrl = `${TEST_WEB_TRIGGER_URL}/saml/start/default`;
    const off = await new UserAgent({ stopAt: stopAtAcs }).get(startUrl);
    expect(off.status).toBe(404);
    expect(off.headers.get('x-bridge-error')).toBe('idp_initiated_off');
    expect(off.body).not.toContain('SAMLResponse');

    const turnOn = { settings: { atlassianSiteUrl: 'https://acme.atlassian.net', idpInitiated: { enabled: true, relayState: 'https://acme.atlassian.net/wiki' } } };
    const saved = await host.adminResolver({ call: { functionKey: 'config/save', payload: turnOn }, context: JIRA_ADMIN_PAGE }, { principal: { accountId: 'admin-1' } });
    expect(saved).toMatchObject({ ok: true });
    const read = (await host.adminResolver({ call: { functionKey: 'config/get', payload: {} }, context: JIRA_ADMIN_PAGE }, { principal: { accountId: 'admin-1' } })) as { bridge: { idpInitiatedStartUrl: string } };
    expect(read.bridge.idpInitiatedStartUrl).toBe(startUrl);

    const since = triggerCalls.length;
    const agent = new UserAgent({ stopAt: stopAtAcs });
    const bridgePage = await signInAtProvider(agent, await agent.get(startUrl), alice);
    const post = readAutoPost(bridgePage);
    expect(post.action).toBe(ACS_URL);
    expect(post.RelayState).toBe('https://acme.atlassian.net/wiki');
    expect(Buffer.from(post.SAMLResponse!, 'base64').toString('utf8')).not.toContain('InResponseTo');
    const { profile } = await serviceProvider({ validateInResponseTo: ValidateInResponseTo.ifPresent }).validatePostResponseAsync({ SAMLResponse: post.SAMLResponse!, RelayState: post.RelayState! });
    expect(profile?.nameID).toBe(alice.email);
    expect(triggerCalls.slice(since).map((c) => [c.event.userPath, c.status])).toEqual([
      ['/saml/start/default', 302],
      ['/oidc/callback', 200],
    ]);
    const foreign = await new UserAgent({ stopAt: stopAtAcs }).get(`${startUrl}?target=${encodeURIComponent('//evil.example/')}`);
    expect(foreign.headers.get('x-bridge-error')).toBe('idp_initiated_target_refused');

    // Off again, so the connections below are as they were.
    const turnOff = { settings: { idpInitiated: { enabled: false, relayState: '' }, atlassianSiteUrl: '' } };
    await expect(host.adminResolver({ call: { functionKey: 'config/save', payload: turnOff }, context: JIRA_ADMIN_PAGE }, { principal: { accountId: 'admin-1' } })).resolves.toMatchObject({ ok: true });
  });

  it('rotates the signing certificate through the bundled resolvers: the next login verifies with the new certificate only', async () => {
    const admin = (functionKey: string, payload: unknown) =>
      host.adminResolver({ call: { functionKey, payload }, context: JIRA_ADMIN_PAGE }, { principal: { accountId: 'admin-1' } }) as Promise<CertificateChangeResponse>;
    const prepared = await admin('certificate/prepare', {});
    if (!prepared.ok) throw new Error(prepared.message);
    const activated = await admin('certificate/activate', { fingerprint: prepared.certificate.next!.fingerprint });
    expect(activated).toMatchObject({ ok: true });
    const old = certificate;
    certificate = metadataCertificate(await (await fetch(`${TEST_WEB_TRIGGER_URL}/saml/metadata`)).text())!;
    expect(certificate).toBe(prepared.certificate.next!.certificatePem.replace(/-----[^-]+-----|\s+/g, ''));
    const sp = serviceProvider();
    const agent = new UserAgent({ stopAt: stopAtAcs });
    const post = readAutoPost(await signInAtProvider(agent, await agent.get(await sp.getAuthorizeUrlAsync('relay', undefined, {})), alice));
    await expect(sp.validatePostResponseAsync({ SAMLResponse: post.SAMLResponse!, RelayState: post.RelayState! })).resolves.toMatchObject({ loggedOut: false });
    const withOld = guardServiceProvider(TEST_WEB_TRIGGER_URL, old, { validateInResponseTo: ValidateInResponseTo.never });
    await expect(withOld.validatePostResponseAsync({ SAMLResponse: post.SAMLResponse!, RelayState: post.RelayState! })).rejects.toThrow(/signature/i);
  });

  it('exports a sealed backup and reads it back through the bundled resolvers: nothing to change, the key the active one, no secret in any answer', async () => {
    const admin = <T,>(functionKey: string, payload: unknown) =>
      host.adminResolver({ call: { functionKey, payload }, context: JIRA_ADMIN_PAGE }, { principal: { accountId: 'admin-1' } }) as Promise<T>;
    const passphrase = 'bundle backup passphrase';
    const exported = await admin<BackupExportResponse>('backup/export-sealed', { passphrase });
    if (!exported.ok) throw new Error(exported.message);
    const preview = await admin<BackupPreviewResponse>('backup/preview', { file: exported.file, passphrase });
    expect(preview).toMatchObject({ ok: true, encrypted: true, valid: true, connections: [{ connectionId: 'default', rows: [], secrets: [{ secret: 'unchanged' }], signingKey: 'same' }] });
    await expect(admin<BackupPreviewResponse>('backup/preview', { file: exported.file, passphrase: 'not the right passphrase' })).resolves.toEqual({ ok: false, message: 'Wrong passphrase or damaged file.' });
    const imported = await admin<BackupImportResponse>('backup/import', { file: exported.file, passphrase });
    expect(imported).toMatchObject({ ok: true, imported: [{ connectionId: 'default', draft: false, signingKey: 'same' }] });
    const answers = JSON.stringify([exported, preview, imported]);
    expect(answers).not.toContain(CLIENT_SECRET);
    expect(answers).not.toContain('PRIVATE KEY');
    expect(answers).not.toContain(passphrase);
  });

  describe('two connections, one with two providers', () => {
    const admin = <T,>(functionKey: string, payload: unknown) =>
      host.adminResolver({ call: { functionKey, payload }, context: JIRA_ADMIN_PAGE }, { principal: { accountId: 'admin-1' } }) as Promise<T>;
    let sandboxId: string;
    let subsidiaryId: string;

    beforeAll(async () => {
      const added = await admin<Extract<ConnectionChangeResponse, { ok: true }>>('providers/save', { connectionId: 'default', name: 'Subsidiary' });
      subsidiaryId = added.providerId!;
      await expect(
        admin('config/save', {
          connectionId: 'default',
          providerId: subsidiaryId,
          settings: { oidc: { issuer: subsidiary.issuer, clientId: SUBSIDIARY_CLIENT.id }, allowedEmailDomains: ['subsidiary.test'] },
          clientSecret: SUBSIDIARY_CLIENT.secret,
        }),
      ).resolves.toMatchObject({ ok: true });
      const sandbox = await admin<Extract<ConnectionChangeResponse, { ok: true }>>('connections/save', { name: 'Sandbox' });
      sandboxId = sandbox.connection.id;
      const sandboxSettings = providerStepSave(issuer);
      await expect(
        admin('config/save', { ...sandboxSettings, connectionId: sandboxId, settings: { ...sandboxSettings.settings, serviceProvider: SANDBOX } }),
      ).resolves.toMatchObject({ ok: true });
    });

    it('signs the sandbox in with its own signing key, verified by the sandbox Guard', async () => {
      const metadataUrl = `${TEST_WEB_TRIGGER_URL}/saml/metadata/${sandboxId}`;
      const sandboxCertificate = metadataCertificate(await (await fetch(metadataUrl)).text())!;
      expect(sandboxCertificate).not.toBe(certificate);
      const sp = guardServiceProvider(TEST_WEB_TRIGGER_URL, sandboxCertificate, { issuer: SANDBOX.entityId, audience: SANDBOX.entityId, callbackUrl: SANDBOX.acsUrl, idpIssuer: metadataUrl });
      const agent = new UserAgent({ stopAt: (url) => url.href.startsWith('https://auth.atlassian.test/login/callback') });
      const loginPage = await agent.get(await sp.getAuthorizeUrlAsync('relay', undefined, {}));
      const post = readAutoPost(await signInAtProvider(agent, loginPage, alice));
      expect(post.action).toBe(SANDBOX.acsUrl);
      const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: post.SAMLResponse!, RelayState: post.RelayState! });
      expect(profile?.nameID).toBe(alice.email);
    });

    it('routes a production user by email domain to the subsidiary provider', async () => {
      const sp = serviceProvider();
      const agent = new UserAgent({ stopAt: stopAtAcs });
      const choice = await agent.get(await sp.getAuthorizeUrlAsync('relay', undefined, {}));
      const loginPage = await agent.submit(choice, { form: '#provider-choice', fields: { bridge_email: carol.email } });
      expect([loginPage.status, loginPage.headers.get('x-bridge-error'), new URL(loginPage.url).origin]).toEqual([200, null, subsidiary.issuer]);
      const post = readAutoPost(await signInAtProvider(agent, loginPage, carol));
      const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: post.SAMLResponse!, RelayState: post.RelayState! });
      expect(profile?.nameID).toBe(carol.email);
    });

    it('refuses a provider vouching for a domain that is not its own, and the audit trail finds it by the page\'s reference', async () => {
      const agent = new UserAgent({ stopAt: stopAtAcs });
      const choice = await agent.get(await serviceProvider().getAuthorizeUrlAsync('relay', undefined, {}));
      const loginPage = await agent.submit(choice, { form: '#provider-choice', button: 'Subsidiary' });
      const refused = await signInAtProvider(agent, loginPage, eve);
      expect(refused.status).toBe(403);
      expect(refused.headers.get('x-bridge-error')).toBe('user_domain_not_allowed');
      const reference = refused.headers.get('x-bridge-reference')!;
      const found = await admin<AuditQueryResponse>('audit/query', { reference });
      expect(found.records).toEqual([
        expect.objectContaining({ reference, outcome: 'refused', code: 'user_domain_not_allowed', connectionId: 'default', providerId: subsidiaryId, email: eve.email }),
      ]);
      const logins = await admin<AuditQueryResponse>('audit/query', { kind: 'login', outcome: 'ok' });
      expect(logins.records.map((r) => r.email)).toEqual(expect.arrayContaining([carol.email, alice.email]));
    });

    it('answers providers/health through the bundled resolver: both providers read through Forge\'s fetch, their last sign-ins from the trail, no user named', async () => {
      const answer = await admin<ProviderHealthResponse>('providers/health', { connectionId: 'default' });
      const byId = Object.fromEntries(answer.providers.map((p) => [p.providerId, p]));
      expect(byId.default).toMatchObject({ state: 'checked', discovery: { status: 'ok' }, jwks: { status: 'ok', keys: expect.any(Number) }, lastSuccess: { reference: expect.stringMatching(/^R-/) } });
      expect(byId[subsidiaryId]).toMatchObject({
        state: 'checked',
        discovery: { status: 'ok' },
        jwks: { status: 'ok' },
        lastSuccess: { reference: expect.stringMatching(/^R-/) },
        lastFailure: { code: 'user_domain_not_allowed', reference: expect.stringMatching(/^R-/) },
      });
      const serialized = JSON.stringify(answer);
      for (const email of [alice.email, carol.email, eve.email]) expect(serialized).not.toContain(email);
      await expect(admin('providers/health', { providerId: subsidiaryId })).resolves.toMatchObject({ error: 'bad_request' });
    });
  });

  describe('a provider with private_key_jwt', () => {
    const admin = <T,>(functionKey: string, payload: unknown) =>
      host.adminResolver({ call: { functionKey, payload }, context: JIRA_ADMIN_PAGE }, { principal: { accountId: 'admin-1' } }) as Promise<T>;
    let keyedId: string;

    beforeAll(async () => {
      const added = await admin<Extract<ConnectionChangeResponse, { ok: true }>>('providers/save', { connectionId: 'default', name: 'Keyed' });
      keyedId = added.providerId!;
      keyedJwksUrl = `${TEST_WEB_TRIGGER_URL}/oidc/jwks/default/${keyedId}`;
    });

    it('saves the method with no secret, serves the JWKS through the bundled web trigger, and signs in with an assertion the provider verifies', async () => {
      const saved = await admin<ConfigSaveResponse>('config/save', {
        connectionId: 'default',
        providerId: keyedId,
        settings: { oidc: { issuer: keyed.issuer, clientId: 'keyed-client', clientAuthMethod: 'private_key_jwt' }, allowedEmailDomains: ['keyed.test'] },
      });
      expect(saved).toMatchObject({ ok: true });
      const status = await admin<ClientKeyResponse>('client-key/get', { connectionId: 'default', providerId: keyedId });
      if (!status.exists) throw new Error('no client key after choosing private_key_jwt');
      expect(status.jwksUrl).toBe(`${TEST_WEB_TRIGGER_URL}/oidc/jwks/default/${keyedId}`);
      const served = await fetch(status.jwksUrl);
      expect([served.status, served.headers.get('content-type')]).toEqual([200, 'application/jwk-set+json']);
      const jwks = (await served.json()) as { keys: { kid: string }[] };
      expect(jwks).toEqual(status.jwks);
      expect(JSON.stringify(jwks)).not.toMatch(/"(d|p|q|dp|dq|qi)":/);

      const sp = serviceProvider();
      const agent = new UserAgent({ stopAt: stopAtAcs });
      const choice = await agent.get(await sp.getAuthorizeUrlAsync('relay', undefined, {}));
      const loginPage = await agent.submit(choice, { form: '#provider-choice', fields: { bridge_email: dave.email } });
      expect([loginPage.status, new URL(loginPage.url).origin]).toEqual([200, keyed.issuer]);
      const post = readAutoPost(await signInAtProvider(agent, loginPage, dave));
      const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: post.SAMLResponse!, RelayState: post.RelayState! });
      expect(profile?.nameID).toBe(dave.email);
      // The provider read the keys through the web trigger (one invocation of the bundle).
      expect(triggerCalls.some(({ event, status }) => (event.path ?? "").endsWith(`/oidc/jwks/default/${keyedId}`) && status === 200)).toBe(true);
    });
  });

  it('logs no client secret, private key or authorization code', () => {
    const output = host.output.join('');
    expect(output.length).toBeGreaterThan(0);
    expect(output).not.toContain(CLIENT_SECRET);
    expect(output).not.toContain(SUBSIDIARY_CLIENT.secret);
    // Emails go to the audit trail, not to the log; and every attempt reached the trail.
    expect(output).not.toContain(eve.email);
    expect(output).not.toContain('audit.write_failed');
    expect(output).not.toMatch(/PRIVATE KEY/);
    expect(output).not.toMatch(/[?&]code=/);
  });
});
