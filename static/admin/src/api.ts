import type { AdminRefusal, AdminResolverMap } from '../../../src/core/admin/admin-api-types.ts';
import { egressHost } from '../../../src/core/egress-remotes.ts';

/**
 * The bridge shim: one call, `invokeResolver(key, payload)`, whichever host serves the page.
 * On Forge it is `invoke` from `@forge/bridge`; in the standalone server it is a POST to
 * `<admin page>/api/<key>` with the admin token. The resolvers are the same functions either way.
 */

export type Host = 'forge' | 'standalone';

const TOKEN_KEY = 'oidc-saml-bridge:admin-token';

/** The resolver refused (not an admin, bad request…): shown as a refusal page. */
export class RefusalError extends Error {
  constructor(readonly refusal: AdminRefusal) {
    super(refusal.message);
    this.name = 'RefusalError';
  }
}

/** The standalone server did not accept the admin token (HTTP 401): ask for it again. */
export class UnauthorizedError extends Error {
  constructor(message = 'The admin token was not accepted.') {
    super(message);
    this.name = 'UnauthorizedError';
  }
}

let detected: Host | undefined;

/**
 * Which host serves this page. In order: a `<meta name="bridge-host">` the server writes
 * (`standalone` or `forge`); Forge's Custom UI bridge object, which Atlassian injects before the
 * app's scripts run (`@forge/bridge` itself reads `globalThis.__bridge`); a page inside a frame
 * is Forge's iframe; a top-level page is the standalone server's `/admin/`.
 */
export function detectHost(): Host {
  if (detected) return detected;
  const meta = document.querySelector<HTMLMetaElement>('meta[name="bridge-host"]')?.content?.trim();
  if (meta === 'standalone' || meta === 'forge') return (detected = meta);
  const bridge = (globalThis as { __bridge?: { callBridge?: unknown } }).__bridge;
  if (typeof bridge?.callBridge === 'function') return (detected = 'forge');
  return (detected = isFramed() ? 'forge' : 'standalone');
}

function isFramed(): boolean {
  try {
    return window.self !== window.top;
  } catch {
    // A cross-origin parent makes `window.top` unreadable in some browsers: framed.
    return true;
  }
}

export function getAdminToken(): string | undefined {
  try {
    return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
  } catch {
    return memoryToken;
  }
}

let memoryToken: string | undefined;

export function setAdminToken(token: string | undefined): void {
  memoryToken = token;
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // Storage disabled: the token lives in memory for this page only.
  }
}

/**
 * The admin page's own directory, so `api/<key>` resolves below it whether the server serves
 * the page at `/admin/`, `/admin` or `/admin/index.html`, and under a base path.
 */
export function adminBaseUrl(): URL {
  const url = new URL(window.location.href);
  let path = url.pathname;
  if (!path.endsWith('/')) {
    const last = path.slice(path.lastIndexOf('/') + 1);
    path = last.includes('.') ? path.slice(0, path.lastIndexOf('/') + 1) : `${path}/`;
  }
  return new URL(path, url.origin);
}

type Request<K extends keyof AdminResolverMap> = AdminResolverMap[K]['request'];
type Response<K extends keyof AdminResolverMap> = AdminResolverMap[K]['response'];

/** Calls a resolver; throws `RefusalError` for an `AdminRefusal`, `UnauthorizedError` for a bad token. */
export async function invokeResolver<K extends keyof AdminResolverMap>(key: K, payload: Request<K>): Promise<Response<K>> {
  const result = detectHost() === 'forge' ? await invokeOnForge(key, payload) : await invokeOverHttp(key, payload);
  if (isRefusal(result)) {
    if (result.error === 'unauthorized') throw new UnauthorizedError(result.message);
    throw new RefusalError(result);
  }
  return result as Response<K>;
}

async function invokeOnForge(key: string, payload: unknown): Promise<unknown> {
  // Loaded only on Forge: @forge/bridge throws at import time when there is no Custom UI bridge.
  const { invoke } = await import('@forge/bridge');
  return invoke(key, payload as Record<string, unknown>);
}

async function invokeOverHttp(key: string, payload: unknown): Promise<unknown> {
  const token = getAdminToken();
  if (!token) throw new UnauthorizedError('Enter the admin token.');
  let response: globalThis.Response;
  try {
    response = await fetch(new URL(`api/${key}`, adminBaseUrl()), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      body: JSON.stringify(payload ?? {}),
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch {
    throw new Error('The bridge server cannot be reached. Check that it is running, then try again.');
  }
  if (response.status === 401) {
    setAdminToken(undefined);
    throw new UnauthorizedError();
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    throw new Error(`The bridge server answered ${response.status} without JSON.`);
  }
  if (!response.ok && !isRefusal(body)) {
    // A failure the server logged: its message carries the reference to look up.
    const message = (body as { message?: unknown } | null)?.message;
    throw new Error(typeof message === 'string' && message ? message : `The bridge server answered ${response.status}.`);
  }
  return body;
}

const REFUSALS: readonly AdminRefusal['error'][] = ['not_admin', 'admin_check_failed', 'bad_request', 'unauthorized'];

export function isRefusal(value: unknown): value is AdminRefusal {
  if (typeof value !== 'object' || value === null) return false;
  const { error, message } = value as { error?: unknown; message?: unknown };
  return typeof error === 'string' && (REFUSALS as string[]).includes(error) && typeof message === 'string';
}

/**
 * Opens a URL in a new tab: Forge's router on Forge (the iframe is sandboxed), otherwise a
 * plain `window.open` without an opener. Returns false when the browser blocked it.
 */
export async function openInNewTab(url: string): Promise<boolean> {
  if (detectHost() === 'forge') {
    try {
      const { router } = await import('@forge/bridge');
      await router.open(url);
      return true;
    } catch {
      return false;
    }
  }
  const opened = window.open(url, '_blank', 'noopener,noreferrer');
  // With noopener the return value is null even on success in some browsers; a blocked popup
  // cannot be told apart, so the page always shows the link too.
  return opened !== undefined;
}

/** Applies the host's theme on Forge (Jira's or Confluence's light/dark mode). */
export async function enableHostTheme(): Promise<boolean> {
  if (detectHost() !== 'forge') return false;
  try {
    const { view } = await import('@forge/bridge');
    await view.theme.enable();
    return true;
  } catch {
    return false;
  }
}

/** The customer-managed egress group holding the provider hosts an admin approved. */
const EGRESS_GROUP_KEY = 'oidc-provider';
const EGRESS_GROUP_DESCRIPTION =
  'Your OpenID Connect provider: the app reads its discovery document and keys, and exchanges sign-in codes at its token and userinfo endpoints.';

/** What Forge answered about customer-managed egress (early access on Forge). */
export type EgressAnswer =
  /** `hosts`: every provider host approved for this installation, after the call. */
  | { state: 'approved'; hosts: string[] }
  /** The admin declined Atlassian's confirmation, or Forge refused the request. */
  | { state: 'denied'; detail: string }
  /** Not on Forge, or Forge's customer-managed egress is not enabled for this app. */
  | { state: 'unavailable'; detail: string };

type EgressApi = typeof import('@forge/bridge')['permissions']['egress'];
type EgressType = Parameters<EgressApi['set']>[0]['egresses'][number]['configured'][number]['type'][number];
/** `EgressType.FetchBackendSide` of `@forge/egress`: calls made by the app's functions. */
const FETCH_BACKEND_SIDE = 'FETCH_BACKEND_SIDE' as EgressType;

async function egressApi(): Promise<EgressApi | undefined> {
  if (detectHost() !== 'forge') return undefined;
  const { permissions } = await import('@forge/bridge');
  return typeof permissions?.egress?.get === 'function' && typeof permissions.egress.set === 'function' ? permissions.egress : undefined;
}

function messageOf(error: unknown): string {
  const message = error instanceof Error ? error.message : typeof error === 'string' ? error : '';
  return message.trim().slice(0, 300);
}

function groupHosts(results: { key: string; configured: { domain: string }[] }[] | undefined): string[] {
  const group = results?.find((g) => g.key === EGRESS_GROUP_KEY);
  return [...new Set((group?.configured ?? []).map((c) => egressHost(c.domain)).filter((h): h is string => h !== undefined))];
}

/** The provider hosts already approved through `permissions.egress.get` (Forge only). */
export async function approvedEgressHosts(): Promise<EgressAnswer> {
  try {
    const api = await egressApi();
    if (!api) return { state: 'unavailable', detail: 'This page does not run on Forge.' };
    const answer = await api.get({ keys: [EGRESS_GROUP_KEY] });
    return { state: 'approved', hosts: groupHosts(answer?.results) };
  } catch (error) {
    return { state: 'unavailable', detail: messageOf(error) };
  }
}

/**
 * Asks Forge to let the app call `hosts` (with those approved before, since a group is set as a
 * whole) through `permissions.egress.set`: Atlassian shows the admin a confirmation; the
 * promise resolves when they approve and rejects when they decline. Forge only.
 */
export async function requestEgressApproval(hosts: string[]): Promise<EgressAnswer> {
  let api: EgressApi | undefined;
  try {
    api = await egressApi();
  } catch (error) {
    return { state: 'unavailable', detail: messageOf(error) };
  }
  if (!api) return { state: 'unavailable', detail: 'This page does not run on Forge.' };
  try {
    const answer = await api.set({
      egresses: [
        {
          key: EGRESS_GROUP_KEY,
          description: EGRESS_GROUP_DESCRIPTION,
          configured: hosts.map((host) => ({ domain: `https://${host}`, type: [FETCH_BACKEND_SIDE] })),
        },
      ],
    });
    // What Forge stored, when it says; else what was asked.
    const stored = groupHosts(answer?.results);
    return { state: 'approved', hosts: stored.length ? stored : hosts };
  } catch (error) {
    return { state: 'denied', detail: messageOf(error) };
  }
}
