import { BridgeError } from '../errors.js';
import type { AdminRefusal, AdminResolverKey, AdminResolverMap } from './admin-api-types.js';
import { badRequest, isRefusal, type AdminAnswer, type AdminContext } from './admin-context.js';
import { configGet } from './config-get.js';
import { configSave } from './config-save.js';
import { idpMetadata } from './idp-metadata.js';
import { providerDiscover } from './provider-discover.js';
import { providerEgress } from './provider-egress.js';
import { newReference } from '../reference.js';
import { rolloutSave } from './rollout-save.js';
import { spParseMetadata } from './sp-parse-metadata.js';
import { testResult } from './test-result.js';
import { testStart } from './test-start.js';
import { usersPreview } from './users-preview.js';
import { connectionDelete, connectionSave, providerDelete, providerSave } from './connections.js';
import { auditExport, auditQuery } from './audit.js';

export type AdminResolver<K extends AdminResolverKey> = (ctx: AdminContext, payload: unknown) => Promise<AdminAnswer<AdminResolverMap[K]['response']>>;

/**
 * Every resolver of the admin API, one function per key of `AdminResolverMap`. The same
 * functions run on Forge (through `@forge/resolver`) and in the standalone server (over HTTP);
 * the host checks that the caller is an admin before calling any of them.
 */
export const adminResolvers: { [K in AdminResolverKey]: AdminResolver<K> } = {
  'config/get': configGet,
  'config/save': configSave,
  'provider/discover': providerDiscover,
  'provider/egress': providerEgress,
  'sp/parse-metadata': spParseMetadata,
  'test/start': testStart,
  'test/result': testResult,
  'rollout/save': rolloutSave,
  'users/preview': usersPreview,
  'idp/metadata': idpMetadata,
  'connections/save': connectionSave,
  'connections/delete': connectionDelete,
  'providers/save': providerSave,
  'providers/delete': providerDelete,
  'audit/query': auditQuery,
  'audit/export': auditExport,
};

export const ADMIN_RESOLVER_KEYS = Object.keys(adminResolvers) as AdminResolverKey[];

export function isAdminResolverKey(key: string): key is AdminResolverKey {
  return Object.hasOwn(adminResolvers, key);
}

/** What a host renders: the resolver's answer, a refusal, or a failure with a log reference. */
export type AdminOutcome =
  | { kind: 'answer'; body: unknown }
  | { kind: 'refused'; body: AdminRefusal }
  | { kind: 'failed'; reference: string; code: string };

/**
 * Runs one resolver for a host that has already checked the caller. Unknown keys are refused;
 * an unexpected failure is logged with a reference (never its message toward the browser).
 */
export async function runAdminResolver(key: string, ctx: AdminContext, payload: unknown): Promise<AdminOutcome> {
  if (!isAdminResolverKey(key)) return { kind: 'refused', body: badRequest('There is no such admin resolver.') };
  try {
    const body = await (adminResolvers[key] as AdminResolver<AdminResolverKey>)(ctx, payload);
    return isRefusal(body) ? { kind: 'refused', body } : { kind: 'answer', body };
  } catch (error) {
    const reference = newReference(ctx.ports);
    const code = error instanceof BridgeError ? error.code : 'internal';
    const detail = error instanceof BridgeError ? error.detail : error instanceof Error ? `${error.name}: ${error.message}`.slice(0, 300) : 'non-error thrown';
    ctx.ports.logger.log('error', 'admin.failed', { reference, resolver: key, actor: ctx.actor, code, detail });
    return { kind: 'failed', reference, code };
  }
}
