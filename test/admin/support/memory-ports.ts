import type { AdminHost, AdminSettings } from '../../../src/core/admin/admin-api-types.js';
import type { AdminContext } from '../../../src/core/admin/admin-context.js';
import { cryptoRandom } from '../../../src/core/default-ports.js';
import type { Fetch, Logger, Ports } from '../../../src/core/ports.js';
import { createSigningKey, toCredentials, type SigningCredentials, type SigningKey } from '../../../src/downstream-saml/signing-key.js';
import type { LogRecord } from '../../support/login-harness.js';
import { MemoryStore } from '../../support/memory-ports.js';
import { MemoryAuditTrail } from '../../support/memory-audit-trail.js';
import { createStoredDirectorySources } from '../../../src/core/connections/directory.js';
import { actorHash, recordTestOutcome, writeTestRecord } from '../../../src/core/test-login.js';

export { MemoryStore };

let sharedKey: Promise<SigningKey> | undefined;
let sharedCredentials: Promise<SigningCredentials> | undefined;

export interface MemoryAdmin {
  ctx: AdminContext;
  store: MemoryStore;
  audit: MemoryAuditTrail;
  logs: LogRecord[];
  clock: { now: number };
}

/** An admin context on memory ports; `fetch` fails unless given. The host is the standalone
 * server when loopback http is allowed (as there), else Forge, unless given. */
export function memoryAdmin(
  options: {
    allowLoopbackHttp?: boolean;
    fetch?: Fetch;
    actor?: string;
    baseUrl?: string;
    host?: AdminHost;
    /** Makes the key ring's keys (default: the one shared key, which suits only a ring's first key). */
    createSigningKey?: AdminContext['createSigningKey'];
  } = {},
): MemoryAdmin {
  const clock = { now: Date.parse('2030-01-01T00:00:00Z') };
  // The resolvers' unit tests need nothing but memory ports, with a clock the test sets.
  const store = new MemoryStore({ now: () => clock.now });
  const logs: LogRecord[] = [];
  const audit = new MemoryAuditTrail({ now: () => clock.now });
  const logger: Logger = { log: (level, event, fields) => logs.push({ level, event, fields: { ...fields } }) };
  const ports: Ports = {
    store,
    secrets: store,
    clock: { now: () => clock.now },
    random: cryptoRandom,
    logger,
    fetch: options.fetch ?? (async () => Promise.reject(new TypeError('fetch failed'))),
  };
  // One key made per test file: the key ring's first key and what `signingCredentials` answers.
  sharedKey ??= createSigningKey({ now: () => Date.now() }, 'bridge.example.net');
  sharedCredentials ??= sharedKey.then(toCredentials);
  return {
    ctx: {
      ports,
      baseUrl: options.baseUrl ?? 'https://bridge.example.net',
      allowLoopbackHttp: options.allowLoopbackHttp ?? false,
      host: options.host ?? (options.allowLoopbackHttp ? 'standalone' : 'forge'),
      actor: options.actor ?? 'admin-1',
      signingCredentials: () => sharedCredentials!,
      createSigningKey: options.createSigningKey ?? (() => sharedKey!),
      audit,
    },
    audit,
    store,
    logs,
    clock,
  };
}

/** A connection test of the default provider that `actor` started and that finished with these claims (what `users/preview` reads). */
export async function finishTest(admin: MemoryAdmin, actor: string, claims: Record<string, unknown>, groups: string[] = []): Promise<string> {
  const testId = `test-${actor}-0001`;
  const now = admin.clock.now;
  await writeTestRecord(admin.store, testId, { v: 1, state: 'pending', actorHash: actorHash(actor), createdAt: now, expiresAt: now + 600_000 });
  await recordTestOutcome(admin.store, {
    testId,
    connectionId: 'default',
    providerId: 'default',
    reference: 'REF1',
    fingerprint: 'fp',
    now,
    outcome: {
      ok: true,
      claims,
      subject: { nameId: 'user@example.com', nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress', attributes: [{ name: 'groups', values: groups }] },
      warnings: [],
    },
  });
  return testId;
}

/** A connection as the login pipeline reads it from what the admin saved. */
export async function servedConnection(admin: MemoryAdmin, connectionId = 'default') {
  const { directory } = createStoredDirectorySources({ store: admin.store, secrets: admin.store, baseUrl: admin.ctx.baseUrl, allowLoopbackHttp: false });
  return (await directory()).connections.find((c) => c.id === connectionId);
}

/** Settings of one provider complete enough to save as a whole connection (Okta, example.com). */
export const COMPLETE_SETTINGS: AdminSettings = {
  preset: 'okta',
  oidc: { issuer: 'https://dev-123.okta.com/oauth2/default', clientId: '0oa123' },
  serviceProvider: {
    entityId: 'https://auth.atlassian.com/saml/6f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b',
    acsUrl: 'https://auth.atlassian.com/login/callback?connection=saml-6f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b',
  },
  allowedEmailDomains: ['example.com'],
};
