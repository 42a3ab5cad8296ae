import { loggedActor } from '../../src/core/test-login.js';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ConfigGetResponse, ConfigSaveResponse, RolloutSaveResponse } from '../../src/core/admin/admin-api-types.js';
import { storageKeys } from '../../src/core/storage-keys.js';
import { alice, readAutoPost } from '../support/login-harness.js';
import { UserAgent } from '../support/user-agent.js';
import { ACS_URL, CLIENT_SECRET, leaks, privateKeyFingerprint, SP_ENTITY_ID, startAdminHarness, type AdminHarness } from './support/admin-harness.js';

/**
 * The contract others rely on: a server started with no configuration serves "not set up yet"
 * at the SSO URL; a configuration saved through the admin API is what the SSO URL uses from the
 * next login on, with no restart; and so is every later change.
 */

let harness: AdminHarness;

beforeAll(async () => {
  harness = await startAdminHarness();
});

afterAll(async () => {
  const key = await harness.app.store.getSecret<{ privateKeyPem: string }>(storageKeys.signingKey());
  expect(leaks(harness.answers, [CLIENT_SECRET, privateKeyFingerprint(key!.privateKeyPem)])).toEqual([]);
  await harness.close();
});

const stopAtAcs = (url: URL) => url.href.startsWith('https://auth.atlassian.com/login/callback');

describe('a configuration saved through the wizard', () => {
  it('starts unconfigured: the SSO URL answers config_missing (503)', async () => {
    expect(harness.app.config).toBeUndefined();
    const response = await fetch(`${harness.app.baseUrl}/saml/sso?SAMLRequest=x`);
    expect(response.status).toBe(503);
    expect(response.headers.get('x-bridge-error')).toBe('config_missing');
    const overview = (await harness.api<ConfigGetResponse>('config/get')).body;
    expect(overview.status).toMatchObject({ configured: false, live: false, nextStep: 'callback' });
  });

  it('serves a whole login, verified by node-saml, right after it is saved (no restart)', async () => {
    const saved = await harness.api<ConfigSaveResponse>('config/save', {
      settings: { ...harness.providerSettings(), serviceProvider: { entityId: SP_ENTITY_ID, acsUrl: ACS_URL }, allowedEmailDomains: ['example.com'] },
      clientSecret: CLIENT_SECRET,
    });
    expect(saved.body).toMatchObject({ ok: true, warnings: [], status: { configured: true, missing: [] } });

    const sp = await harness.serviceProvider();
    const agent = new UserAgent({ stopAt: stopAtAcs });
    const loginPage = await agent.get(await sp.getAuthorizeUrlAsync('https://start.atlassian.com', undefined, {}));
    expect(loginPage.url.startsWith(harness.providerUrl)).toBe(true);
    const bridgePage = await agent.submit(loginPage, { fields: { email: alice.email, password: alice.password } });
    expect(bridgePage.status).toBe(200);
    const post = readAutoPost(bridgePage);
    expect(post.action).toBe(ACS_URL);
    const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: post.SAMLResponse!, RelayState: post.RelayState! });
    expect(profile?.nameID).toBe(alice.email);
    expect(profile?.['http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname']).toBe(alice.family_name);
  });

  it('applies a later change from the next login on: a removed domain is refused at once', async () => {
    await expect(harness.api('config/save', { settings: { allowedEmailDomains: ['other.example'] } })).resolves.toMatchObject({ body: { ok: true } });
    const sp = await harness.serviceProvider();
    const agent = new UserAgent({ stopAt: stopAtAcs });
    const loginPage = await agent.get(await sp.getAuthorizeUrlAsync('', undefined, {}));
    const bridgePage = await agent.submit(loginPage, { fields: { email: alice.email, password: alice.password } });
    expect(bridgePage.status).toBe(403);
    expect(bridgePage.headers.get('x-bridge-error')).toBe('user_domain_not_allowed');
    await harness.api('config/save', { settings: { allowedEmailDomains: ['example.com'] } });
  });

  it('records each change in the log with paths and who, never a value', async () => {
    const changes = harness.logs.filter((r) => r.event === 'config.changed');
    expect(changes[0]?.fields).toMatchObject({ actor: loggedActor('standalone-admin') });
    expect(String(changes[0]?.fields.paths).split(',')).toEqual(
      expect.arrayContaining([
        'providers.default.oidc.issuer',
        'providers.default.oidc.clientId',
        'providers.default.oidc.clientSecret',
        'serviceProvider.acsUrl',
        'providers.default.allowedEmailDomains',
      ]),
    );
    expect(changes[1]?.fields.paths).toBe('providers.default.allowedEmailDomains');
    const logged = JSON.stringify(changes);
    expect(logged).not.toContain(CLIENT_SECRET);
    expect(logged).not.toContain('other.example');
  });

  it('is not live with the rollout checklist ticked while no connection test passed (draft-apply.test.ts covers the live path)', async () => {
    const ticked = await harness.api<RolloutSaveResponse>('rollout/save', {
      rollout: { domainLinked: true, testPolicyCreated: true, adminOutsideSso: true, enforced: true },
    });
    expect(ticked.body.status).toMatchObject({ configured: true, live: false, appliedTestPassed: false, editsGoToDraft: true });
    expect(ticked.body.status.completedSteps).not.toContain('enforce');
    const partly = await harness.api<RolloutSaveResponse>('rollout/save', { rollout: { enforced: false } });
    expect(partly.body.status.live).toBe(false);
    expect(partly.body.rollout).toEqual({ domainLinked: true, testPolicyCreated: true, adminOutsideSso: true, enforced: false });
  });
});
