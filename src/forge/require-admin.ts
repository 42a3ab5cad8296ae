import { asUser, route } from '@forge/api';

/** `NeedsAuthenticationError`'s name (`@forge/api` `out/api/errors.js`; the constant is not exported). */
const NEEDS_AUTHENTICATION_ERR = 'NEEDS_AUTHENTICATION_ERR';

/**
 * The admin check every resolver runs first: display conditions only hide the admin page in the
 * browser, so the backend asks the product, as the calling user, whether that user administers it.
 *
 * - Jira: `GET /rest/api/3/mypermissions?permissions=ADMINISTER` →
 *   `permissions.ADMINISTER.havePermission` (scope `read:jira-work`).
 * - Confluence: `GET /wiki/rest/api/user/current?expand=operations` → an operation
 *   `{ operation: 'administer', targetType: 'application' }` (scope `read:confluence-user`).
 *
 * The product is the one whose module invoked the resolver (`context.extension.type`). Anything
 * unexpected (no user, unknown module, failed or odd answer) counts as "not an admin", except
 * the platform's consent-required error (`isConsentRequired`), which passes through unchanged.
 */

export type AdminCheckErrorCode = 'admin_required' | 'admin_check_failed';

export class AdminCheckError extends Error {
  override readonly name = 'AdminCheckError';
  constructor(
    readonly code: AdminCheckErrorCode,
    readonly detail?: string,
  ) {
    super(detail ? `${code}: ${detail}` : code);
  }
}

/** The parts of a resolver's `context` the check reads. */
export interface ResolverContext {
  accountId?: string;
  extension?: { type?: string };
  [key: string]: unknown;
}

export type Product = 'jira' | 'confluence';

export function productOf(context: ResolverContext): Product | undefined {
  const type = context.extension?.type;
  if (typeof type !== 'string') return undefined;
  if (type.startsWith('jira:')) return 'jira';
  if (type.startsWith('confluence:')) return 'confluence';
  return undefined;
}

type ProductApi = ReturnType<typeof asUser>;
type ProductResponse = Awaited<ReturnType<ProductApi['requestJira']>>;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const ACCEPT_JSON = { headers: { Accept: 'application/json' } };

async function readJson(response: ProductResponse): Promise<unknown> {
  if (!response.ok) throw new AdminCheckError('admin_check_failed', `product answered ${response.status}`);
  return response.json();
}

async function isJiraAdmin(api: ProductApi): Promise<boolean> {
  const body = await readJson(await api.requestJira(route`/rest/api/3/mypermissions?permissions=ADMINISTER`, ACCEPT_JSON));
  const permissions = isRecord(body) ? body.permissions : undefined;
  const administer = isRecord(permissions) ? permissions.ADMINISTER : undefined;
  return isRecord(administer) && administer.havePermission === true;
}

async function isConfluenceAdmin(api: ProductApi): Promise<boolean> {
  const body = await readJson(await api.requestConfluence(route`/wiki/rest/api/user/current?expand=operations`, ACCEPT_JSON));
  const operations = isRecord(body) ? body.operations : undefined;
  return (
    Array.isArray(operations) &&
    operations.some((op) => isRecord(op) && op.operation === 'administer' && op.targetType === 'application')
  );
}

/**
 * The error `asUser()` raises when the user has not yet granted the app consent to act as them
 * (`@forge/api` throws `NeedsAuthenticationError`, named `NEEDS_AUTHENTICATION_ERR`, when the
 * platform's proxy answers with the `forge-proxy-error: NEEDS_AUTHENTICATION_ERR` header). Forge
 * shows the consent prompt only if this error leaves the resolver as it is. Matched by name, not
 * by class: a bundle may hold more than one copy of `@forge/api`.
 */
export function isConsentRequired(error: unknown): boolean {
  return error instanceof Error && error.name === NEEDS_AUTHENTICATION_ERR;
}

/**
 * Resolves when the calling user administers the product; throws `AdminCheckError` otherwise,
 * or the platform's consent-required error as it came (`isConsentRequired`).
 */
export async function requireAdmin(context: ResolverContext): Promise<void> {
  if (typeof context.accountId !== 'string' || context.accountId === '') {
    throw new AdminCheckError('admin_required', 'no user');
  }
  const product = productOf(context);
  if (!product) throw new AdminCheckError('admin_required', 'not called from a Jira or Confluence module');
  let admin: boolean;
  try {
    const api = asUser();
    admin = product === 'jira' ? await isJiraAdmin(api) : await isConfluenceAdmin(api);
  } catch (error) {
    if (error instanceof AdminCheckError || isConsentRequired(error)) throw error;
    throw new AdminCheckError('admin_check_failed', error instanceof Error ? error.name : 'unknown');
  }
  if (!admin) throw new AdminCheckError('admin_required', `not a ${product} administrator`);
}
