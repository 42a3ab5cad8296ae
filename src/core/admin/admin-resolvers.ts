import { loggedActor } from '../test-login.js';
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
import { draftApply, draftDiscard } from './draft-apply.js';
import { certificateActivate, certificateDiscardNext, certificatePrepare, certificateUndo } from './certificates.js';
import { clientKeyActivate, clientKeyDiscardNext, clientKeyGet, clientKeyPrepare, clientKeyUndo } from './client-keys.js';
import { errorsExplain } from './errors-explain.js';
import { backupExport, backupExportSealed } from './backup-export.js';
import { backupImport, backupPreview } from './backup-import.js';
import { providersHealth } from './provider-health.js';
import { checkOwner, currentOwners, ownersAdd, ownersGet, ownershipCancel, ownershipRequest, ownersRemove, settleClaim, type OwnerClaim } from './owners.js';

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
  'owners/get': ownersGet,
  'owners/add': ownersAdd,
  'owners/remove': ownersRemove,
  'ownership/request': ownershipRequest,
  'ownership/cancel': ownershipCancel,
  'draft/apply': draftApply,
  'draft/discard': draftDiscard,
  'certificate/prepare': certificatePrepare,
  'certificate/activate': certificateActivate,
  'certificate/undo': certificateUndo,
  'certificate/discard-next': certificateDiscardNext,
  'client-key/get': clientKeyGet,
  'client-key/prepare': clientKeyPrepare,
  'client-key/activate': clientKeyActivate,
  'client-key/undo': clientKeyUndo,
  'client-key/discard-next': clientKeyDiscardNext,
  'errors/explain': errorsExplain,
  'providers/health': providersHealth,
  'backup/export': backupExport,
  'backup/export-sealed': backupExportSealed,
  'backup/preview': backupPreview,
  'backup/import': backupImport,
};

/**
 * Who may call each resolver, checked here and nowhere else. `owner`: the call changes what
 * decides who signs in or as whom (the provider and its client, the SP values, allowed domains,
 * the user mapping, the rollout, applying or discarding a draft, the owners themselves), so only an SSO owner may make it
 * (`owners.ts`). `any`: every admin (reading, the connection test, previews, the audit trail,
 * requesting ownership). A new resolver must be placed here or the build fails.
 */
export const RESOLVER_ACCESS: { readonly [K in AdminResolverKey]: 'owner' | 'any' } = {
  'config/get': 'any',
  'config/save': 'owner',
  'provider/discover': 'any',
  'provider/egress': 'any',
  'sp/parse-metadata': 'any',
  'test/start': 'any',
  'test/result': 'any',
  'rollout/save': 'owner',
  'users/preview': 'any',
  'idp/metadata': 'any',
  'connections/save': 'owner',
  'connections/delete': 'owner',
  'providers/save': 'owner',
  'providers/delete': 'owner',
  'audit/query': 'any',
  'audit/export': 'any',
  'owners/get': 'any',
  'owners/add': 'owner',
  'owners/remove': 'owner',
  'ownership/request': 'any',
  'ownership/cancel': 'owner',
  // Applying a draft changes what users sign in with; discarding one throws away an owner's change.
  'draft/apply': 'owner',
  'draft/discard': 'owner',
  // The signing key decides whether Guard accepts the logins at all: a switch to a certificate
  // not saved in Guard locks everyone out.
  'certificate/prepare': 'owner',
  'certificate/activate': 'owner',
  'certificate/undo': 'owner',
  'certificate/discard-next': 'owner',
  // The client key decides whether the provider accepts the bridge's token requests: a switch to
  // a key not registered there stops every login. Reading the public keys is anyone's.
  'client-key/get': 'any',
  'client-key/prepare': 'owner',
  'client-key/activate': 'owner',
  'client-key/undo': 'owner',
  'client-key/discard-next': 'owner',
  // Reads the connection and what the admin pasted; changes nothing, so nothing to record either.
  'errors/explain': 'any',
  // Reads the providers' public documents and the audit trail; what it fetches is the owners' saved URLs, rate-limited.
  'providers/health': 'any',
  // A plain export holds what every admin already reads on the page (no secret); recorded.
  'backup/export': 'any',
  // Carries the client secrets and the signing key: whoever opens it can sign as this app.
  'backup/export-sealed': 'owner',
  // Reads the file and the settings; changes nothing.
  'backup/preview': 'any',
  // Writes drafts, new connections and a prepared signing key.
  'backup/import': 'owner',
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

/** Whether a resolver's answer is a success (not a refusal, not `ok: false`): what keeps a first owner's claim. */
function succeeded(body: unknown): boolean {
  return !isRefusal(body) && !(typeof body === 'object' && body !== null && (body as { ok?: unknown }).ok === false);
}

/**
 * Runs one resolver for a host that has already checked that the caller is an admin. Unknown
 * keys are refused; owner-only keys (`RESOLVER_ACCESS`) are refused to admins who are not SSO
 * owners; an unexpected failure is logged with a reference (never its message toward the browser).
 */
export async function runAdminResolver(key: string, ctx: AdminContext, payload: unknown): Promise<AdminOutcome> {
  if (!isAdminResolverKey(key)) return { kind: 'refused', body: badRequest('There is no such admin resolver.') };
  let claim: OwnerClaim | undefined;
  let claimSucceeded = false;
  try {
    if (RESOLVER_ACCESS[key] === 'owner') {
      const access = await checkOwner(ctx);
      if (!access.ok) {
        ctx.ports.logger.log('warn', 'admin.owner_required', { resolver: key, actor: loggedActor(ctx.actor) });
        return { kind: 'refused', body: access.refusal };
      }
      claim = access.claim;
    } else {
      // A due ownership request takes effect on whichever admin call comes first.
      await currentOwners(ctx);
    }
    const body = await (adminResolvers[key] as AdminResolver<AdminResolverKey>)(ctx, payload);
    claimSucceeded = succeeded(body);
    if (claim) {
      const kept = claim;
      claim = undefined;
      await settleClaim(ctx, kept, claimSucceeded);
    }
    return isRefusal(body) ? { kind: 'refused', body } : { kind: 'answer', body };
  } catch (error) {
    if (claim) await settleClaim(ctx, claim, false).catch(() => undefined);
    const reference = newReference(ctx.ports);
    const code = error instanceof BridgeError ? error.code : 'internal';
    const detail = error instanceof BridgeError ? error.detail : error instanceof Error ? `${error.name}: ${error.message}`.slice(0, 300) : 'non-error thrown';
    ctx.ports.logger.log('error', 'admin.failed', { reference, resolver: key, actor: loggedActor(ctx.actor), code, detail });
    return { kind: 'failed', reference, code };
  }
}
