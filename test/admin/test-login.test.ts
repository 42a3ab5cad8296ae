import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ConfigGetResponse, ConfigSaveResponse, TestResultResponse, TestStartResponse, UsersPreviewResponse } from '../../src/core/admin/admin-api-types.js';
import { storageKeys } from '../../src/core/storage-keys.js';
import { demoUsers } from '../../dev/demo/demo-provider.js';
import { UserAgent, type Page } from '../support/user-agent.js';
import { ACS_URL, CLIENT_SECRET, leaks, privateKeyFingerprint, SP_ENTITY_ID, startAdminHarness, type AdminHarness } from './support/admin-harness.js';

/**
 * The wizard's connection test over HTTP, as the admin page drives it: test/start gives the
 * provider's authorization URL, the admin signs in there (the browser-less user agent), the
 * provider redirects to the same /oidc/callback every login uses, and test/result shows the
 * claims and the exact NameID and attributes, or the failure with the reference of the page
 * the admin saw. Nothing is ever posted to Atlassian.
 */

const user = (email: string) => demoUsers.find((u) => u.email === email)!;
const ATTR = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/';

let harness: AdminHarness;

beforeAll(async () => {
  harness = await startAdminHarness();
});

afterAll(async () => {
  const key = await harness.app.store.getSecret<{ privateKeyPem: string }>(storageKeys.signingKey());
  // Across every call in this file: the client secret and the signing key never left the server.
  expect(leaks(harness.answers, [CLIENT_SECRET, key ? privateKeyFingerprint(key.privateKeyPem) : ''])).toEqual([]);
  await harness.close();
});

/** test/start, sign in at the provider, follow the redirect to the callback; the page the admin sees. */
async function runTest(email: string): Promise<{ testId: string; page: Page }> {
  const started = await harness.api<TestStartResponse>('test/start', {});
  expect(started.status).toBe(200);
  const { testId, startUrl } = started.body;
  // The bridge's own start URL first: it sets the binding cookie, then sends the admin on.
  expect(startUrl.startsWith(`${harness.app.baseUrl}/test/start?`)).toBe(true);
  await expect(harness.api<TestResultResponse>('test/result', { testId })).resolves.toMatchObject({ status: 200, body: { state: 'pending' } });

  const agent = new UserAgent({ stopAt: (url) => url.href.startsWith('https://auth.atlassian.com/') });
  const loginPage = await agent.get(startUrl);
  expect(loginPage.hops[0]).toMatchObject({ status: 302 });
  const authorization = new URL(loginPage.hops[1]!.url);
  expect(authorization.href.startsWith(`${harness.providerUrl}/`)).toBe(true);
  expect(authorization.searchParams.get('redirect_uri')).toBe(`${harness.app.baseUrl}/oidc/callback`);
  expect(authorization.searchParams.get('code_challenge_method')).toBe('S256');
  expect(loginPage.status).toBe(200);
  const page = await agent.submit(loginPage, { fields: { email, password: user(email).password } });
  expect(page.url.startsWith(`${harness.app.baseUrl}/oidc/callback?`)).toBe(true);
  // Never a SAML response, never a form toward anyone, never a stop at Atlassian.
  expect(page.stopped).toBeUndefined();
  expect(page.body).not.toContain('SAMLResponse');
  expect(page.forms()).toEqual([]);
  return { testId, page };
}

describe('the connection test', () => {
  it('is refused with the missing fields while the provider settings are incomplete', async () => {
    const answer = await harness.api<{ error: string; problems: { path: string }[] }>('test/start', {});
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('bad_request');
    expect(answer.body.problems.map((p) => p.path)).toEqual(expect.arrayContaining(['oidc.issuer', 'oidc.clientId', 'oidc.clientSecret']));
  });

  it('signs Alice in at the provider and shows the claims, NameID and attributes, before Guard\'s values are set', async () => {
    const saved = await harness.api<ConfigSaveResponse>('config/save', { settings: harness.providerSettings(), clientSecret: CLIENT_SECRET, step: 'provider' });
    expect(saved.body).toMatchObject({ ok: true });
    const { testId, page } = await runTest('alice@example.com');
    expect(page.status).toBe(200);
    expect(page.title()).toBe('Test finished — return to the setup page');

    const result = await harness.api<TestResultResponse>('test/result', { testId });
    const alice = user('alice@example.com');
    expect(result.body).toMatchObject({
      state: 'succeeded',
      nameId: alice.email,
      nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
      claims: { sub: alice.sub, email: alice.email, given_name: alice.given_name, family_name: alice.family_name },
    });
    const succeeded = result.body as Extract<TestResultResponse, { state: 'succeeded' }>;
    expect(Object.fromEntries(succeeded.attributes.map((a) => [a.name, a.values]))).toMatchObject({
      [`${ATTR}givenname`]: [alice.given_name],
      [`${ATTR}surname`]: [alice.family_name],
      [`${ATTR}name`]: [alice.sub],
      [`${ATTR}emailaddress`]: [alice.email],
    });
    // No allowed domains yet (step 7): the domain was not checked, and the result says so.
    expect(succeeded.warnings?.map((w) => w.path)).toEqual(['allowedEmailDomains']);

    const status = (await harness.api<ConfigGetResponse>('config/get')).body;
    expect(status.status).toMatchObject({ testPassed: true, configured: false });
    expect(status.status.completedSteps).toEqual(expect.arrayContaining(['provider', 'test']));
    expect(status.lastTestId).toBe(testId);
    expect(harness.logs.filter((r) => r.event === 'login.succeeded')).toEqual([]);
  });

  it('previews the user settings of step 7 against the claims of the last test', async () => {
    const accepted = await harness.api<UsersPreviewResponse>('users/preview', { settings: { allowedEmailDomains: ['example.com'], nameIdClaim: 'email' } });
    expect(accepted.body).toMatchObject({ state: 'accepted', nameId: 'alice@example.com' });
    const refused = await harness.api<UsersPreviewResponse>('users/preview', { settings: { allowedEmailDomains: ['other.example'] } });
    expect(refused.body).toMatchObject({ state: 'refused', code: 'user_domain_not_allowed' });
    const invalid = await harness.api<UsersPreviewResponse>('users/preview', { settings: { allowedEmailDomains: ['not a domain'], attributeClaims: { givenName: 'has space' } } });
    expect(invalid.body.state).toBe('invalid');
    expect((invalid.body as { errors: { path: string }[] }).errors.map((e) => e.path).sort()).toEqual(['allowedEmailDomains.0', 'attributeClaims.givenName']);
  });

  it('refuses Eve (domain not allowed) with the same reference on the page and in test/result', async () => {
    await expect(harness.api('config/save', { settings: { allowedEmailDomains: ['example.com'] }, step: 'users' })).resolves.toMatchObject({ body: { ok: true } });
    const { testId, page } = await runTest('eve@other.example');
    expect(page.status).toBe(403);
    expect(page.headers.get('x-bridge-error')).toBe('user_domain_not_allowed');
    const reference = page.headers.get('x-bridge-reference');
    expect(reference).toMatch(/^R-[A-Z0-9]{4}-[A-Z0-9]{4}$/);
    expect(page.$('code#reference').text()).toBe(reference);

    const result = await harness.api<TestResultResponse>('test/result', { testId });
    expect(result.body).toMatchObject({ state: 'failed', code: 'user_domain_not_allowed', reference, claims: { email: 'eve@other.example' } });
    expect(harness.logs).toContainEqual(expect.objectContaining({ event: 'request.failed', fields: expect.objectContaining({ reference, code: 'user_domain_not_allowed' }) }));
  });

  it('never completes a test transaction twice: a replayed callback is unknown', async () => {
    const started = await harness.api<TestStartResponse>('test/start', {});
    const agent = new UserAgent({ stopAt: (url) => url.pathname === '/oidc/callback' });
    const loginPage = await agent.get(started.body.startUrl);
    const stopped = await agent.submit(loginPage, { fields: { email: 'bob@example.com', password: user('bob@example.com').password } });
    const callback = stopped.stopped!.url;
    // Finished in the browser that started it (the cookie measurement stays "seen"), replayed elsewhere.
    const first = await agent.get(callback, { stopAt: () => false });
    expect(first.status).toBe(200);
    const replay = await new UserAgent().get(callback);
    expect(replay.status).toBe(400);
    expect(replay.headers.get('x-bridge-error')).toBe('login_unknown');
    await expect(harness.api<TestResultResponse>('test/result', { testId: started.body.testId })).resolves.toMatchObject({
      body: { state: 'succeeded', nameId: 'bob@example.com' },
    });
  });

  it('does not count as passed once the provider settings change', async () => {
    await harness.api('config/save', { settings: { oidc: { scopes: ['openid', 'email'] } } });
    const status = (await harness.api<ConfigGetResponse>('config/get')).body.status;
    expect(status.testPassed).toBe(false);
    await harness.api('config/save', { settings: { oidc: { scopes: ['openid', 'email', 'profile'] } } });
    expect((await harness.api<ConfigGetResponse>('config/get')).body.status.testPassed).toBe(true);
  });

  it('answers an unknown test id as bad_request, and garbage as bad_request', async () => {
    await expect(harness.api('test/result', { testId: 'AAAAAAAAAAAAAAAAAAAAAA' })).resolves.toMatchObject({ status: 400, body: { error: 'bad_request' } });
    await expect(harness.api('test/result', { testId: '../../etc' })).resolves.toMatchObject({ status: 400, body: { error: 'bad_request' } });
    await expect(harness.api('test/start', { extra: 1 })).resolves.toMatchObject({ status: 400, body: { error: 'bad_request' } });
  });

  it('keeps working with Guard\'s values set, and still never posts to Atlassian', async () => {
    await harness.api('config/save', { settings: { serviceProvider: { entityId: SP_ENTITY_ID, acsUrl: ACS_URL } }, step: 'sp-values' });
    const { testId, page } = await runTest('alice@example.com');
    expect(page.status).toBe(200);
    expect(page.body).not.toContain(ACS_URL);
    await expect(harness.api('test/result', { testId })).resolves.toMatchObject({ body: { state: 'succeeded' } });
  });
});
