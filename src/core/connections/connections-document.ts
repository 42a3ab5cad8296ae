import { z } from 'zod';
import type { AdminSettings } from '../admin/admin-api-types.js';
import type { ConfigProblem } from '../config.js';
import type { Json, KeyValueStore, RevisedValue } from '../ports.js';
import { DEFAULT_ID, storageKeys } from '../storage-keys.js';
import { adminSettingsSchema, settingsMaskAt, storedSettings, type FieldLevel } from '../config-fields.js';

/**
 * The stored document that holds every connection (`storageKeys.connections()`): one SAML
 * service provider (one identity provider entry in Atlassian Guard) each, with its user mapping
 * and one or more OIDC providers, each provider with its own allowed email domains. No secret
 * lives here (client secrets and signing keys are in secret storage, by connection and provider
 * id). The document is versioned (`v`) and written under compare-and-set on its `revision`;
 * every connection carries its own revision too, so an admin saving a connection someone else
 * changed meanwhile is told so instead of overwriting it.
 *
 * One document rather than a key per connection: the SSO URL must find a connection by the
 * AuthnRequest's Issuer, and one read serves every login of every connection.
 */

export const CONNECTIONS_DOCUMENT_VERSION = 2;
export const MAX_CONNECTIONS = 20;
export const MAX_PROVIDERS_PER_CONNECTION = 10;

/** Ids are key-safe (they appear in storage keys and URLs) and short. */
export const ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,39}$/;
const id = () => z.string().regex(ID_PATTERN);
const text = (max: number) => z.string().max(max);

const settings = adminSettingsSchema('strip');
/** Each top-level setting of the wizard and whether it lives on the connection or on each provider (the field table's `level`). */
const STORED_SETTINGS = storedSettings();

const providerRecordSchema = z.object({
  id: id(),
  name: text(100),
  ...settings.pick(settingsMaskAt('provider')).shape,
  /** Changes whenever the client secret does, so the document's revision covers the secret. */
  secretRevision: text(64).optional(),
});

/** One connection as stored; a draft (`connection-draft.ts`) is checked by the same schema. */
export const connectionRecordSchema = z.object({
  id: id(),
  name: text(100),
  revision: z.number().int().min(1),
  ...settings.pick(settingsMaskAt('connection')).shape,
  providers: z.array(providerRecordSchema).min(1).max(MAX_PROVIDERS_PER_CONNECTION),
  /**
   * The revision of the connection's signing key ring, raised *before* the ring changes
   * (`raiseSigningKeyRevision`): a warm instance may sign with a ring it cached only while this
   * equals the cached ring's revision, so the ring is not read on every login. Never lowered, and
   * never taken from an admin's edited record (`withConnection` keeps the stored one).
   */
  signingKeyRevision: z.number().int().min(1).optional(),
});

/** Unknown fields are dropped: a document written by a later release stays readable. */
const documentSchema = z.object({
  v: z.literal(CONNECTIONS_DOCUMENT_VERSION),
  revision: z.number().int().min(1),
  connections: z.array(connectionRecordSchema).max(MAX_CONNECTIONS),
});

export type ProviderRecord = z.output<typeof providerRecordSchema>;
export type ConnectionRecord = z.output<typeof connectionRecordSchema>;
export type ConnectionsDocument = z.output<typeof documentSchema>;

export type ConnectionsRead =
  | { state: 'absent' }
  /** `migrated`: built from the single-configuration record, not stored yet. */
  | { state: 'ok'; document: ConnectionsDocument; migrated: boolean }
  | { state: 'unreadable'; problems: ConfigProblem[] };

function problemsOf(error: z.ZodError): ConfigProblem[] {
  return error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
}

/**
 * The connections as stored, or, while none are, the single configuration of the first release
 * (`storageKeys.config()`) as connection `default` with provider `default`: a configuration
 * saved by that release keeps working with no admin action. Its keys for the client secret,
 * signing key and wizard state are the default ids' keys (`storage-keys.ts`), so nothing moves.
 */
export async function readConnections(store: KeyValueStore): Promise<ConnectionsRead> {
  const raw = await store.get(storageKeys.connections());
  if (raw !== undefined) {
    const parsed = documentSchema.safeParse(raw);
    return parsed.success ? { state: 'ok', document: parsed.data, migrated: false } : { state: 'unreadable', problems: problemsOf(parsed.error) };
  }
  const legacy = await store.get(storageKeys.config());
  if (legacy === undefined) return { state: 'absent' };
  const parsed = adminSettingsSchema('strip').safeParse(legacy);
  if (!parsed.success) return { state: 'unreadable', problems: problemsOf(parsed.error) };
  const secretRevision = (legacy as Record<string, unknown>).secretRevision;
  return { state: 'ok', document: migrateSettings(parsed.data, typeof secretRevision === 'string' ? secretRevision : undefined), migrated: true };
}

/** The first release's settings as a document with one connection and one provider. */
export function migrateSettings(legacy: AdminSettings, secretRevision?: string): ConnectionsDocument {
  const connection = applySettings(newConnection(DEFAULT_ID, 'Atlassian', DEFAULT_ID), DEFAULT_ID, legacy);
  if (secretRevision !== undefined) connection.providers[0]!.secretRevision = secretRevision;
  return { v: CONNECTIONS_DOCUMENT_VERSION, revision: 1, connections: [connection] };
}

export function newConnection(connectionId: string, name: string, providerId: string, providerName = 'Identity provider'): ConnectionRecord {
  return { id: connectionId, name, revision: 1, providers: [{ id: providerId, name: providerName }] };
}

export function emptyDocument(): ConnectionsDocument {
  return { v: CONNECTIONS_DOCUMENT_VERSION, revision: 0, connections: [] };
}

/**
 * Writes `next` if the stored document still has the revision `expected` (0 or a migrated
 * document: none stored yet); `next.revision` must be one higher. False: someone else saved.
 */
export async function writeConnections(store: KeyValueStore, next: ConnectionsDocument, expected: { revision: number; stored: boolean }): Promise<boolean> {
  const value = JSON.parse(JSON.stringify(next)) as RevisedValue;
  return store.compareAndSet(storageKeys.connections(), expected.stored ? expected.revision : null, value);
}

/**
 * The wizard's view of one provider of one connection: the settings shape of the first release
 * (`AdminSettings`), so each wizard step edits the fields it always did.
 */
export function settingsOf(connection: ConnectionRecord, providerId: string): AdminSettings | undefined {
  const provider = connection.providers.find((p) => p.id === providerId);
  if (!provider) return undefined;
  const settings: Record<string, unknown> = {};
  for (const [key, level] of STORED_SETTINGS) {
    const value = holderAt(level, connection, provider)[key];
    if (value !== undefined) settings[key] = value;
  }
  return copy(settings as AdminSettings);
}

function holderAt(level: FieldLevel, connection: ConnectionRecord, provider: ProviderRecord): Record<string, unknown> {
  return level === 'provider' ? provider : connection;
}

/** Where a field of the wizard's settings (`oidc.issuer`) lives in a connection (`providers.<id>.oidc.issuer`). */
export function connectionFieldPath(settingsPath: string, providerId: string): string {
  const top = settingsPath.split('.')[0];
  return STORED_SETTINGS.some(([key, level]) => key === top && level === 'provider') ? `providers.${providerId}.${settingsPath}` : settingsPath;
}

/** A copy of `connection` with the wizard's settings of one provider applied (connection fields to the connection). */
export function applySettings(connection: ConnectionRecord, providerId: string, settings: AdminSettings): ConnectionRecord {
  const next = copy(connection);
  const provider = next.providers.find((p) => p.id === providerId);
  if (!provider) throw new RangeError(`no provider ${providerId} in connection ${connection.id}`);
  for (const [key, level] of STORED_SETTINGS) assign(holderAt(level, next, provider), key, settings[key]);
  return next;
}

function assign<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value === undefined) delete target[key];
  else target[key] = value;
}

function copy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** The document with one connection replaced (or added), the connection's and document's revisions raised. */
export function withConnection(document: ConnectionsDocument, connection: ConnectionRecord): ConnectionsDocument {
  const existing = document.connections.find((c) => c.id === connection.id);
  // The key ring's revision is the stored one, whatever the edited record (a draft made before a
  // rotation) says: lowering it would let warm instances sign with a replaced key.
  const { signingKeyRevision: _edited, ...edited } = connection;
  const updated: ConnectionRecord = {
    ...edited,
    revision: existing ? connection.revision + 1 : 1,
    ...(existing?.signingKeyRevision !== undefined ? { signingKeyRevision: existing.signingKeyRevision } : {}),
  };
  return {
    v: CONNECTIONS_DOCUMENT_VERSION,
    revision: document.revision + 1,
    connections: existing ? document.connections.map((c) => (c.id === connection.id ? updated : c)) : [...document.connections, updated],
  };
}

/** How often raising the key ring's revision is tried again after losing the write to another change. */
const RAISE_ATTEMPTS = 5;

/**
 * Raises the key ring revision a connection's record announces to at least `revision`; false if
 * another change kept winning the write. Neither the connection's own revision (an admin's open
 * form stays current) nor anything else changes. Where no stored document holds the connection,
 * no instance can have cached its ring by revision, so there is nothing to announce (true).
 */
export async function raiseSigningKeyRevision(store: KeyValueStore, connectionId: string, revision: number): Promise<boolean> {
  for (let attempt = 0; attempt < RAISE_ATTEMPTS; attempt++) {
    const read = await readConnections(store);
    if (read.state !== 'ok' || read.migrated) return true;
    const { document } = read;
    const connection = document.connections.find((c) => c.id === connectionId);
    if (!connection || (connection.signingKeyRevision ?? 0) >= revision) return true;
    const next: ConnectionsDocument = {
      ...document,
      revision: document.revision + 1,
      connections: document.connections.map((c) => (c.id === connectionId ? { ...c, signingKeyRevision: revision } : c)),
    };
    if (await writeConnections(store, next, { revision: document.revision, stored: true })) return true;
  }
  return false;
}

export function withoutConnection(document: ConnectionsDocument, connectionId: string): ConnectionsDocument {
  return { v: CONNECTIONS_DOCUMENT_VERSION, revision: document.revision + 1, connections: document.connections.filter((c) => c.id !== connectionId) };
}

/** Json view for stores that want `Json`. */
export function documentJson(document: ConnectionsDocument): Json {
  return copy(document) as unknown as Json;
}
