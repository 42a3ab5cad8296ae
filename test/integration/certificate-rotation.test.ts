import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SAML, ValidateInResponseTo } from '@node-saml/node-saml';
import type { CertificateChangeResponse } from '../../src/core/admin/admin-api-types.js';
import { runAdminResolver } from '../../src/core/admin/admin-resolvers.js';
import { BridgeCaches, createBridge } from '../../src/core/bridge.js';
import { composeAdminContext } from '../../src/core/composition.js';
import { directoryFromConfig } from '../../src/core/connections/directory.js';
import { cryptoRandom, systemClock } from '../../src/core/default-ports.js';
import type { BridgeResponse } from '../../src/core/http-types.js';
import type { Ports } from '../../src/core/ports.js';
import { activateNextKey, prepareNextKey, undoActivation } from '../../src/downstream-saml/signing-key-ring.js';
import { ACS_URL, alice, readAutoPost, signInAtProvider, SP_ENTITY_ID, startHarness, stopAtAcs, type Harness } from '../support/login-harness.js';
import { inProcessBridge, type InProcessBridge } from '../support/in-process-bridge.js';
import { UserAgent } from '../support/user-agent.js';

/**
 * Signing certificate rotation against real peers: after `certificate/activate`, the next
 * login's response is signed with the new key; node-saml verifies it with the new certificate
 * and refuses it with the old one. And a second warm instance over the same store (as another
 * Forge instance would be) follows the ring at once.
 */

const X509 = /<(?:\w+:)?X509Certificate>([^<]+)</g;
const certificatesIn = (xml: string) => [...xml.matchAll(X509)].map((m) => m[1]!.replace(/\s+/g, ''));
const base64Of = (pem: string) => pem.replace(/-----[^-]+-----|\s+/g, '');

describe('a login after the signing certificate was switched (standalone server, oidc-provider, node-saml)', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(async () => harness.close());

  const admin = () => {
    const ports: Ports = { store: harness.app.store, secrets: harness.app.store, clock: systemClock, random: cryptoRandom, logger: { log: () => undefined }, fetch: harness.fetch };
    return composeAdminContext({ ports, baseUrl: harness.app.baseUrl, host: 'standalone', actor: 'standalone-admin', audit: harness.app.audit, bridge: harness.app.bridge, caches: harness.app.caches });
  };
  const resolve = async (key: string, payload: unknown): Promise<CertificateChangeResponse> => {
    const outcome = await runAdminResolver(key, admin(), payload);
    if (outcome.kind !== 'answer') throw new Error(`${key}: ${JSON.stringify(outcome)}`);
    return outcome.body as CertificateChangeResponse;
  };
  const metadataCertificates = async () => certificatesIn(await (await fetch(`${harness.app.baseUrl}/saml/metadata`)).text());

  /** One SP-initiated login, answered with the SAMLResponse the SP receives. */
  const login = async (sp: SAML) => {
    const agent = new UserAgent({ stopAt: stopAtAcs });
    const loginPage = await agent.get(await sp.getAuthorizeUrlAsync('relay', undefined, {}));
    const post = readAutoPost(await signInAtProvider(agent, loginPage, alice));
    expect(post.action).toBe(ACS_URL);
    return { SAMLResponse: post.SAMLResponse!, RelayState: post.RelayState! };
  };

  it('is signed with the new key: verified with the new certificate, refused with the old one; undo goes back', async () => {
    const [oldCertificate] = await metadataCertificates();
    // A login before: signed with the active key, which warms the server's caches.
    const firstSp = await harness.serviceProvider();
    const before = await login(firstSp);
    await expect(firstSp.validatePostResponseAsync(before)).resolves.toMatchObject({ loggedOut: false });

    const prepared = await resolve('certificate/prepare', {});
    if (!prepared.ok) throw new Error(prepared.message);
    const newCertificate = base64Of(prepared.certificate.next!.certificatePem);
    expect(await metadataCertificates()).toEqual([oldCertificate, newCertificate]);
    // Prepared is not active: responses are still signed with the old key only.
    const whilePrepared = await login(await harness.serviceProvider({ idpCert: oldCertificate! }));
    expect(certificatesIn(Buffer.from(whilePrepared.SAMLResponse, 'base64').toString('utf8'))).toEqual([oldCertificate, oldCertificate]);
    const newOnlyNever = await harness.serviceProvider({ idpCert: newCertificate, validateInResponseTo: ValidateInResponseTo.never });
    await expect(newOnlyNever.validatePostResponseAsync(whilePrepared)).rejects.toThrow(/signature/i);

    const activated = await resolve('certificate/activate', { fingerprint: prepared.certificate.next!.fingerprint });
    expect(activated.ok).toBe(true);
    expect(await metadataCertificates()).toEqual([newCertificate]);

    const newSp = await harness.serviceProvider({ idpCert: newCertificate });
    const after = await login(newSp);
    // The certificate in KeyInfo is the one pasted into Guard (both signatures).
    expect(certificatesIn(Buffer.from(after.SAMLResponse, 'base64').toString('utf8'))).toEqual([newCertificate, newCertificate]);
    const { profile } = await newSp.validatePostResponseAsync(after);
    expect(profile?.nameID).toBe('alice@example.com');
    const oldOnly = await harness.serviceProvider({ idpCert: oldCertificate!, validateInResponseTo: ValidateInResponseTo.never });
    await expect(oldOnly.validatePostResponseAsync(after)).rejects.toThrow(/signature/i);

    // Recorded in the audit trail, by whom.
    const changes = await harness.app.audit.query({ kind: 'change', limit: 10 });
    expect(changes.records.map((r) => (r.kind === 'change' ? [r.action, r.actor] : []))).toEqual(
      expect.arrayContaining([
        ['certificate.prepare', 'standalone-admin'],
        ['certificate.activate', 'standalone-admin'],
      ]),
    );

    const undone = await resolve('certificate/undo', { fingerprint: activated.certificate.undo!.fingerprint });
    expect(undone.ok).toBe(true);
    const restored = await login(await harness.serviceProvider({ idpCert: oldCertificate! }));
    await expect((await harness.serviceProvider({ idpCert: oldCertificate!, validateInResponseTo: ValidateInResponseTo.never })).validatePostResponseAsync(restored)).resolves.toMatchObject({
      loggedOut: false,
    });
  });
});

describe('two warm instances over one store (as two Forge instances are)', () => {
  let a: InProcessBridge;
  beforeAll(async () => {
    a = await inProcessBridge();
  });

  /** A second bridge over a's store, with its own caches: another warm instance. */
  const secondInstance = () =>
    createBridge({
      ports: { store: a.store, secrets: a.store, clock: a.clock, random: cryptoRandom, logger: a.logger, fetch: a.provider.fetch },
      directory: async () => directoryFromConfig(a.config),
      baseUrl: a.config.baseUrl,
      allowLoopbackHttp: false,
      caches: new BridgeCaches(),
    });

  const sp = (idpCert: string) =>
    new SAML({
      entryPoint: a.config.urls.sso,
      issuer: SP_ENTITY_ID,
      callbackUrl: ACS_URL,
      audience: SP_ENTITY_ID,
      idpCert,
      idpIssuer: a.config.idpEntityId,
      wantAuthnResponseSigned: true,
      wantAssertionsSigned: true,
      validateInResponseTo: ValidateInResponseTo.never,
      acceptedClockSkewMs: 5_000,
    });

  /** A login started and finished on `finish` (the transaction is in the shared store). */
  const loginOn = async (finish: { handle: InProcessBridge['handle'] }): Promise<string> => {
    const started = await a.startLogin('relay');
    const query = a.provider.authorize(started.location);
    const page: BridgeResponse = await finish.handle({ method: 'GET', path: '/oidc/callback', query, headers: started.cookie ? { cookie: [started.cookie] } : {}, body: '' });
    expect(page.status).toBe(200);
    return /name="SAMLResponse" value="([^"]+)"/.exec(page.body)![1]!;
  };

  it('each instance signs with the new key right after another activated it, and with the old one again after undo', async () => {
    const b = secondInstance();
    const oldCertificate = (await a.bridge.signingCredentials()).certificateBase64;
    // Both instances warm, with the old key parsed and cached.
    await expect(sp(oldCertificate).validatePostResponseAsync({ SAMLResponse: await loginOn(a), RelayState: 'relay' })).resolves.toMatchObject({ loggedOut: false });
    await expect(sp(oldCertificate).validatePostResponseAsync({ SAMLResponse: await loginOn(b), RelayState: 'relay' })).resolves.toMatchObject({ loggedOut: false });

    // An admin on a third instance switches the key: only the store is shared.
    const ringPorts = { store: a.store, secrets: a.store, clock: a.clock, random: cryptoRandom, commonName: new URL(a.config.baseUrl).host };
    const prepared = await prepareNextKey(ringPorts, a.config.connectionId);
    if (!prepared.ok) throw new Error(prepared.reason);
    const activated = await activateNextKey(ringPorts, a.config.connectionId, prepared.ring.next!.fingerprint);
    expect(activated.ok).toBe(true);
    const newCertificate = base64Of(prepared.ring.next!.certificatePem);

    for (const instance of [a.bridge, b]) {
      const response = await loginOn(instance);
      await expect(sp(newCertificate).validatePostResponseAsync({ SAMLResponse: response, RelayState: 'relay' })).resolves.toMatchObject({ loggedOut: false });
      await expect(sp(oldCertificate).validatePostResponseAsync({ SAMLResponse: response, RelayState: 'relay' })).rejects.toThrow(/signature/i);
    }
    expect((await b.signingCredentials()).certificateBase64).toBe(newCertificate);

    const undone = await undoActivation(ringPorts, a.config.connectionId, activated.ring.previous!.fingerprint);
    expect(undone.ok).toBe(true);
    for (const instance of [a.bridge, b]) {
      const response = await loginOn(instance);
      await expect(sp(oldCertificate).validatePostResponseAsync({ SAMLResponse: response, RelayState: 'relay' })).resolves.toMatchObject({ loggedOut: false });
    }
  });
});
