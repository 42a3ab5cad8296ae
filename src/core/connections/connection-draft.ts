import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { KeyValueStore, Json, SecretStore } from '../ports.js';
import { storageKeys } from '../storage-keys.js';
import { changedLeafPaths, leafValues } from '../leaf-paths.js';
import { testConfigFrom } from '../stored-config.js';
import type { TestConfig } from '../test-login.js';
import { connectionRecordSchema, settingsOf, type ConnectionRecord } from './connections-document.js';

/**
 * The draft of a connection that users already sign in with. Once a connection is in use (its
 * applied settings complete and the rollout confirmed), a change of its settings is not written
 * into the connections document, which every login reads, but into a draft beside it: the whole
 * connection record as it would be applied, checked by the same schema. The connection test
 * runs against the draft; `draft/apply` makes it the stored connection. A new client secret of
 * a draft waits in secret storage under its own key (`draftClientSecret`).
 */

const draftSchema = z.object({
  v: z.literal(1),
  /** The revision of the stored connection the draft was started from: a newer one makes it stale. */
  baseRevision: z.number().int().min(1),
  connection: connectionRecordSchema,
});

export type ConnectionDraft = z.output<typeof draftSchema>;

/** The draft of a connection; an unreadable one counts as none (logins never read it). */
export async function readDraft(store: KeyValueStore, connectionId: string): Promise<ConnectionDraft | undefined> {
  const parsed = draftSchema.safeParse(await store.get(storageKeys.connectionDraft(connectionId)));
  return parsed.success ? parsed.data : undefined;
}

export async function writeDraft(store: KeyValueStore, draft: ConnectionDraft): Promise<void> {
  await store.set(storageKeys.connectionDraft(draft.connection.id), JSON.parse(JSON.stringify(draft)) as Json);
}

/** Removes a draft, its secrets and its test results. `providerIds`: every provider the draft or the connection has. */
export async function forgetDraft(ports: { store: KeyValueStore; secrets: SecretStore }, connectionId: string, providerIds: readonly string[]): Promise<void> {
  for (const providerId of new Set(providerIds)) {
    await ports.secrets.deleteSecret(storageKeys.draftClientSecret(connectionId, providerId));
    await ports.store.delete(storageKeys.draftTestPassed(connectionId, providerId));
  }
  await ports.store.delete(storageKeys.connectionDraft(connectionId));
}

/** The draft's client secret of a provider: its own new one, or else the applied one. */
export async function draftSecretOf(secrets: SecretStore, connectionId: string, providerId: string): Promise<{ secret: unknown; own: boolean }> {
  const own = await secrets.getSecret(storageKeys.draftClientSecret(connectionId, providerId));
  if (typeof own === 'string' && own !== '') return { secret: own, own: true };
  return { secret: await secrets.getSecret(storageKeys.clientSecret(connectionId, providerId)), own: false };
}

/** JSON with object keys sorted, so one record always has one fingerprint. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * What a passing test of a draft vouches for: the provider settings the test ran with (secret
 * hashed, `providerFingerprint`) and the whole draft record (SP values, domains, mapping), so
 * any later change to the draft asks for a new test before it can be applied as tested.
 */
export function draftFingerprint(testFingerprint: string, draft: ConnectionRecord): string {
  const { revision: _revision, signingKeyRevision: _ring, ...record } = draft;
  return createHash('sha256').update(canonical([testFingerprint, record])).digest('base64url');
}

/** The connection test's configuration of one provider of a draft, marked as a draft test. */
export function draftTestConfig(
  draft: ConnectionDraft,
  providerId: string,
  clientSecret: unknown,
  baseUrl: string,
  options: { allowLoopbackHttp: boolean },
): ReturnType<typeof testConfigFrom> {
  const settings = settingsOf(draft.connection, providerId) ?? {};
  const checked = testConfigFrom(settings, clientSecret, baseUrl, { ...options, scope: { connectionId: draft.connection.id, providerId } });
  if (!checked.ok) return checked;
  const test: TestConfig = { ...checked.test, providerFingerprint: draftFingerprint(checked.test.providerFingerprint, draft.connection), draft: true };
  return { ok: true, test };
}

const passedSchema = z.object({ fingerprint: z.string(), at: z.number() });

/** For each provider of the draft: has a connection test of exactly this draft passed? */
export async function draftTests(
  ports: { store: KeyValueStore; secrets: SecretStore },
  draft: ConnectionDraft,
  baseUrl: string,
  options: { allowLoopbackHttp: boolean },
): Promise<{ providerId: string; passed: boolean }[]> {
  return Promise.all(
    draft.connection.providers.map(async ({ id }) => {
      const [{ secret }, stored] = await Promise.all([draftSecretOf(ports.secrets, draft.connection.id, id), ports.store.get(storageKeys.draftTestPassed(draft.connection.id, id))]);
      const test = draftTestConfig(draft, id, secret, baseUrl, options);
      const passed = passedSchema.safeParse(stored);
      return { providerId: id, passed: test.ok && passed.success && passed.data.fingerprint === test.test.providerFingerprint };
    }),
  );
}

/**
 * Which fields of a connection the draft changes, as connection paths
 * (`providers.<id>.oidc.clientId`); a new client secret shows as `providers.<id>.oidc.clientSecret`.
 * Names only, never values.
 */
export function draftDifferences(applied: ConnectionRecord | undefined, draft: ConnectionRecord): string[] {
  const leaves = (record: ConnectionRecord | undefined): Map<string, string> => {
    const out = new Map<string, string>();
    if (!record) return out;
    // Revisions are bookkeeping, not settings (the key ring's is raised by certificate changes).
    const { revision: _revision, signingKeyRevision: _ring, providers, ...connection } = record;
    leafValues(connection, { into: out });
    for (const { id, secretRevision, ...provider } of providers) {
      leafValues(provider, { prefix: `providers.${id}`, into: out });
      if (secretRevision !== undefined) out.set(`providers.${id}.oidc.clientSecret`, secretRevision);
    }
    return out;
  };
  return changedLeafPaths(leaves(applied), leaves(draft));
}
