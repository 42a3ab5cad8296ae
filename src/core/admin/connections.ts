import { deleteKeyRing } from '../../downstream-saml/signing-key-ring.js';
import { z } from 'zod';
import { forgetDraft } from '../connections/connection-draft.js';
import {
  ID_PATTERN,
  MAX_CONNECTIONS,
  MAX_PROVIDERS_PER_CONNECTION,
  newConnection,
  withConnection,
  withoutConnection,
  type ConnectionRecord,
} from '../connections/connections-document.js';
import { DEFAULT_ID, storageKeys } from '../storage-keys.js';
import { actorHash } from '../test-login.js';
import type { ConnectionChangeResponse, ConnectionDeleteResponse } from './admin-api-types.js';
import { parsePayload, type AdminAnswer, type AdminContext } from './admin-context.js';
import { changeConnections, newId, recordChange, revisionConflict, summarizeConnections, type ConnectionChange } from './connection-changes.js';
import { deleteClientKeyRing } from '../../upstream-oidc/client-key-ring.js';

/**
 * The resolvers that add, rename and remove connections and their providers. A connection is
 * one identity provider entry in Atlassian Guard; a provider is one OIDC provider behind it.
 * Every change goes through `changeConnections` (compare-and-set, audit record).
 */

const connectionId = () => z.string().regex(ID_PATTERN, 'not a connection id');
const providerId = () => z.string().regex(ID_PATTERN, 'not a provider id');
const name = () => z.string().trim().min(1, 'Enter a name.').max(100, 'Keep the name under 100 characters.');
const revision = () => z.number().int().min(1);

const connectionSaveSchema = z.strictObject({ connectionId: connectionId().optional(), name: name(), expectedRevision: revision().optional() });
const connectionDeleteSchema = z.strictObject({ connectionId: connectionId(), expectedRevision: revision() });
const providerSaveSchema = z.strictObject({ connectionId: connectionId(), providerId: providerId().optional(), name: name(), expectedRevision: revision().optional() });
const providerDeleteSchema = z.strictObject({ connectionId: connectionId(), providerId: providerId(), expectedRevision: revision() });

function refused(change: Extract<ConnectionChange, { ok: false }>): { ok: false; message: string; conflict?: true } {
  return { ok: false, message: change.message, ...(change.reason === 'conflict' ? { conflict: true as const } : {}) };
}

function answer(ctx: AdminContext, change: Extract<ConnectionChange, { ok: true }>, id: string, provider?: string): ConnectionChangeResponse {
  const connections = summarizeConnections(ctx, change.document);
  return { ok: true, connection: connections.find((c) => c.id === id)!, connections, ...(provider ? { providerId: provider } : {}) };
}

/** `connections/save`: a new connection (with one provider, to be set up in the wizard), or a new name. */
export async function connectionSave(ctx: AdminContext, payload: unknown): Promise<AdminAnswer<ConnectionChangeResponse>> {
  const parsed = parsePayload(connectionSaveSchema, payload);
  if (!parsed.ok) return parsed.refusal;
  const request = parsed.value;
  let id = request.connectionId ?? '';
  const change = await changeConnections(ctx, (document) => {
    if (!request.connectionId) {
      if (document.connections.length >= MAX_CONNECTIONS) return { ok: false, reason: 'refused', message: `An installation holds at most ${MAX_CONNECTIONS} connections.` };
      // The first connection of an installation is the one `/saml/metadata` serves. Decided on
      // the document this attempt read: a retry after another admin's write decides again.
      const first = document.connections.length === 0;
      id = first ? DEFAULT_ID : newId(ctx);
      return { ok: true, document: withConnection(document, newConnection(id, request.name, first ? DEFAULT_ID : newId(ctx))) };
    }
    const existing = document.connections.find((c) => c.id === id);
    const conflict = revisionConflict(existing, request.expectedRevision);
    if (conflict) return conflict;
    return { ok: true, document: withConnection(document, { ...existing!, name: request.name }) };
  });
  if (!change.ok) return refused(change);
  await recordChange(ctx, { action: request.connectionId ? 'connection.rename' : 'connection.create', connectionId: id, fields: ['name'] });
  return answer(ctx, change, id);
}

/**
 * `connections/delete`: removes a connection the admin confirmed at its current revision, and
 * then its secrets (signing key, client secrets) and wizard state. Logins for its service
 * provider stop at once: the SSO URL no longer knows its Issuer.
 */
export async function connectionDelete(ctx: AdminContext, payload: unknown): Promise<AdminAnswer<ConnectionDeleteResponse>> {
  const parsed = parsePayload(connectionDeleteSchema, payload);
  if (!parsed.ok) return parsed.refusal;
  const { connectionId: id, expectedRevision } = parsed.value;
  let removed: ConnectionRecord | undefined;
  const change = await changeConnections(ctx, (document) => {
    removed = document.connections.find((c) => c.id === id);
    const conflict = revisionConflict(removed, expectedRevision);
    if (conflict) return conflict;
    return { ok: true, document: withoutConnection(document, id) };
  });
  if (!change.ok) return refused(change);
  await forgetConnection(ctx, removed!);
  await recordChange(ctx, { action: 'connection.delete', connectionId: id, fields: ['*'] });
  return { ok: true, connections: summarizeConnections(ctx, change.document) };
}

/** `providers/save`: a new provider of a connection, or a new name for one. */
export async function providerSave(ctx: AdminContext, payload: unknown): Promise<AdminAnswer<ConnectionChangeResponse>> {
  const parsed = parsePayload(providerSaveSchema, payload);
  if (!parsed.ok) return parsed.refusal;
  const request = parsed.value;
  const id = request.providerId ?? newId(ctx);
  const change = await changeConnections(ctx, (document) => {
    const existing = document.connections.find((c) => c.id === request.connectionId);
    const conflict = revisionConflict(existing, request.expectedRevision);
    if (conflict) return conflict;
    const connection = existing!;
    if (request.providerId) {
      if (!connection.providers.some((p) => p.id === id)) return { ok: false, reason: 'refused', message: 'There is no such provider in this connection. Reload the page.' };
      return { ok: true, document: withConnection(document, { ...connection, providers: connection.providers.map((p) => (p.id === id ? { ...p, name: request.name } : p)) }) };
    }
    if (connection.providers.length >= MAX_PROVIDERS_PER_CONNECTION) {
      return { ok: false, reason: 'refused', message: `A connection holds at most ${MAX_PROVIDERS_PER_CONNECTION} providers.` };
    }
    return { ok: true, document: withConnection(document, { ...connection, providers: [...connection.providers, { id, name: request.name }] }) };
  });
  if (!change.ok) return refused(change);
  await recordChange(ctx, { action: request.providerId ? 'provider.rename' : 'provider.create', connectionId: request.connectionId, fields: [`providers.${id}.name`] });
  return answer(ctx, change, request.connectionId, id);
}

/** `providers/delete`: removes a provider (never the last one: a connection needs one) and its client secret. */
export async function providerDelete(ctx: AdminContext, payload: unknown): Promise<AdminAnswer<ConnectionDeleteResponse>> {
  const parsed = parsePayload(providerDeleteSchema, payload);
  if (!parsed.ok) return parsed.refusal;
  const request = parsed.value;
  const change = await changeConnections(ctx, (document) => {
    const existing = document.connections.find((c) => c.id === request.connectionId);
    const conflict = revisionConflict(existing, request.expectedRevision);
    if (conflict) return conflict;
    const connection = existing!;
    if (!connection.providers.some((p) => p.id === request.providerId)) return { ok: false, reason: 'refused', message: 'There is no such provider in this connection. Reload the page.' };
    if (connection.providers.length === 1) return { ok: false, reason: 'refused', message: 'A connection needs at least one provider. Delete the connection instead.' };
    return { ok: true, document: withConnection(document, { ...connection, providers: connection.providers.filter((p) => p.id !== request.providerId) }) };
  });
  if (!change.ok) return refused(change);
  await forgetProvider(ctx, request.connectionId, request.providerId);
  await recordChange(ctx, { action: 'provider.delete', connectionId: request.connectionId, fields: [`providers.${request.providerId}`] });
  return { ok: true, connections: summarizeConnections(ctx, change.document) };
}

/** A deleted connection's secrets and wizard state: nothing of it may sign or be shown again. */
async function forgetConnection(ctx: AdminContext, connection: ConnectionRecord): Promise<void> {
  const { secrets, store } = ctx.ports;
  await deleteKeyRing(ctx.ports, connection.id);
  for (const provider of connection.providers) await forgetProvider(ctx, connection.id, provider.id);
  await store.delete(storageKeys.wizardProgress(connection.id));
  await store.delete(storageKeys.wizardRollout(connection.id));
  await forgetDraft(ctx.ports, connection.id, connection.providers.map((p) => p.id));
}

/** A deleted provider's client secret, client keys and test state. */
async function forgetProvider(ctx: AdminContext, connectionId: string, providerId: string): Promise<void> {
  await ctx.ports.secrets.deleteSecret(storageKeys.clientSecret(connectionId, providerId));
  await deleteClientKeyRing(ctx.ports, connectionId, providerId);
  await ctx.ports.store.delete(storageKeys.wizardTestPassed(connectionId, providerId));
  await ctx.ports.secrets.deleteSecret(storageKeys.draftClientSecret(connectionId, providerId));
  await ctx.ports.store.delete(storageKeys.draftTestPassed(connectionId, providerId));
  await ctx.ports.store.delete(storageKeys.wizardLastTest(connectionId, providerId));
  // Other admins' last-test claims of this provider expire with their TTL (keys per admin).
  await ctx.ports.store.delete(storageKeys.wizardLastTest(connectionId, providerId, actorHash(ctx.actor)));
}
