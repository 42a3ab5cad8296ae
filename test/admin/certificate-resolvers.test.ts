import { describe, expect, it } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import samlify from 'samlify';
import type { CertificateChangeResponse, ConfigGetResponse, IdpMetadataResponse } from '../../src/core/admin/admin-api-types.js';
import type { AdminContext } from '../../src/core/admin/admin-context.js';
import { runAdminResolver, type AdminOutcome } from '../../src/core/admin/admin-resolvers.js';
import type { ChangeAuditRecord } from '../../src/core/audit/audit-trail.js';
import { UNDO_WINDOW_MS } from '../../src/downstream-saml/signing-key-ring.js';
import { keyPool } from './support/key-pool.js';
import type { MemoryAdmin } from './support/memory-ports.js';

/**
 * The signing certificate's lifecycle through the admin resolvers (`certificate/*`,
 * src/core/admin/certificates.ts): owner-only, every change in the audit trail, the status in
 * `config/get`, both certificates in `idp/metadata` while one is prepared, and no change lost
 * when two owners act at once.
 */

const DAY_MS = 24 * 3600 * 1000;
const PEM = /^-----BEGIN CERTIFICATE-----\n(?:[A-Za-z0-9+/]{64}\n)*[A-Za-z0-9+/=]{1,64}\n-----END CERTIFICATE-----$/;

const { installation } = keyPool(5);

async function call<T>(ctx: AdminContext, key: string, payload: unknown): Promise<T> {
  const outcome: AdminOutcome = await runAdminResolver(key, ctx, payload);
  if (outcome.kind === 'failed') throw new Error(`resolver failed: ${outcome.code}`);
  return outcome.body as T;
}

const change = (ctx: AdminContext, key: string, payload: unknown = {}) => call<CertificateChangeResponse>(ctx, key, payload);
const status = async (ctx: AdminContext) => (await call<ConfigGetResponse>(ctx, 'config/get', {})).certificate;

async function certificateChanges(admin: MemoryAdmin): Promise<ChangeAuditRecord[]> {
  const page = await admin.audit.query({ kind: 'change', limit: 200 });
  return page.records.filter((r): r is ChangeAuditRecord => r.kind === 'change' && r.action.startsWith('certificate.'));
}

/** An installation with owner `owner-a` (the first owner-only call makes its caller the owner). */
async function owned() {
  const inst = installation();
  await expect(call(inst.owner, 'owners/add', { id: 'owner-c' })).resolves.toMatchObject({ youAreOwner: true });
  return inst;
}

describe('the certificate resolvers', () => {
  it('show the active certificate in config/get: fingerprint, expiry, days left, the exact PEM, no warning far from expiry', async () => {
    const { owner } = await owned();
    const config = await call<ConfigGetResponse>(owner, 'config/get', {});
    const { active } = config.certificate;
    expect(active.certificatePem).toMatch(PEM);
    expect(active.certificatePem).toBe(config.bridge.certificatePem);
    expect(active.fingerprint).toBe(new X509Certificate(active.certificatePem).fingerprint256);
    expect(active.notAfter).toBe(new Date(new X509Certificate(active.certificatePem).validTo).toISOString());
    expect(active.daysLeft).toBeGreaterThan(3000);
    expect(active.expiresSoon).toBe(false);
    expect(config.certificate.next).toBeUndefined();
    expect(config.certificate.undo).toBeUndefined();
  });

  it('warn from 60 days before expiry, not before', async () => {
    const { admin, owner } = await owned();
    const { active } = await status(owner);
    admin.clock.now = Date.parse(active.notAfter) - 61 * DAY_MS;
    expect((await status(owner)).active).toMatchObject({ daysLeft: 61, expiresSoon: false });
    admin.clock.now = Date.parse(active.notAfter) - 60 * DAY_MS + 1000;
    expect((await status(owner)).active).toMatchObject({ daysLeft: 59, expiresSoon: true });
  });

  it('prepare, activate and undo: each an owner change in the audit trail, with the status after it', async () => {
    const { admin, owner } = await owned();
    const first = await status(owner);

    const prepared = await change(owner, 'certificate/prepare');
    if (!prepared.ok) throw new Error(prepared.message);
    const next = prepared.certificate.next!;
    expect(next.certificatePem).toMatch(PEM);
    expect(next.fingerprint).not.toBe(first.active.fingerprint);
    expect(prepared.certificate.active.fingerprint).toBe(first.active.fingerprint);
    expect((await status(owner)).next).toEqual(next);

    // While prepared, the metadata publishes both; the active one first.
    const { xml } = await call<IdpMetadataResponse>(owner, 'idp/metadata', {});
    const published = [samlify.IdPMetadata(xml).getX509Certificate('signing')].flat().map((c) => String(c).replace(/\s+/g, ''));
    const base64 = (pem: string) => pem.replace(/-----[^-]+-----|\s+/g, '');
    expect(published).toEqual([base64(first.active.certificatePem), base64(next.certificatePem)]);

    // The trail lists newest first: each change a second apart keeps their order certain.
    admin.clock.now += 1000;
    const activated = await change(owner, 'certificate/activate', { fingerprint: next.fingerprint });
    if (!activated.ok) throw new Error(activated.message);
    expect(activated.certificate.active.fingerprint).toBe(next.fingerprint);
    expect(activated.certificate.active.activatedAt).toBe(new Date(admin.clock.now).toISOString());
    expect(activated.certificate.next).toBeUndefined();
    expect(activated.certificate.undo).toEqual({ fingerprint: first.active.fingerprint, notAfter: first.active.notAfter, until: new Date(admin.clock.now + UNDO_WINDOW_MS).toISOString() });
    const after = await call<ConfigGetResponse>(owner, 'config/get', {});
    expect(after.bridge.certificatePem).toBe(next.certificatePem);

    admin.clock.now += 6 * DAY_MS;
    const undone = await change(owner, 'certificate/undo', { fingerprint: first.active.fingerprint });
    if (!undone.ok) throw new Error(undone.message);
    expect(undone.certificate.active.fingerprint).toBe(first.active.fingerprint);
    expect(undone.certificate.next?.fingerprint).toBe(next.fingerprint);
    expect(undone.certificate.undo).toBeUndefined();

    const recorded = await certificateChanges(admin);
    expect(recorded.map((r) => [r.action, r.actor, r.connectionId, r.outcome])).toEqual([
      ['certificate.undo', 'owner-a', 'default', 'ok'],
      ['certificate.activate', 'owner-a', 'default', 'ok'],
      ['certificate.prepare', 'owner-a', 'default', 'ok'],
    ]);
    expect(recorded[1]!.fields).toEqual(['signingCertificate.active', 'signingCertificate.previous']);
  });

  it('discards a prepared certificate, recorded', async () => {
    const { admin, owner } = await owned();
    const prepared = await change(owner, 'certificate/prepare');
    if (!prepared.ok) throw new Error(prepared.message);
    admin.clock.now += 1000;
    const discarded = await change(owner, 'certificate/discard-next', { fingerprint: prepared.certificate.next!.fingerprint });
    expect(discarded).toMatchObject({ ok: true });
    expect(discarded.certificate.next).toBeUndefined();
    expect((await certificateChanges(admin))[0]).toMatchObject({ action: 'certificate.discard-next', fields: ['signingCertificate.next'] });
  });

  it('refuse undo 7 days after the switch, and record nothing', async () => {
    const { admin, owner } = await owned();
    const first = await status(owner);
    const prepared = await change(owner, 'certificate/prepare');
    if (!prepared.ok) throw new Error(prepared.message);
    await change(owner, 'certificate/activate', { fingerprint: prepared.certificate.next!.fingerprint });
    admin.clock.now += UNDO_WINDOW_MS;
    expect((await status(owner)).undo).toBeUndefined();
    const recorded = (await certificateChanges(admin)).length;
    const refused = await change(owner, 'certificate/undo', { fingerprint: first.active.fingerprint });
    expect(refused).toMatchObject({ ok: false, reason: 'undo_expired' });
    expect(refused.certificate.active.fingerprint).toBe(prepared.certificate.next!.fingerprint);
    expect(await certificateChanges(admin)).toHaveLength(recorded);
  });

  it('refuse every change to an admin who is not an owner, and record nothing', async () => {
    const { admin, as, owner } = await owned();
    const prepared = await change(owner, 'certificate/prepare');
    if (!prepared.ok) throw new Error(prepared.message);
    const intruder = as('not-owner-b');
    const recorded = (await certificateChanges(admin)).length;
    for (const [key, payload] of [
      ['certificate/prepare', {}],
      ['certificate/activate', { fingerprint: prepared.certificate.next!.fingerprint }],
      ['certificate/discard-next', { fingerprint: prepared.certificate.next!.fingerprint }],
      ['certificate/undo', { fingerprint: prepared.certificate.active.fingerprint }],
    ] as const) {
      await expect(call(intruder, key, payload)).resolves.toMatchObject({ error: 'owner_required' });
    }
    expect(await status(owner)).toEqual(prepared.certificate);
    expect(await certificateChanges(admin)).toHaveLength(recorded);
  });

  it('two owners preparing at once: one wins, the other is told, and the stored next certificate is the winner’s', async () => {
    const { as, owner } = await owned();
    await status(owner);
    const [a, b] = await Promise.all([change(owner, 'certificate/prepare'), change(as('owner-c'), 'certificate/prepare')]);
    const winner = [a, b].find((r) => r.ok)!;
    const loser = [a, b].find((r) => !r.ok);
    expect(loser).toMatchObject({ ok: false, reason: 'conflict' });
    expect((await status(owner)).next!.fingerprint).toBe(winner.certificate.next!.fingerprint);
  });

  it('refuse to activate a next certificate other than the one the page showed (another owner prepared again)', async () => {
    const { as, owner } = await owned();
    const shown = await change(owner, 'certificate/prepare');
    const again = await change(as('owner-c'), 'certificate/prepare');
    if (!shown.ok || !again.ok) throw new Error('prepare refused');
    const refused = await change(owner, 'certificate/activate', { fingerprint: shown.certificate.next!.fingerprint });
    expect(refused).toMatchObject({ ok: false, reason: 'next_changed' });
    expect(refused.certificate.active.fingerprint).toBe(shown.certificate.active.fingerprint);
    expect(refused.certificate.next!.fingerprint).toBe(again.certificate.next!.fingerprint);
  });

  it('refuse payloads that are not a fingerprint, and connections that do not exist', async () => {
    const { owner } = await owned();
    await expect(call(owner, 'certificate/activate', { fingerprint: 'AA:BB' })).resolves.toMatchObject({ error: 'bad_request' });
    await expect(call(owner, 'certificate/activate', {})).resolves.toMatchObject({ error: 'bad_request' });
    await expect(call(owner, 'certificate/prepare', { connectionId: 'nope' })).resolves.toMatchObject({ error: 'bad_request' });
  });
});
