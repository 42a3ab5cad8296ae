import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ValidateInResponseTo, type SAML, type SamlConfig } from '@node-saml/node-saml';
import { guardServiceProvider, metadataCertificate } from '../support/forge-login-support.js';
import type { AuditExportResponse, AuditQueryResponse, ConfigGetResponse, ConfigSaveResponse, ConnectionChangeResponse } from '../../src/core/admin/admin-api-types.js';
import { createDemoProvider, demoUsers, type DemoProvider, type DemoUser } from '../../dev/demo/demo-provider.js';
import { readAutoPost } from '../support/login-harness.js';
import { UserAgent, type Page } from '../support/user-agent.js';
import { ACS_URL, CLIENT_SECRET, SP_ENTITY_ID, startAdminHarness, type AdminHarness } from '../admin/support/admin-harness.js';

/**
 * Several connections, one of them with two providers, side by side in the standalone server:
 * each connection is one Guard identity provider entry (its own SP, signing key and metadata
 * URL), found by the AuthnRequest's Issuer; a connection with two providers asks for the email
 * and routes by domain; no provider may vouch for a domain that is not its own. Each login is
 * verified by node-saml playing that connection's Guard.
 */

const SANDBOX_SP = 'https://auth.atlassian.com/saml/5f1b2c3d-0000-4000-8000-0000000sandbx';
const SANDBOX_ACS = 'https://auth.atlassian.com/login/callback?connection=saml-5f1b2c3d-0000-4000-8000-0000000sandbx';
const SUBSIDIARY_CLIENT = { id: 'subsidiary-client', secret: 'subsidiary-client-secret-0123456789' };

const alice = demoUsers.find((u) => u.email === 'alice@example.com')!;
const carol: DemoUser = { sub: 'carol-sub-0001', email: 'carol@subsidiary.test', email_verified: true, password: 'carol-pass', given_name: 'Carol', family_name: 'Sub', name: 'Carol Sub' };
/** A user of the subsidiary's provider who claims an address of the parent's domain. */
const eve: DemoUser = { sub: 'eve-sub-0002', email: 'eve@example.com', email_verified: true, password: 'eve-pass', given_name: 'Eve', family_name: 'Sub', name: 'Eve Sub' };

const stopAtGuard = (url: URL) => url.href.startsWith('https://auth.atlassian.com/login/callback');

let harness: AdminHarness;
let subsidiary: DemoProvider;
let subsidiaryServer: http.Server;
let subsidiaryUrl: string;
let sandboxId: string;
let subsidiaryProviderId: string;
/** The reference on the page that refused eve: the end user reads it out to the admin. */
let refusedReference: string;

async function guardFor(entityId: string, acsUrl: string, metadataPath: string, options: Partial<SamlConfig> = {}): Promise<SAML> {
  const metadataUrl = `${harness.app.baseUrl}${metadataPath}`;
  const certificate = metadataCertificate(await (await fetch(metadataUrl)).text())!;
  return guardServiceProvider(harness.app.baseUrl, certificate, { issuer: entityId, callbackUrl: acsUrl, audience: entityId, idpIssuer: metadataUrl, ...options });
}

async function expectOk<T extends { ok: boolean }>(answer: Promise<{ body: T }>): Promise<T & { ok: true }> {
  const { body } = await answer;
  expect(body).toMatchObject({ ok: true });
  return body as T & { ok: true };
}

beforeAll(async () => {
  harness = await startAdminHarness();
  subsidiaryServer = http.createServer();
  await new Promise<void>((resolve) => subsidiaryServer.listen(0, '127.0.0.1', resolve));
  subsidiaryUrl = `http://127.0.0.1:${(subsidiaryServer.address() as AddressInfo).port}`;
  subsidiary = await createDemoProvider({
    issuer: subsidiaryUrl,
    users: [carol, eve],
    clients: [{ client_id: SUBSIDIARY_CLIENT.id, client_secret: SUBSIDIARY_CLIENT.secret, redirect_uris: [`${harness.app.baseUrl}/oidc/callback`] }],
  });
  subsidiaryServer.on('request', subsidiary.handle);

  // Production: the parent's provider for example.com, then the subsidiary's for subsidiary.test.
  await expectOk(
    harness.api<ConfigSaveResponse>('config/save', {
      settings: { ...harness.providerSettings(), serviceProvider: { entityId: SP_ENTITY_ID, acsUrl: ACS_URL }, allowedEmailDomains: ['example.com'] },
      clientSecret: CLIENT_SECRET,
    }),
  );
  await expectOk(harness.api<ConnectionChangeResponse>('connections/save', { connectionId: 'default', name: 'Production' }));
  const added = await expectOk(harness.api<ConnectionChangeResponse>('providers/save', { connectionId: 'default', name: 'Subsidiary (Entra ID)' }));
  subsidiaryProviderId = (added as Extract<ConnectionChangeResponse, { ok: true }>).providerId!;
  await expectOk(
    harness.api<ConfigSaveResponse>('config/save', {
      connectionId: 'default',
      providerId: subsidiaryProviderId,
      settings: { preset: 'other', oidc: { issuer: subsidiaryUrl, clientId: SUBSIDIARY_CLIENT.id }, allowedEmailDomains: ['subsidiary.test'] },
      clientSecret: SUBSIDIARY_CLIENT.secret,
    }),
  );

  // Sandbox: a second Guard organisation, signing in through the parent's provider.
  const sandbox = (await expectOk(harness.api<ConnectionChangeResponse>('connections/save', { name: 'Sandbox' }))) as Extract<ConnectionChangeResponse, { ok: true }>;
  sandboxId = sandbox.connection.id;
  await expectOk(
    harness.api<ConfigSaveResponse>('config/save', {
      connectionId: sandboxId,
      settings: { ...harness.providerSettings(), serviceProvider: { entityId: SANDBOX_SP, acsUrl: SANDBOX_ACS }, allowedEmailDomains: ['example.com'] },
      clientSecret: CLIENT_SECRET,
    }),
  );
});

afterAll(async () => {
  await harness?.close();
  subsidiaryServer?.closeAllConnections();
  await new Promise<void>((resolve) => subsidiaryServer?.close(() => resolve()));
});

/** From the SP's AuthnRequest to the page the bridge answers first (the choice page or the provider's login). */
async function startAt(sp: SAML, agent: UserAgent): Promise<Page> {
  return agent.get(await sp.getAuthorizeUrlAsync('relay-1', undefined, {}));
}

async function signIn(agent: UserAgent, loginPage: Page, user: { email: string; password: string }): Promise<Page> {
  return agent.submit(loginPage, { fields: { email: user.email, password: user.password } });
}

/**
 * On a choice page, eve picks the subsidiary's provider, which says eve@example.com: a domain only
 * the parent's provider may vouch for. The refusal page, never a SAML response.
 */
async function eveRefusedThroughSubsidiary(agent: UserAgent, choice: Page): Promise<Page> {
  const loginPage = await agent.submit(choice, { form: '#provider-choice', button: 'Subsidiary (Entra ID)' });
  expect(loginPage.url.startsWith(subsidiaryUrl)).toBe(true);
  const refused = await signIn(agent, loginPage, eve);
  expect(refused.status).toBe(403);
  expect(refused.headers.get('x-bridge-error')).toBe('user_domain_not_allowed');
  expect(refused.text()).not.toContain('SAMLResponse');
  return refused;
}

describe('two connections, one with two providers', () => {
  it('lists both connections, each ready, with its own metadata URL', async () => {
    const { body } = await harness.api<ConfigGetResponse>('config/get');
    expect(body.connections.map((c) => ({ id: c.id, name: c.name, ready: c.ready, providers: c.providers.map((p) => p.domains) }))).toEqual([
      { id: 'default', name: 'Production', ready: true, providers: [['example.com'], ['subsidiary.test']] },
      { id: sandboxId, name: 'Sandbox', ready: true, providers: [['example.com']] },
    ]);
    expect(body.connections[1]!.metadataUrl).toBe(`${harness.app.baseUrl}/saml/metadata/${sandboxId}`);
  });

  it('signs the sandbox in through its only provider, with its own key, verified by the sandbox Guard', async () => {
    const sandbox = await guardFor(SANDBOX_SP, SANDBOX_ACS, `/saml/metadata/${sandboxId}`);
    const agent = new UserAgent({ stopAt: stopAtGuard });
    const loginPage = await startAt(sandbox, agent);
    expect(loginPage.url.startsWith(harness.providerUrl)).toBe(true);
    const post = readAutoPost(await signIn(agent, loginPage, alice));
    expect(post.action).toBe(SANDBOX_ACS);
    const { profile } = await sandbox.validatePostResponseAsync({ SAMLResponse: post.SAMLResponse!, RelayState: post.RelayState! });
    expect(profile?.nameID).toBe(alice.email);
    // Production's Guard cannot be fooled with the sandbox's response: another key, another issuer.
    const production = await guardFor(SP_ENTITY_ID, ACS_URL, '/saml/metadata');
    await expect(production.validatePostResponseAsync({ SAMLResponse: post.SAMLResponse!, RelayState: post.RelayState! })).rejects.toThrow();
  });

  it('asks production users for their email, routes by domain and remembers the choice in the browser', async () => {
    const production = await guardFor(SP_ENTITY_ID, ACS_URL, '/saml/metadata');
    const agent = new UserAgent({ stopAt: stopAtGuard });
    const choice = await startAt(production, agent);
    expect(choice.status).toBe(200);
    expect(choice.form('#provider-choice').fields.map(([name]) => name)).toEqual(expect.arrayContaining(['SAMLRequest', 'RelayState']));
    const loginPage = await agent.submit(choice, { form: '#provider-choice', fields: { bridge_email: carol.email } });
    expect(loginPage.url.startsWith(subsidiaryUrl)).toBe(true);
    // The address the user typed goes to the provider as a hint.
    expect(agent.history.some((hop) => new URL(hop.url).searchParams.get('login_hint') === carol.email)).toBe(true);
    const post = readAutoPost(await signIn(agent, loginPage, carol));
    const { profile } = await production.validatePostResponseAsync({ SAMLResponse: post.SAMLResponse!, RelayState: post.RelayState! });
    expect(profile?.nameID).toBe(carol.email);

    // The next login in this browser goes straight to the provider chosen before (whose session
    // signs carol in again without a form): no choice page on the way.
    const hopsBefore = agent.history.length;
    const again = readAutoPost(await startAt(production, agent));
    const hops = agent.history.slice(hopsBefore).map((hop) => hop.url);
    expect(hops.some((url) => url.startsWith(subsidiaryUrl))).toBe(true);
    expect(hops.filter((url) => url.includes('/saml/sso'))).toHaveLength(1);
    const { profile: remembered } = await production.validatePostResponseAsync({ SAMLResponse: again.SAMLResponse!, RelayState: again.RelayState! });
    expect(remembered?.nameID).toBe(carol.email);
  });

  it('routes an example.com address to the parent provider', async () => {
    const production = await guardFor(SP_ENTITY_ID, ACS_URL, '/saml/metadata');
    const agent = new UserAgent({ stopAt: stopAtGuard });
    const choice = await startAt(production, agent);
    const loginPage = await agent.submit(choice, { form: '#provider-choice', fields: { bridge_email: 'ALICE@Example.com' } });
    expect(loginPage.url.startsWith(harness.providerUrl)).toBe(true);
    const post = readAutoPost(await signIn(agent, loginPage, alice));
    const { profile } = await production.validatePostResponseAsync({ SAMLResponse: post.SAMLResponse!, RelayState: post.RelayState! });
    expect(profile?.nameID).toBe(alice.email);
  });

  it('refuses an address no provider of the connection serves, on the choice page\'s own answer', async () => {
    const production = await guardFor(SP_ENTITY_ID, ACS_URL, '/saml/metadata');
    const agent = new UserAgent({ stopAt: stopAtGuard });
    const choice = await startAt(production, agent);
    const refused = await agent.submit(choice, { form: '#provider-choice', fields: { bridge_email: 'someone@elsewhere.test' } });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('x-bridge-error')).toBe('user_domain_not_allowed');
  });

  it('never lets a provider vouch for a domain that is not its own, even when the user picks it', async () => {
    const production = await guardFor(SP_ENTITY_ID, ACS_URL, '/saml/metadata');
    const agent = new UserAgent({ stopAt: stopAtGuard });
    const refused = await eveRefusedThroughSubsidiary(agent, await startAt(production, agent));
    refusedReference = refused.headers.get('x-bridge-reference')!;
    expect(refused.text()).toContain(refusedReference);
  });

  it('refuses a provider id that is not one of the connection\'s', async () => {
    const production = await guardFor(SP_ENTITY_ID, ACS_URL, '/saml/metadata');
    const agent = new UserAgent({ stopAt: stopAtGuard });
    const choice = await startAt(production, agent);
    const refused = await agent.submit(choice, { form: '#provider-choice', fields: { bridge_provider: 'not-a-provider' } });
    expect(refused.status).toBe(400);
  });

  it('refuses an AuthnRequest from a service provider no connection has', async () => {
    const stranger = await guardFor('https://auth.atlassian.com/saml/unknown', 'https://auth.atlassian.com/login/callback?connection=saml-unknown', '/saml/metadata');
    const agent = new UserAgent({ stopAt: stopAtGuard });
    const page = await startAt(stranger, agent);
    expect(page.status).toBe(400);
    expect(page.headers.get('x-bridge-error')).toBe('saml_unknown_sp');
  });

  it('refuses a second connection for a service provider another connection has', async () => {
    const copy = (await expectOk(harness.api<ConnectionChangeResponse>('connections/save', { name: 'Copy' }))) as Extract<ConnectionChangeResponse, { ok: true }>;
    await harness.api('config/save', {
      connectionId: copy.connection.id,
      settings: { ...harness.providerSettings(), serviceProvider: { entityId: SANDBOX_SP, acsUrl: SANDBOX_ACS }, allowedEmailDomains: ['example.com'] },
      clientSecret: CLIENT_SECRET,
    });
    const { body } = await harness.api<ConfigGetResponse>('config/get');
    expect(body.connections.find((c) => c.id === copy.connection.id)?.ready).toBe(false);
    // The sandbox keeps working: the first connection for an SP keeps it.
    expect(body.connections.find((c) => c.id === sandboxId)?.ready).toBe(true);
    await expectOk(harness.api<ConnectionChangeResponse>('connections/delete', { connectionId: copy.connection.id, expectedRevision: body.connections.find((c) => c.id === copy.connection.id)!.revision }));
  });

  it('refuses a save against an older revision of the connection: two admins never overwrite each other silently', async () => {
    const { body } = await harness.api<ConfigGetResponse>('config/get', { connectionId: sandboxId });
    const seen = body.connection.revision;
    await expectOk(harness.api<ConfigSaveResponse>('config/save', { connectionId: sandboxId, expectedRevision: seen, settings: { requireVerifiedEmail: true } }));
    const late = await harness.api<ConfigSaveResponse>('config/save', { connectionId: sandboxId, expectedRevision: seen, settings: { nameIdClaim: 'email' } });
    expect(late.body).toMatchObject({ ok: false, conflict: true });
  });
});

describe('the audit trail of those logins and changes', () => {
  it('finds the refused login by the reference on the end user\'s page, both legs in one record', async () => {
    const { body } = await harness.api<AuditQueryResponse>('audit/query', { reference: refusedReference.toLowerCase() });
    expect(body.records).toEqual([
      expect.objectContaining({
        kind: 'login',
        reference: refusedReference,
        flow: 'sp',
        outcome: 'refused',
        code: 'user_domain_not_allowed',
        codeTitle: 'Email domain not allowed',
        connectionId: 'default',
        providerId: subsidiaryProviderId,
        // What the provider claimed, kept for the admin (never in a log line).
        email: eve.email,
        subject: eve.sub,
        samlRequestId: expect.stringMatching(/^_/),
      }),
    ]);
    expect(body.records[0]!.durationMs).toBeGreaterThan(0);
    expect(JSON.stringify(harness.logs)).not.toContain(eve.email);
  });

  it('lists one record per login, newest first, searchable by email, outcome, connection and date', async () => {
    const byEmail = (await harness.api<AuditQueryResponse>('audit/query', { email: 'CAROL@subsidiary.test' })).body.records;
    expect(byEmail.map((r) => [r.outcome, r.connectionId, r.providerId])).toEqual([
      ['ok', 'default', subsidiaryProviderId],
      ['ok', 'default', subsidiaryProviderId],
    ]);
    expect(byEmail[0]!.time).toBeGreaterThanOrEqual(byEmail[1]!.time);
    expect(byEmail.every((r) => r.samlResponseId && r.samlRequestId)).toBe(true);

    const sandbox = (await harness.api<AuditQueryResponse>('audit/query', { kind: 'login', connectionId: sandboxId })).body.records;
    expect(sandbox.map((r) => [r.email, r.outcome])).toEqual([[alice.email, 'ok']]);

    const refused = (await harness.api<AuditQueryResponse>('audit/query', { kind: 'login', outcome: 'refused' })).body.records;
    expect(refused.map((r) => r.code).sort()).toEqual(['saml_request_malformed', 'saml_unknown_sp', 'user_domain_not_allowed', 'user_domain_not_allowed']);

    const now = Date.now();
    await expect(harness.api<AuditQueryResponse>('audit/query', { kind: 'login', from: now + 60_000 })).resolves.toMatchObject({ body: { records: [] } });
    const lastHour = (await harness.api<AuditQueryResponse>('audit/query', { kind: 'login', from: now - 3_600_000, to: now + 1 })).body.records;
    // Four logins that got through and four refused, nothing for the choice pages shown on the way.
    expect(lastHour.length).toBe(8);
  });

  it('records each configuration change with who, which connection and which fields, never a value', async () => {
    const changes = (await harness.api<AuditQueryResponse>('audit/query', { kind: 'change', limit: 200 })).body.records;
    expect(changes.map((r) => r.action)).toEqual(
      expect.arrayContaining(['connection.update', 'connection.rename', 'provider.create', 'connection.create', 'connection.delete']),
    );
    expect(changes.every((r) => r.actor === 'standalone-admin')).toBe(true);
    const secretChange = changes.find((r) => r.fields?.includes(`providers.${subsidiaryProviderId}.oidc.clientSecret`));
    expect(secretChange).toMatchObject({ connectionId: 'default', action: 'connection.update' });
    expect(JSON.stringify(changes)).not.toContain(SUBSIDIARY_CLIENT.secret);
  });

  it('exports the filtered records as CSV', async () => {
    const { body } = await harness.api<AuditExportResponse>('audit/export', { kind: 'login', outcome: 'refused' });
    const lines = body.csv.trim().split('\r\n');
    expect(lines[0]).toContain('reference');
    expect(lines).toHaveLength(5);
    expect(body).toMatchObject({ rows: 4, truncated: false, fileName: expect.stringMatching(/^sso-audit-\d{4}-\d{2}-\d{2}\.csv$/) });
    expect(body.csv).toContain(refusedReference);
    expect(body.csv).toContain(eve.email);
  });
});

/**
 * Sign-in from a bookmark (IdP-initiated) on the connection with two providers: the start URL has
 * no AuthnRequest to route by, so it asks for the email as the SSO URL does, and the same rules
 * hold from there (routing by domain, no provider vouching for another's domain, only the
 * connection's own providers). Runs last: it turns the start URL on, and the counts above are of
 * SP-initiated logins only.
 */
describe('the start URL of the connection with two providers', () => {
  const startUrl = () => `${harness.app.baseUrl}/saml/start/default`;
  /** Production's Guard as it accepts sign-in from a bookmark (`ifPresent`), and as it accepts only answers to its own requests. */
  const unsolicitedGuard = async () => ({
    accepting: await guardFor(SP_ENTITY_ID, ACS_URL, '/saml/metadata', { validateInResponseTo: ValidateInResponseTo.ifPresent }),
    strict: await guardFor(SP_ENTITY_ID, ACS_URL, '/saml/metadata'),
  });

  beforeAll(async () => {
    await expectOk(harness.api<ConfigSaveResponse>('config/save', { connectionId: 'default', settings: { idpInitiated: { enabled: true } } }));
  });

  it('asks for the email, routes carol to the subsidiary and ends in an unsolicited response to the production Guard', async () => {
    const agent = new UserAgent({ stopAt: stopAtGuard });
    const choice = await agent.get(startUrl());
    expect(choice.status).toBe(200);
    const loginPage = await agent.submit(choice, { form: '#provider-choice', fields: { bridge_email: carol.email } });
    expect(loginPage.url.startsWith(subsidiaryUrl)).toBe(true);
    const post = readAutoPost(await signIn(agent, loginPage, carol));
    expect(post.action).toBe(ACS_URL);
    expect(post.RelayState).toBe('https://start.atlassian.com');
    const { strict, accepting } = await unsolicitedGuard();
    const { profile } = await accepting.validatePostResponseAsync({ SAMLResponse: post.SAMLResponse!, RelayState: post.RelayState! });
    expect(profile?.nameID).toBe(carol.email);
    // It answers no request: a Guard that accepts only answers to its own requests refuses it.
    await expect(strict.validatePostResponseAsync({ SAMLResponse: post.SAMLResponse!, RelayState: post.RelayState! })).rejects.toThrow();
    const [latest] = (await harness.api<AuditQueryResponse>('audit/query', { kind: 'login', limit: 1 })).body.records;
    expect(latest).toMatchObject({ flow: 'idp', outcome: 'ok', connectionId: 'default', providerId: subsidiaryProviderId });
  });

  it('routes an example.com address to the parent provider', async () => {
    const agent = new UserAgent({ stopAt: stopAtGuard });
    const choice = await agent.get(startUrl());
    const loginPage = await agent.submit(choice, { form: '#provider-choice', fields: { bridge_email: alice.email } });
    expect(loginPage.url.startsWith(harness.providerUrl)).toBe(true);
    const post = readAutoPost(await signIn(agent, loginPage, alice));
    const { accepting } = await unsolicitedGuard();
    const { profile } = await accepting.validatePostResponseAsync({ SAMLResponse: post.SAMLResponse!, RelayState: post.RelayState! });
    expect(profile?.nameID).toBe(alice.email);
  });

  it('never lets the subsidiary vouch for example.com, even when the user picks it', async () => {
    const agent = new UserAgent({ stopAt: stopAtGuard });
    await eveRefusedThroughSubsidiary(agent, await agent.get(startUrl()));
  });

  it('refuses an address no provider serves, and a provider id that is not one of the connection\'s', async () => {
    const agent = new UserAgent({ stopAt: stopAtGuard });
    const choice = await agent.get(startUrl());
    const unserved = await agent.submit(choice, { form: '#provider-choice', fields: { bridge_email: 'someone@elsewhere.test' } });
    expect(unserved.status).toBe(403);
    expect(unserved.headers.get('x-bridge-error')).toBe('user_domain_not_allowed');
    const foreign = await agent.submit(choice, { form: '#provider-choice', fields: { bridge_provider: 'not-a-provider' } });
    expect(foreign.status).toBe(400);
    expect(foreign.text()).not.toContain('SAMLResponse');
  });

  it('stays off on the sandbox, whose owner did not turn it on', async () => {
    const page = await new UserAgent({ stopAt: stopAtGuard }).get(`${harness.app.baseUrl}/saml/start/${sandboxId}`);
    expect(page.status).toBe(404);
    expect(page.headers.get('x-bridge-error')).toBe('idp_initiated_off');
  });
});
