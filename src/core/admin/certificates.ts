import { z } from 'zod';
import {
  activateNextKey,
  discardNextKey,
  ensureKeyRing,
  prepareNextKey,
  undoActivation,
  type KeyRing,
  type KeyRingChange,
  type KeyRingEntry,
  type KeyRingPorts,
} from '../../downstream-saml/signing-key-ring.js';
import { DEFAULT_ID } from '../storage-keys.js';
import {
  CERTIFICATE_WARNING_DAYS,
  type CertificateChangeResponse,
  type CertificateRefusalReason,
  type CertificateStatus,
  type CertificateSummary,
} from './admin-api-types.js';
import { badRequest, parsePayload, type AdminAnswer, type AdminContext } from './admin-context.js';
import { readConnections } from '../connections/connections-document.js';
import { recordChange } from './connection-changes.js';
import { targetFields } from './setup-state.js';

const DAY_MS = 24 * 3600 * 1000;

/** The key ring functions' ports for a resolver: the bridge's host names the certificates. */
export function keyRingPortsOf(ctx: AdminContext): KeyRingPorts {
  return { ...ctx.ports, commonName: new URL(ctx.baseUrl).host, ...(ctx.createSigningKey ? { createKey: ctx.createSigningKey } : {}) };
}

/** A connection's ring, made on first use (the same one the bridge signs with). */
export function connectionKeyRing(ctx: AdminContext, connectionId: string = DEFAULT_ID): Promise<KeyRing> {
  return ensureKeyRing(keyRingPortsOf(ctx), connectionId);
}

function summaryOf(entry: KeyRingEntry, now: number): CertificateSummary {
  return {
    fingerprint: entry.fingerprint,
    notAfter: entry.notAfter,
    daysLeft: Math.floor((Date.parse(entry.notAfter) - now) / DAY_MS),
    certificatePem: entry.certificatePem,
  };
}

/** What the admin page shows of a ring: public values, the expiry warning, whether undo is still possible. */
export function certificateStatus(ring: KeyRing, now: number): CertificateStatus {
  const active = summaryOf(ring.active, now);
  return {
    active: {
      ...active,
      expiresSoon: active.daysLeft < CERTIFICATE_WARNING_DAYS,
      ...(ring.active.activatedAt !== undefined ? { activatedAt: new Date(ring.active.activatedAt).toISOString() } : {}),
    },
    ...(ring.next ? { next: { ...summaryOf(ring.next, now), preparedAt: new Date(ring.next.createdAt).toISOString() } } : {}),
    // Undo is offered by the ring's own time, not by whether storage still holds the key.
    ...(ring.previous && now < ring.previous.undoUntil
      ? { undo: { fingerprint: ring.previous.fingerprint, notAfter: ring.previous.notAfter, until: new Date(ring.previous.undoUntil).toISOString() } }
      : {}),
  };
}

const REFUSALS: Record<CertificateRefusalReason, string> = {
  conflict: 'Another change to the signing certificates came first. Nothing was changed; look at the certificates again and retry.',
  no_next: 'There is no next certificate. Prepare one first.',
  next_changed: 'The next certificate changed since this page showed it (it was prepared again). Nothing was changed; save the certificate shown now in Guard, then activate it.',
  no_previous: 'There is no previous certificate to restore.',
  previous_changed: 'The previous certificate is not the one this page showed. Nothing was changed; reload the page.',
  undo_expired: 'The previous certificate can be restored for 7 days after the switch; that time is over.',
};

const fingerprintField = z.string().regex(/^[0-9A-F]{2}(:[0-9A-F]{2}){31}$/, 'not a SHA-256 fingerprint');
const changeSchema = z.strictObject({ connectionId: targetFields.connectionId, fingerprint: fingerprintField });
const prepareSchema = z.strictObject({ connectionId: targetFields.connectionId });

/**
 * Answers a ring change, recording it in the audit trail when it was made. `fields` name what
 * changed (never a value: fingerprints and certificates are public, but the trail keeps names).
 */
async function answer(ctx: AdminContext, connectionId: string, change: KeyRingChange, action: string, fields: string[]): Promise<CertificateChangeResponse> {
  const certificate = certificateStatus(change.ring, ctx.ports.clock.now());
  if (!change.ok) {
    ctx.ports.logger.log('info', 'certificate.refused', { action, connection: connectionId, reason: change.reason });
    return { ok: false, reason: change.reason, message: REFUSALS[change.reason], certificate };
  }
  await recordChange(ctx, { action, connectionId, fields });
  ctx.ports.logger.log('info', 'certificate.changed', { action, connection: connectionId, revision: change.ring.revision, active: change.ring.active.fingerprint });
  return { ok: true, certificate };
}

/** Whether a ring may be made or changed for `connectionId`: the first one, or a stored connection. */
async function knownConnection(ctx: AdminContext, connectionId: string): Promise<boolean> {
  if (connectionId === DEFAULT_ID) return true;
  const read = await readConnections(ctx.ports.store);
  return read.state === 'ok' && read.document.connections.some((c) => c.id === connectionId);
}

const NO_SUCH_CONNECTION = 'There is no such connection. Reload the page.';

/** `certificate/prepare`: a new key and certificate beside the active one (a prepared one is replaced). */
export async function certificatePrepare(ctx: AdminContext, payload: unknown): Promise<AdminAnswer<CertificateChangeResponse>> {
  const parsed = parsePayload(prepareSchema, payload);
  if (!parsed.ok) return parsed.refusal;
  const connectionId = parsed.value.connectionId ?? DEFAULT_ID;
  if (!(await knownConnection(ctx, connectionId))) return badRequest(NO_SUCH_CONNECTION);
  return answer(ctx, connectionId, await prepareNextKey(keyRingPortsOf(ctx), connectionId), 'certificate.prepare', ['signingCertificate.next']);
}

/** `certificate/activate`: the next certificate (the one the page showed) signs from the next login on. */
export async function certificateActivate(ctx: AdminContext, payload: unknown): Promise<AdminAnswer<CertificateChangeResponse>> {
  const parsed = parsePayload(changeSchema, payload);
  if (!parsed.ok) return parsed.refusal;
  const connectionId = parsed.value.connectionId ?? DEFAULT_ID;
  if (!(await knownConnection(ctx, connectionId))) return badRequest(NO_SUCH_CONNECTION);
  const change = await activateNextKey(keyRingPortsOf(ctx), connectionId, parsed.value.fingerprint);
  return answer(ctx, connectionId, change, 'certificate.activate', ['signingCertificate.active', 'signingCertificate.previous']);
}

/** `certificate/undo`: the previous certificate signs again, within 7 days of the switch. */
export async function certificateUndo(ctx: AdminContext, payload: unknown): Promise<AdminAnswer<CertificateChangeResponse>> {
  const parsed = parsePayload(changeSchema, payload);
  if (!parsed.ok) return parsed.refusal;
  const connectionId = parsed.value.connectionId ?? DEFAULT_ID;
  if (!(await knownConnection(ctx, connectionId))) return badRequest(NO_SUCH_CONNECTION);
  const change = await undoActivation(keyRingPortsOf(ctx), connectionId, parsed.value.fingerprint);
  return answer(ctx, connectionId, change, 'certificate.undo', ['signingCertificate.active', 'signingCertificate.next']);
}

/** `certificate/discard-next`: drops the prepared certificate without activating it. */
export async function certificateDiscardNext(ctx: AdminContext, payload: unknown): Promise<AdminAnswer<CertificateChangeResponse>> {
  const parsed = parsePayload(changeSchema, payload);
  if (!parsed.ok) return parsed.refusal;
  const connectionId = parsed.value.connectionId ?? DEFAULT_ID;
  if (!(await knownConnection(ctx, connectionId))) return badRequest(NO_SUCH_CONNECTION);
  const change = await discardNextKey(keyRingPortsOf(ctx), connectionId, parsed.value.fingerprint);
  return answer(ctx, connectionId, change, 'certificate.discard-next', ['signingCertificate.next']);
}
