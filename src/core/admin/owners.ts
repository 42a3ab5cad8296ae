import { loggedActor } from '../test-login.js';
import { z } from 'zod';
import type { RevisedValue } from '../ports.js';
import { storageKeys } from '../storage-keys.js';
import type { AdminRefusal, OwnersResponse } from './admin-api-types.js';
import { badRequest, parsePayload, type AdminAnswer, type AdminContext } from './admin-context.js';
import { recordChange } from './connection-changes.js';

/**
 * SSO owners. On Forge every product admin can open the app, and the platform cannot tell
 * whether a caller is an organisation admin; whoever may change the provider, the SP values or
 * the user mapping can sign in to Atlassian as anyone in the linked domains. So the admins who may
 * change those are a list of their own, kept here: the admin who first saves a change becomes the
 * first owner, owners add and remove owners, and every other admin sees the settings read-only.
 *
 * Recovery without a backdoor: a non-owner may request ownership. The request is shown to every
 * admin at once, recorded in the audit trail, any owner can cancel it, and it takes effect only
 * after `OWNERSHIP_REQUEST_DELAY_MS`, checked lazily on the next admin call at or after that time.
 *
 * One record per installation (`storageKeys.owners()`), written under compare-and-set so two
 * admins racing to become the first owner cannot both win.
 */

export const OWNERSHIP_REQUEST_DELAY_MS = 72 * 60 * 60 * 1000;
export const MAX_OWNERS = 20;

/** An Atlassian account id (`5b10ac8d82e05b22cc7d4ef5`, `557058:f58131cb-…`) or a standalone token identity. */
export const OWNER_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9:._-]{0,127}$/;

/** Who `addedBy` names when an ownership request took effect. */
export const GRANTED_BY_REQUEST = 'ownership-request';

const ownerId = z.string().regex(OWNER_ID_PATTERN, 'An owner is named by an Atlassian account id (letters, digits, ":", ".", "_", "-").');

const ownersRecordSchema = z.object({
  revision: z.number().int().min(1),
  owners: z.array(z.object({ id: ownerId, addedAt: z.number(), addedBy: z.string().max(128) })).max(MAX_OWNERS),
  request: z.object({ requester: ownerId, requestedAt: z.number(), dueAt: z.number() }).optional(),
});

export type OwnersRecord = z.output<typeof ownersRecordSchema>;

/** What is stored: nothing yet (revision `null` for compare-and-set), a record, or something unreadable. */
export type OwnersRead = { state: 'ok'; record: OwnersRecord; stored: boolean } | { state: 'unreadable' };

const EMPTY: OwnersRecord = { revision: 0, owners: [] };

export async function readOwners(ctx: AdminContext): Promise<OwnersRead> {
  const raw = await ctx.ports.store.get(storageKeys.owners());
  if (raw === undefined) return { state: 'ok', record: EMPTY, stored: false };
  const parsed = ownersRecordSchema.safeParse(raw);
  return parsed.success ? { state: 'ok', record: parsed.data, stored: true } : { state: 'unreadable' };
}

/** Writes `next` (its revision one above `current`'s) if nobody wrote since `current` was read. */
async function writeOwners(ctx: AdminContext, current: { record: OwnersRecord; stored: boolean }, next: Omit<OwnersRecord, 'revision'>): Promise<OwnersRecord | undefined> {
  const record: OwnersRecord = { revision: current.record.revision + 1, owners: next.owners, ...(next.request ? { request: next.request } : {}) };
  const written = await ctx.ports.store.compareAndSet(storageKeys.owners(), current.stored ? current.record.revision : null, JSON.parse(JSON.stringify(record)) as RevisedValue);
  return written ? record : undefined;
}

export function isOwner(record: OwnersRecord, actor: string): boolean {
  return record.owners.some((owner) => owner.id === actor);
}

/**
 * The owners as they are now: a request whose time has come takes effect first (the requester
 * becomes an owner), recorded in the audit trail with the requester as its author.
 */
export async function currentOwners(ctx: AdminContext): Promise<OwnersRead> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const read = await readOwners(ctx);
    if (read.state !== 'ok') return read;
    const request = read.record.request;
    if (!request || ctx.ports.clock.now() < request.dueAt) return read;
    const owners = isOwner(read.record, request.requester)
      ? read.record.owners
      : [...read.record.owners, { id: request.requester, addedAt: ctx.ports.clock.now(), addedBy: GRANTED_BY_REQUEST }];
    const record = await writeOwners(ctx, read, { owners });
    if (record) {
      await recordChange(ctx, { action: 'ownership.granted', fields: [`owners.${request.requester}`], actor: request.requester, logEvent: 'owners.changed' });
      return { state: 'ok', record, stored: true };
    }
    // Another call settled or cancelled it meanwhile: read again.
  }
  return readOwners(ctx);
}

export function ownerRequired(record: OwnersRecord): AdminRefusal {
  const names = record.owners.map((owner) => owner.id).join(', ');
  return {
    error: 'owner_required',
    message:
      `Only an SSO owner can change what decides who signs in (${names}). ` +
      'You can look at the settings and run a connection test; to make changes, ask an owner to add you, or request ownership on the Owners page.',
  };
}

const unreadableRefusal = (): AdminRefusal => ({
  error: 'owner_required',
  message: 'The list of SSO owners cannot be read, so no change can be made until it is repaired. Nothing was changed.',
});

/** A first owner claimed for a change in flight: kept if the change succeeds, given back otherwise. */
export interface OwnerClaim {
  record: OwnersRecord;
}

/**
 * Whether the caller may make an owner-only change. With no owner yet, the caller becomes the
 * first one, atomically: of two admins racing, one write wins and the other is refused as a
 * non-owner (the claim, `OwnerClaim`, is given back by `settleClaim` if the change fails).
 */
export async function checkOwner(ctx: AdminContext): Promise<{ ok: true; claim?: OwnerClaim } | { ok: false; refusal: AdminRefusal }> {
  const read = await currentOwners(ctx);
  if (read.state !== 'ok') {
    ctx.ports.logger.log('error', 'owners.unreadable', { actor: loggedActor(ctx.actor) });
    return { ok: false, refusal: unreadableRefusal() };
  }
  if (isOwner(read.record, ctx.actor)) return { ok: true };
  if (read.record.owners.length > 0) return { ok: false, refusal: ownerRequired(read.record) };
  const record = await writeOwners(ctx, read, { owners: [{ id: ctx.actor, addedAt: ctx.ports.clock.now(), addedBy: ctx.actor }] });
  if (record) return { ok: true, claim: { record } };
  const again = await readOwners(ctx);
  return { ok: false, refusal: again.state === 'ok' ? ownerRequired(again.record) : unreadableRefusal() };
}

/**
 * After the change a claim was made for: a successful one keeps the caller as first owner (and
 * records it); a failed one (a field error, a refusal) gives the claim back, unless the record
 * changed meanwhile, so an admin whose first save was refused has not become an owner by it.
 */
export async function settleClaim(ctx: AdminContext, claim: OwnerClaim, succeeded: boolean): Promise<void> {
  if (succeeded) {
    await recordChange(ctx, { action: 'owners.first', fields: [`owners.${ctx.actor}`], logEvent: 'owners.changed' });
    return;
  }
  const read = await readOwners(ctx);
  if (read.state === 'ok' && read.stored && read.record.revision === claim.record.revision) await ctx.ports.store.delete(storageKeys.owners());
}

function view(ctx: AdminContext, record: OwnersRecord): OwnersResponse {
  return {
    owners: record.owners.map((owner) => ({ ...owner })),
    ...(record.request ? { request: { ...record.request } } : {}),
    you: ctx.actor,
    youAreOwner: isOwner(record, ctx.actor),
    unclaimed: record.owners.length === 0,
    requestDelayMs: OWNERSHIP_REQUEST_DELAY_MS,
  };
}

const CONFLICT = 'Someone else changed the owners at the same moment. Reload the page and try again.';

/** Reads the owners, applies `change` and writes under compare-and-set; a lost race is tried again. */
async function changeOwners(
  ctx: AdminContext,
  change: (record: OwnersRecord) => { next: Omit<OwnersRecord, 'revision'>; action: string; fields: string[] } | AdminRefusal,
): Promise<AdminAnswer<OwnersResponse>> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const read = await currentOwners(ctx);
    if (read.state !== 'ok') return unreadableRefusal();
    const outcome = change(read.record);
    if ('error' in outcome) return outcome;
    const record = await writeOwners(ctx, read, outcome.next);
    if (record) {
      await recordChange(ctx, { action: outcome.action, fields: outcome.fields, logEvent: 'owners.changed' });
      return view(ctx, record);
    }
  }
  return badRequest(CONFLICT);
}

const emptySchema = z.strictObject({});
const ownerChangeSchema = z.strictObject({ id: z.string().trim().pipe(ownerId) });

/** `owners/get`: the owners, a pending request with its due time, and whether the caller is an owner. Any admin. */
export async function ownersGet(ctx: AdminContext, payload: unknown): Promise<AdminAnswer<OwnersResponse>> {
  const parsed = parsePayload(emptySchema, payload);
  if (!parsed.ok) return parsed.refusal;
  const read = await currentOwners(ctx);
  return read.state === 'ok' ? view(ctx, read.record) : unreadableRefusal();
}

/** `owners/add` (owners only): another owner, by Atlassian account id (standalone: token identity). */
export async function ownersAdd(ctx: AdminContext, payload: unknown): Promise<AdminAnswer<OwnersResponse>> {
  const parsed = parsePayload(ownerChangeSchema, payload);
  if (!parsed.ok) return parsed.refusal;
  const id = parsed.value.id;
  return changeOwners(ctx, (record) => {
    if (isOwner(record, id)) return badRequest(`${id} is an owner already.`);
    if (record.owners.length >= MAX_OWNERS) return badRequest(`There can be at most ${MAX_OWNERS} owners.`);
    // A pending request by the new owner has nothing left to grant.
    const request = record.request?.requester === id ? undefined : record.request;
    return {
      next: { owners: [...record.owners, { id, addedAt: ctx.ports.clock.now(), addedBy: ctx.actor }], ...(request ? { request } : {}) },
      action: 'owners.add',
      fields: [`owners.${id}`],
    };
  });
}

/** `owners/remove` (owners only): never the last owner, so the installation always has one. */
export async function ownersRemove(ctx: AdminContext, payload: unknown): Promise<AdminAnswer<OwnersResponse>> {
  const parsed = parsePayload(ownerChangeSchema, payload);
  if (!parsed.ok) return parsed.refusal;
  const id = parsed.value.id;
  return changeOwners(ctx, (record) => {
    if (!isOwner(record, id)) return badRequest(`${id} is not an owner.`);
    if (record.owners.length === 1) return badRequest('The last owner cannot be removed: add another owner first.');
    return {
      next: { owners: record.owners.filter((owner) => owner.id !== id), ...(record.request ? { request: record.request } : {}) },
      action: 'owners.remove',
      fields: [`owners.${id}`],
    };
  });
}

/** `ownership/request` (any admin who is not an owner): takes effect after the delay unless an owner cancels it. */
export async function ownershipRequest(ctx: AdminContext, payload: unknown): Promise<AdminAnswer<OwnersResponse>> {
  const parsed = parsePayload(emptySchema, payload);
  if (!parsed.ok) return parsed.refusal;
  return changeOwners(ctx, (record) => {
    if (isOwner(record, ctx.actor)) return badRequest('You are an owner already.');
    if (record.owners.length === 0) return badRequest('There is no owner yet: the first change you save makes you the owner.');
    if (record.request) return badRequest(`${record.request.requester} has requested ownership already; only one request can wait at a time.`);
    const now = ctx.ports.clock.now();
    return {
      next: { owners: record.owners, request: { requester: ctx.actor, requestedAt: now, dueAt: now + OWNERSHIP_REQUEST_DELAY_MS } },
      action: 'ownership.request',
      fields: [`owners.${ctx.actor}`],
    };
  });
}

/** `ownership/cancel` (owners only): the pending request ends without effect. */
export async function ownershipCancel(ctx: AdminContext, payload: unknown): Promise<AdminAnswer<OwnersResponse>> {
  const parsed = parsePayload(emptySchema, payload);
  if (!parsed.ok) return parsed.refusal;
  return changeOwners(ctx, (record) => {
    if (!record.request) return badRequest('There is no pending ownership request.');
    return { next: { owners: record.owners }, action: 'ownership.cancel', fields: [`owners.${record.request.requester}`] };
  });
}
