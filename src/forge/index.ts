/**
 * The Forge entry points named in manifest.yml (`forge/index.bridgeTrigger`,
 * `forge/index.adminResolver`). They translate and delegate; the core decides.
 */
import { webTrigger } from '@forge/api';
import { makeResolver } from '@forge/resolver';
import type { AdminRefusal } from '../core/admin/admin-api-types.js';
import type { AdminContext } from '../core/admin/admin-context.js';
import { ADMIN_RESOLVER_KEYS, runAdminResolver } from '../core/admin/admin-resolvers.js';
import { composeAdminContext, composeBridge } from '../core/composition.js';
import type { Ports } from '../core/ports.js';
import { createForgePorts } from './forge-ports.js';
import { EntityAuditTrail } from './entity-audit-trail.js';
import { AdminCheckError, requireAdmin, type ResolverContext } from './require-admin.js';
import { createWebTriggerHandler } from './web-trigger.js';

/** The web trigger module's key; its URL is the bridge's base URL. */
export const BRIDGE_TRIGGER_KEY = 'bridge';

export const bridgeTrigger = createWebTriggerHandler({
  composeBridge,
  audit: (ports) => new EntityAuditTrail(ports.clock),
  // The URL of the installation being called; the handler keeps it per installation while the
  // instance is warm.
  baseUrl: () => webTrigger.getUrl(BRIDGE_TRIGGER_KEY),
});

interface ResolverRequest {
  payload: unknown;
  context: ResolverContext;
}

/** The admin check's refusals, as the wizard understands them. */
function refusalOf(error: AdminCheckError): AdminRefusal {
  return error.code === 'admin_check_failed'
    ? { error: 'admin_check_failed', message: 'Your administrator rights could not be checked. Try again in a moment.' }
    : { error: 'not_admin', message: 'Only site administrators can set up single sign-on. Ask an administrator of this site.' };
}

/** The resolver context of one invocation: Forge ports, the web trigger URL, the caller's account. */
async function adminContext(accountId: string, ports: Ports): Promise<AdminContext> {
  const baseUrl = await webTrigger.getUrl(BRIDGE_TRIGGER_KEY);
  return composeAdminContext({ ports, baseUrl, host: 'forge', actor: accountId, audit: new EntityAuditTrail(ports.clock) });
}

/**
 * One resolver key of the admin API: the admin check first (display conditions only hide the
 * page in the browser), then the core resolver. A non-admin gets a refusal and nothing is read.
 */
async function handleAdmin(key: string, { payload, context }: ResolverRequest): Promise<unknown> {
  try {
    await requireAdmin(context);
  } catch (error) {
    if (error instanceof AdminCheckError) return refusalOf(error);
    // Anything else is the platform's own error, above all the consent-required one
    // (`isConsentRequired`): rethrown as it is, so Forge can show the consent prompt.
    throw error;
  }
  const ctx = await adminContext(context.accountId!, createForgePorts());
  const outcome = await runAdminResolver(key, ctx, payload);
  // Forge turns a thrown error into a rejected `invoke`; only the reference travels.
  if (outcome.kind === 'failed') throw new Error(`The request failed. Reference: ${outcome.reference}`);
  return outcome.body;
}

type AdminDefinitions = Record<(typeof ADMIN_RESOLVER_KEYS)[number], (payload: unknown) => Promise<unknown>>;

export const adminResolver = makeResolver<AdminDefinitions>(
  Object.fromEntries(ADMIN_RESOLVER_KEYS.map((key) => [key, (request: ResolverRequest) => handleAdmin(key, request)])) as Parameters<
    typeof makeResolver<AdminDefinitions>
  >[0],
);
