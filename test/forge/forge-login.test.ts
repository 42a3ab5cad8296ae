import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ValidateInResponseTo } from '@node-saml/node-saml';
import type { CertificateChangeResponse, ConfigSaveResponse } from '../../src/core/admin/admin-api-types.js';
import { storageKeys } from '../../src/core/storage-keys.js';
import type { WebTriggerEvent } from '../../src/forge/web-trigger.js';
import { guardServiceProvider, installFetchRoutes, metadataCertificate, pinnedHttpsFetch, providerStepSave, selfSignedCertificate, startHttpsDemoProvider, webTriggerFetch } from '../support/forge-login-support.js';
import { ACS_URL, alice, CLIENT_SECRET, readAutoPost, signInAtProvider, stopAtAcs } from '../support/login-harness.js';
import { UserAgent } from '../support/user-agent.js';
import { installForgePlatform, TEST_WEB_TRIGGER_URL, type ForgePlatform } from './forge-platform.js';

// A whole login as it runs on Forge: node-saml as the service provider → the real `bridgeTrigger`
// (web trigger payload in, dynamic response out) → the demo oidc-provider over https with a
// self-signed certificate → back through the trigger → the auto-post page → node-saml verifies it
// with the certificate from the trigger's own /saml/metadata. Storage is the real @forge/kvs SDK
// over the in-memory KVS stand-in; the settings and the client secret are saved by the wizard's
// `config/save` through the real `adminResolver` (admin check included).
//
// The user agent and @forge/api's fetch both call `globalThis.fetch`, which this file routes:
// the web trigger URL to `bridgeTrigger`, the provider's origin to a fetch that trusts only the
// provider's certificate (see test/support/forge-login-support.ts). Nothing else is reachable.
// @forge/api takes the global fetch when it loads, so src/forge/index.js (which loads it) is
// imported only once the routes are in place; nothing imported statically here loads @forge/api.

const INSTALL_CONTEXT = 'ari:cloud:jira::site/22222222-2222-2222-2222-222222222222';
const GIVEN_NAME = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname';

describe('a whole login through the Forge web trigger', () => {
  let platform: ForgePlatform;
  let provider: Awaited<ReturnType<typeof startHttpsDemoProvider>>;
  let issuer: string;
  let restoreFetch: () => void;
  let forgeApp: typeof import('../../src/forge/index.js');
  const triggerCalls: { event: WebTriggerEvent; status: number }[] = [];

  beforeAll(async () => {
    platform = installForgePlatform();
    provider = await startHttpsDemoProvider(`${TEST_WEB_TRIGGER_URL}/oidc/callback`);
    issuer = provider.issuer;

    restoreFetch = installFetchRoutes({
      [`${TEST_WEB_TRIGGER_URL}/`]: webTriggerFetch(TEST_WEB_TRIGGER_URL, (event, context) => forgeApp.bridgeTrigger(event, context), { installContext: INSTALL_CONTEXT }, (event, response) =>
        triggerCalls.push({ event, status: response.statusCode }),
      ),
      [`${issuer}/`]: pinnedHttpsFetch(issuer, provider.certificate),
    });

    forgeApp = await import('../../src/forge/index.js');

    // What the setup wizard does: config/save from the Jira admin page, as a site admin.
    const saved = (await forgeApp.adminResolver(
      {
        call: { functionKey: 'config/save', payload: providerStepSave(issuer) },
        context: { extension: { type: 'jira:adminPage' } },
      },
      { principal: { accountId: 'admin-1' } },
    )) as ConfigSaveResponse;
    expect(saved).toMatchObject({ ok: true });
    // The secret went to secret storage only.
    expect(platform.kvs.secrets.has(storageKeys.clientSecret())).toBe(true);
    expect(JSON.stringify([...platform.kvs.data.values()])).not.toContain(CLIENT_SECRET);
  });

  afterAll(async () => {
    restoreFetch?.();
    platform?.uninstall();
    await provider?.close();
  });

  it('reaches the provider only through its own certificate (TLS checks stay on)', async () => {
    const stranger = selfSignedCertificate();
    await expect(pinnedHttpsFetch(issuer, stranger.cert)(`${issuer}/.well-known/openid-configuration`)).rejects.toThrow(/self-signed|signature|verify/i);
  });

  it('is accepted by node-saml, and a replayed callback is refused', async () => {
    // The service provider, with the certificate from the metadata the trigger serves.
    const metadata = await fetch(`${TEST_WEB_TRIGGER_URL}/saml/metadata`);
    expect(metadata.status).toBe(200);
    const certificate = metadataCertificate(await metadata.text());
    expect(certificate).toBeDefined();
    const sp = guardServiceProvider(TEST_WEB_TRIGGER_URL, certificate!);

    // SP → trigger /saml/sso (HTTP-Redirect) → provider's login page.
    const relayState = 'https://start.atlassian.com/?a=1&b="<x>"';
    const agent = new UserAgent({ stopAt: stopAtAcs });
    const loginPage = await agent.get(await sp.getAuthorizeUrlAsync(relayState, undefined, {}));
    expect(loginPage.status).toBe(200);
    expect(new URL(loginPage.url).origin).toBe(issuer);
    expect(loginPage.hops[0]).toMatchObject({ url: expect.stringContaining(`${TEST_WEB_TRIGGER_URL}/saml/sso?`), status: 302 });

    // Sign in → provider → trigger /oidc/callback → the auto-post page.
    const bridgePage = await signInAtProvider(agent, loginPage, alice);
    expect(bridgePage.status).toBe(200);
    expect(bridgePage.url.startsWith(`${TEST_WEB_TRIGGER_URL}/oidc/callback?`)).toBe(true);
    const post = readAutoPost(bridgePage);
    expect(post.action).toBe(ACS_URL);
    expect(post.RelayState).toBe(relayState);

    const { profile, loggedOut } = await sp.validatePostResponseAsync({ SAMLResponse: post.SAMLResponse!, RelayState: post.RelayState! });
    expect(loggedOut).toBe(false);
    expect(profile?.nameID).toBe('alice@example.com');
    expect(profile?.[GIVEN_NAME]).toBe(alice.given_name);

    // Every hop to the bridge was one web trigger invocation.
    expect(triggerCalls.map((c) => [c.event.userPath, c.status])).toEqual([
      ['/saml/metadata', 200],
      ['/saml/sso', 302],
      ['/oidc/callback', 200],
    ]);

    // Replays of the callback: the exact payload (with the binding cookie) and the browser again.
    const callback = triggerCalls.find((c) => c.event.userPath === '/oidc/callback')!.event;
    expect(callback.headers?.cookie).toBeDefined();
    const replayed = await forgeApp.bridgeTrigger(structuredClone(callback), { installContext: INSTALL_CONTEXT });
    expect(replayed.statusCode).toBe(400);
    expect(replayed.headers['X-Bridge-Error']).toEqual(['login_unknown']);
    expect(replayed.body).not.toContain('SAMLResponse');

    const again = await agent.get(bridgePage.url);
    expect(again.status).toBe(400);
    expect(again.headers.get('x-bridge-error')).toBe('login_unknown');
  });

  it('after a certificate rotation through the Forge resolvers, the warm instance signs with the new key only', async () => {
    const admin = (functionKey: string, payload: unknown) =>
      forgeApp.adminResolver({ call: { functionKey, payload }, context: { extension: { type: 'jira:adminPage' } } }, { principal: { accountId: 'admin-1' } }) as Promise<CertificateChangeResponse>;
    const metadataCertificates = async () => [...(await (await fetch(`${TEST_WEB_TRIGGER_URL}/saml/metadata`)).text()).matchAll(/<(?:\w+:)?X509Certificate>([^<]+)</g)].map((m) => m[1]!);
    const [oldCertificate] = await metadataCertificates();

    const prepared = await admin('certificate/prepare', {});
    if (!prepared.ok) throw new Error(prepared.message);
    const base64 = (pem: string) => pem.replace(/-----[^-]+-----|\s+/g, '');
    const newCertificate = base64(prepared.certificate.next!.certificatePem);
    expect(await metadataCertificates()).toEqual([oldCertificate, newCertificate]);
    const activated = await admin('certificate/activate', { fingerprint: prepared.certificate.next!.fingerprint });
    expect(activated).toMatchObject({ ok: true });
    expect(await metadataCertificates()).toEqual([newCertificate]);

    // The same module instance (warm: its caches signed the login above with the old key).
    const sp = guardServiceProvider(TEST_WEB_TRIGGER_URL, newCertificate);
    const agent = new UserAgent({ stopAt: stopAtAcs });
    const loginPage = await agent.get(await sp.getAuthorizeUrlAsync('relay', undefined, {}));
    const post = readAutoPost(await signInAtProvider(agent, loginPage, alice));
    const xml = Buffer.from(post.SAMLResponse!, 'base64').toString('utf8');
    expect([...xml.matchAll(/<(?:\w+:)?X509Certificate>([^<]+)</g)].map((m) => m[1]!.replace(/\s+/g, ''))).toEqual([newCertificate, newCertificate]);
    const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: post.SAMLResponse!, RelayState: post.RelayState! });
    expect(profile?.nameID).toBe('alice@example.com');
    const withOld = guardServiceProvider(TEST_WEB_TRIGGER_URL, oldCertificate!, { validateInResponseTo: ValidateInResponseTo.never });
    await expect(withOld.validatePostResponseAsync({ SAMLResponse: post.SAMLResponse!, RelayState: post.RelayState! })).rejects.toThrow(/signature/i);
  });
});
