import { describe, expect, it } from '@jest/globals';
import type { AuditRecord, AuditTrail } from '../../../../src/core/audit/audit-trail.js';
import { storageKeys } from '../../../../src/core/storage-keys.js';
import { inProcessBridge } from '../../../support/in-process-bridge.js';
import { authnRequestXml, redirectEncode } from '../../../support/saml-messages.js';

/**
 * How the router records login attempts in the audit trail: one record per attempt, written
 * when the attempt ends (the callback), under the reference the end user sees on both legs; a
 * first leg that is refused is an attempt of its own; requests that are no login attempt at all
 * write nothing; and a trail that cannot be written never costs a user the login.
 */

const allRecords = async (trail: AuditTrail): Promise<AuditRecord[]> => (await trail.query({ limit: 200 })).records;

describe('login attempts in the audit trail', () => {
  it('writes one record per login, at the callback, with the first leg\'s reference and the user', async () => {
    const b = await inProcessBridge();
    const started = await b.startLogin('relay');
    expect(await allRecords(b.audit)).toEqual([]);
    b.clock.offsetMs += 1500;
    const done = await b.get('/oidc/callback', b.provider.authorize(started.location), started.cookie ? { cookie: [started.cookie] } : {});
    expect(done.status).toBe(200);
    const records = await allRecords(b.audit);
    expect(records).toEqual([
      expect.objectContaining({ kind: 'login', flow: 'sp', outcome: 'ok', connectionId: 'default', providerId: 'default', email: 'alice@example.com', samlRequestId: expect.stringMatching(/^_/) }),
    ]);
    const [record] = records as [Extract<AuditRecord, { kind: 'login' }>];
    expect(record.samlResponseId).toMatch(/^_/);
    expect(record.durationMs).toBeGreaterThanOrEqual(1500);
    // The log line of the first leg names the same reference.
    const firstLeg = b.logger.records.find((r) => r.event === 'login.started');
    expect(firstLeg?.fields.reference).toBe(record.reference);
  });

  it('gives a callback refusal the first leg\'s reference, so the page the user reads finds the record', async () => {
    const b = await inProcessBridge({ config: (base) => ({ ...base, allowedEmailDomains: ['example.org'] }) });
    const started = await b.startLogin();
    const refused = await b.get('/oidc/callback', b.provider.authorize(started.location), started.cookie ? { cookie: [started.cookie] } : {});
    expect(refused.status).toBe(403);
    const reference = refused.headers['X-Bridge-Reference']!;
    expect(refused.body).toContain(reference);
    await expect(b.audit.get(reference)).resolves.toMatchObject({ outcome: 'refused', code: 'user_domain_not_allowed', email: 'alice@example.com' });
    expect(b.logger.records.find((r) => r.event === 'login.started')?.fields.reference).toBe(reference);
    expect(await allRecords(b.audit)).toHaveLength(1);
  });

  it('records a refused first leg, and nothing for requests that are no login attempt', async () => {
    const b = await inProcessBridge();
    const refused = await b.get('/saml/sso', { SAMLRequest: ['not base64 at all!'] });
    expect(refused.status).toBe(400);
    await b.get('/saml/sso');
    await b.get('/oidc/callback', { state: ['not-an-issued-state'] });
    await b.get('/healthz');
    await b.get('/nowhere');
    expect((await allRecords(b.audit)).map((r) => [r.reference, r.kind === 'login' && r.code])).toEqual([[refused.headers['X-Bridge-Reference'], 'saml_request_malformed']]);
  });

  it('records a first leg refused after it was counted toward the login bound without counting it again', async () => {
    // A bound of one login: counting the refused leg twice would shed its record.
    const b = await inProcessBridge({ liveLoginLimit: 1 });
    const set = b.store.set.bind(b.store);
    b.store.set = ((key, value, options) => (key.startsWith(storageKeys.login('')) ? Promise.reject(new Error('store down')) : set(key, value, options))) as typeof b.store.set;
    const refused = await b.get('/saml/sso', { SAMLRequest: [redirectEncode(authnRequestXml())] });
    expect(refused.headers['X-Bridge-Error']).toBe('storage_unavailable');
    await expect(b.audit.get(refused.headers['X-Bridge-Reference']!)).resolves.toMatchObject({ outcome: 'refused', code: 'storage_unavailable' });
  });

  it('answers the user although the trail cannot be written, and says so in the log', async () => {
    const failing: AuditTrail = {
      record: () => Promise.reject(new Error('trail down')),
      get: () => Promise.resolve(undefined),
      query: () => Promise.resolve({ records: [] }),
    };
    const b = await inProcessBridge({ audit: failing });
    const started = await b.startLogin();
    const done = await b.get('/oidc/callback', b.provider.authorize(started.location), started.cookie ? { cookie: [started.cookie] } : {});
    expect(done.status).toBe(200);
    expect(done.body).toContain('SAMLResponse');
    expect(b.logger.records.filter((r) => r.event === 'audit.write_failed')).toHaveLength(1);
  });
});
