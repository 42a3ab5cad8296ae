import { loggedActor } from '../test-login.js';
import type { ChangeAuditRecord } from '../audit/audit-trail.js';
import { bridgeUrls } from '../config.js';
import { directoryOf } from '../connections/directory.js';
import { documentJson, emptyDocument, readConnections, writeConnections, type ConnectionRecord, type ConnectionsDocument } from '../connections/connections-document.js';
import { storageKeys } from '../storage-keys.js';
import { newReference } from '../reference.js';
import type { ConnectionSummary } from './admin-api-types.js';
import type { AdminContext } from './admin-context.js';

/**
 * What every change to the stored connections goes through: read the document, apply the
 * change, write under compare-and-set, and record who changed which fields. A write that loses
 * to another admin's is tried again on the newer document, as long as the connection it is
 * about still has the revision the change was made against; otherwise the caller hears
 * `conflict`, never a silent overwrite.
 */

export type ConnectionChange =
  | { ok: true; document: ConnectionsDocument }
  /** `refused`: the change itself does not apply (a message for the admin). */
  | { ok: false; reason: 'conflict' | 'refused'; message: string };

/** How often a change is tried again after losing a write to another connection's change. */
const WRITE_ATTEMPTS = 3;

/**
 * Applies `change` to the stored document and writes it. `change` gets the current document and
 * returns the next one (revisions raised by `withConnection`/`withoutConnection`), or a refusal.
 */
export async function changeConnections(
  ctx: AdminContext,
  change: (document: ConnectionsDocument) => ConnectionChange,
): Promise<ConnectionChange> {
  for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
    const read = await readConnections(ctx.ports.store);
    const document = read.state === 'ok' ? read.document : emptyDocument();
    const next = change(document);
    if (!next.ok) return next;
    if (read.state === 'unreadable') {
      // What is stored cannot be read at all (the wizard said so and starts from empty
      // settings): the admin's save replaces it, as in the single-configuration release.
      await ctx.ports.store.set(storageKeys.connections(), documentJson(next.document));
      return next;
    }
    const stored = read.state === 'ok' && !read.migrated;
    if (await writeConnections(ctx.ports.store, next.document, { revision: document.revision, stored })) return next;
  }
  return { ok: false, reason: 'conflict', message: 'Someone else is changing the connections right now. Reload the page and try again.' };
}

/** The refusal of a change made against an older revision of a connection. */
export function revisionConflict(connection: ConnectionRecord | undefined, expected: number | undefined): ConnectionChange | undefined {
  if (!connection) return { ok: false, reason: 'refused', message: 'There is no such connection. Reload the page.' };
  if (expected !== undefined && connection.revision !== expected) {
    return { ok: false, reason: 'conflict', message: 'Another administrator changed this connection since you opened it. Reload the page to see their change, then make yours again.' };
  }
  return undefined;
}

/** The connections as the admin page lists them; ready ones are those the SSO URL serves. */
export function summarizeConnections(ctx: AdminContext, document: ConnectionsDocument): ConnectionSummary[] {
  const directory = directoryOf(document, { secrets: ctx.ports.secrets, baseUrl: ctx.baseUrl, allowLoopbackHttp: ctx.allowLoopbackHttp });
  return document.connections.map((connection) => {
    const ready = directory.connections.find((c) => c.id === connection.id);
    const entityId = connection.serviceProvider?.entityId?.trim();
    return {
      id: connection.id,
      name: connection.name,
      revision: connection.revision,
      ...(entityId ? { spEntityId: entityId } : {}),
      metadataUrl: bridgeUrls(ctx.baseUrl, connection.id).metadata,
      ready: ready !== undefined,
      providers: connection.providers.map((p) => ({ id: p.id, name: p.name, domains: ready?.providers.find((r) => r.id === p.id)?.domains.slice() ?? [...(p.allowedEmailDomains ?? [])] })),
    };
  });
}

/**
 * Records a change in the audit trail (who, when, which connection, which fields; never a value)
 * and in the log without the actor's details beyond the id the platform gave. The audit trail is
 * the record admins read on the admin page, so a change it could not record is not reported as a
 * success: the failure reaches the caller (with a log reference) and the admin can save again.
 * `actor` defaults to the caller (an ownership request taking effect names its requester).
 */
export async function recordChange(
  ctx: AdminContext,
  change: { action: string; connectionId?: string; fields: string[]; actor?: string; logEvent?: 'config.changed' | 'owners.changed' },
): Promise<void> {
  const reference = newReference(ctx.ports);
  const actor = change.actor ?? ctx.actor;
  // Owner changes name accounts in their fields: the log keeps only how many.
  const paths = change.logEvent === 'owners.changed' ? `${change.fields.length} owner field(s)` : change.fields.join(',');
  ctx.ports.logger.log('info', change.logEvent ?? 'config.changed', { reference, actor: loggedActor(actor), action: change.action, connection: change.connectionId, paths });
  if (!ctx.audit) return;
  const record: ChangeAuditRecord = {
    kind: 'change',
    reference,
    time: ctx.ports.clock.now(),
    actor,
    action: change.action,
    fields: change.fields,
    outcome: 'ok',
    ...(change.connectionId ? { connectionId: change.connectionId } : {}),
  };
  try {
    await ctx.audit.record(record);
  } catch (error) {
    ctx.ports.logger.log('error', 'audit.write_failed', { reference, detail: (error as Error)?.message?.slice(0, 200) });
    throw error;
  }
}

/** A new id for a connection or provider: short, key-safe, unguessable enough not to collide. */
export function newId(ctx: AdminContext): string {
  return ctx.ports.random.token(8).toLowerCase().replace(/[^a-z0-9]/g, '0').slice(0, 10);
}
