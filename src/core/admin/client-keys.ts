import { z } from 'zod';
import type { KeyRing, KeyRingChange } from '../key-ring/key-ring.js';
import {
  activateNextClientKey,
  clientJwks,
  clientJwksUrl,
  discardNextClientKey,
  ensureClientKeyRing,
  prepareNextClientKey,
  readClientKeyRing,
  thumbprintOf,
  undoClientKeyActivation,
} from '../../upstream-oidc/client-key-ring.js';
import { connectionFieldPath, readConnections } from '../connections/connections-document.js';
import { DEFAULT_ID } from '../storage-keys.js';
import type { CertificateRefusalReason, ClientKeyChangeResponse, ClientKeyResponse, ClientKeyStatus } from './admin-api-types.js';
import { badRequest, parsePayload, type AdminAnswer, type AdminContext } from './admin-context.js';
import { certificateStatus, keyRingPortsOf } from './certificates.js';
import { recordChange } from './connection-changes.js';
import { targetFields } from './setup-state.js';

/**
 * A provider's client keys (`private_key_jwt`) through the admin resolvers: the status with the
 * public JWKS and its URL (any admin), and the rotation (`client-key/prepare|activate|undo|
 * discard-next`, owners only, each change in the audit trail), shaped as the signing
 * certificate's (`certificates.ts`). The private keys never leave secret storage.
 */

function statusOf(ctx: AdminContext, connectionId: string, providerId: string, ring: KeyRing): ClientKeyStatus {
  return {
    jwksUrl: clientJwksUrl(ctx.baseUrl, connectionId, providerId),
    jwks: clientJwks(ring),
    keys: { ...certificateStatus(ring, ctx.ports.clock.now()), activeKid: thumbprintOf(ring.active), ...(ring.next ? { nextKid: thumbprintOf(ring.next) } : {}) },
  };
}

const REFUSALS: Record<CertificateRefusalReason, string> = {
  conflict: 'Another change to the client keys came first. Nothing was changed; look at the keys again and retry.',
  no_next: 'There is no next client key. Prepare one first.',
  next_changed: 'The next client key changed since this page showed it (it was prepared again). Nothing was changed; register the key shown now at the provider, then activate it.',
  no_previous: 'There is no previous client key to restore.',
  previous_changed: 'The previous client key is not the one this page showed. Nothing was changed; reload the page.',
  undo_expired: 'The previous client key can be restored for 7 days after the switch; that time is over.',
};

const fingerprintField = z.string().regex(/^[0-9A-F]{2}(:[0-9A-F]{2}){31}$/, 'not a SHA-256 fingerprint');
const targetSchema = z.strictObject(targetFields);
const changeSchema = z.strictObject({ ...targetFields, fingerprint: fingerprintField });

type Target = { connectionId: string; providerId: string };

/** The target of a call, if it names a stored provider. */
async function knownProvider(ctx: AdminContext, target: { connectionId?: string | undefined; providerId?: string | undefined }): Promise<Target | undefined> {
  const connectionId = target.connectionId ?? DEFAULT_ID;
  const providerId = target.providerId ?? DEFAULT_ID;
  const read = await readConnections(ctx.ports.store);
  const known = read.state === 'ok' && read.document.connections.some((c) => c.id === connectionId && c.providers.some((p) => p.id === providerId));
  return known ? { connectionId, providerId } : undefined;
}

const NO_SUCH_PROVIDER = 'There is no such provider. Save the provider step first, or reload the page.';

/** Answers a ring change, recording it (field names only, never a key) when it was made. */
async function answer(ctx: AdminContext, target: Target, change: KeyRingChange, action: string, fields: string[]): Promise<ClientKeyChangeResponse> {
  const clientKey = statusOf(ctx, target.connectionId, target.providerId, change.ring);
  if (!change.ok) {
    ctx.ports.logger.log('info', 'client_key.refused', { action, connection: target.connectionId, provider: target.providerId, reason: change.reason });
    return { ok: false, reason: change.reason, message: REFUSALS[change.reason], clientKey };
  }
  await recordChange(ctx, { action, connectionId: target.connectionId, fields: fields.map((field) => connectionFieldPath(field, target.providerId)) });
  return { ok: true, clientKey };
}

/**
 * Makes the provider's first client key when it has none (the method was just chosen), recorded
 * as `client-key.create`. Called by `config/save` and `client-key/prepare`.
 */
export async function ensureProviderClientKey(ctx: AdminContext, target: Target): Promise<KeyRing> {
  const existing = await readClientKeyRing(ctx.ports.store, target.connectionId, target.providerId);
  if (existing) return existing;
  const ring = await ensureClientKeyRing(keyRingPortsOf(ctx), target.connectionId, target.providerId);
  await recordChange(ctx, { action: 'client-key.create', connectionId: target.connectionId, fields: [connectionFieldPath('oidc.clientKey.active', target.providerId)] });
  return ring;
}

/** `client-key/get`: the provider's public keys and JWKS URL; makes nothing. */
export async function clientKeyGet(ctx: AdminContext, payload: unknown): Promise<AdminAnswer<ClientKeyResponse>> {
  const parsed = parsePayload(targetSchema, payload);
  if (!parsed.ok) return parsed.refusal;
  const connectionId = parsed.value.connectionId ?? DEFAULT_ID;
  const providerId = parsed.value.providerId ?? DEFAULT_ID;
  const ring = await readClientKeyRing(ctx.ports.store, connectionId, providerId);
  if (!ring) return { exists: false, jwksUrl: clientJwksUrl(ctx.baseUrl, connectionId, providerId) };
  return { exists: true, ...statusOf(ctx, connectionId, providerId, ring) };
}

/** `client-key/prepare`: the provider's first key, or a next key beside the active one (published in the JWKS at once). */
export async function clientKeyPrepare(ctx: AdminContext, payload: unknown): Promise<AdminAnswer<ClientKeyChangeResponse>> {
  const parsed = parsePayload(targetSchema, payload);
  if (!parsed.ok) return parsed.refusal;
  const target = await knownProvider(ctx, parsed.value);
  if (!target) return badRequest(NO_SUCH_PROVIDER);
  if (!(await readClientKeyRing(ctx.ports.store, target.connectionId, target.providerId))) {
    return { ok: true, clientKey: statusOf(ctx, target.connectionId, target.providerId, await ensureProviderClientKey(ctx, target)) };
  }
  const change = await prepareNextClientKey(keyRingPortsOf(ctx), target.connectionId, target.providerId);
  return answer(ctx, target, change, 'client-key.prepare', ['oidc.clientKey.next']);
}

/** `client-key/activate`: the next key (the one the page showed) signs from the next token request on. */
export async function clientKeyActivate(ctx: AdminContext, payload: unknown): Promise<AdminAnswer<ClientKeyChangeResponse>> {
  return change(ctx, payload, 'client-key.activate', ['oidc.clientKey.active', 'oidc.clientKey.previous'], activateNextClientKey);
}

/** `client-key/undo`: the previous key signs again, within 7 days of the switch. */
export async function clientKeyUndo(ctx: AdminContext, payload: unknown): Promise<AdminAnswer<ClientKeyChangeResponse>> {
  return change(ctx, payload, 'client-key.undo', ['oidc.clientKey.active', 'oidc.clientKey.next'], undoClientKeyActivation);
}

/** `client-key/discard-next`: drops the prepared key; it leaves the JWKS, and nothing signed by it is accepted any more. */
export async function clientKeyDiscardNext(ctx: AdminContext, payload: unknown): Promise<AdminAnswer<ClientKeyChangeResponse>> {
  return change(ctx, payload, 'client-key.discard-next', ['oidc.clientKey.next'], discardNextClientKey);
}

type RingChange = typeof activateNextClientKey;

async function change(ctx: AdminContext, payload: unknown, action: string, fields: string[], run: RingChange): Promise<AdminAnswer<ClientKeyChangeResponse>> {
  const parsed = parsePayload(changeSchema, payload);
  if (!parsed.ok) return parsed.refusal;
  const target = await knownProvider(ctx, parsed.value);
  if (!target) return badRequest(NO_SUCH_PROVIDER);
  if (!(await readClientKeyRing(ctx.ports.store, target.connectionId, target.providerId))) {
    return { ok: false, reason: 'no_next', message: 'This provider has no client key yet. Prepare one first.' };
  }
  return answer(ctx, target, await run(keyRingPortsOf(ctx), target.connectionId, target.providerId, parsed.value.fingerprint), action, fields);
}
