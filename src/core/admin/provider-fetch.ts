import { isLoopbackUrl } from '../config.js';
import { egressHost, remoteFor } from '../egress-remotes.js';
import type { DiscoverFailure } from './admin-api-types.js';
import type { AdminContext } from './admin-context.js';

/**
 * One GET of a provider's JSON document (its discovery document, its JWKS) for the admin page,
 * through the host's `fetch`: the very port the login's calls go through, so the same egress
 * rules apply (on Forge the egress proxy and the manifest's remotes, on the standalone server
 * the egress guard that refuses private addresses). Bounded in time and size; every failure is
 * one code with a message in admin words that names the URL and never repeats what was answered.
 */

export type ProviderFetchFailure = Exclude<DiscoverFailure, 'invalid_url' | 'issuer_mismatch' | 'missing_endpoints'>;

export type ProviderFetchResult =
  | { ok: true; document: unknown }
  | { ok: false; failure: ProviderFetchFailure; message: string; blockedHost?: string };

/** `@forge/api`'s name for a fetch its egress allowlist refused (`NotAllowedError`, status 403). */
const FORGE_EGRESS_REFUSED = 'REQUEST_EGRESS_ALLOWLIST_ERR';

/** Node's (and undici's) codes of a name that does not resolve. */
const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_NODATA', 'EAI_FAIL']);
/** TLS failures: certificate checks (`CERT_*`, `*_SELF_SIGNED_*`, `UNABLE_TO_*`), host name mismatch, handshake. */
const TLS_CODE = /^(CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED|SELF_SIGNED_CERT|ERR_TLS_|ERR_SSL_|EPROTO$)/;

/** `https:`, or `http:` on loopback where the host allows it (standalone only); no credentials or fragment. */
export function allowedProviderUrl(value: string, allowLoopbackHttp: boolean): URL | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.username || url.password || url.hash) return undefined;
  if (url.protocol === 'https:' || (url.protocol === 'http:' && allowLoopbackHttp && isLoopbackUrl(url))) return url;
  return undefined;
}

/**
 * On Forge, a call to a host no static remote covers and no admin has approved is refused by
 * the egress proxy with HTTP 403 (or, from `@forge/api`, an error of that name). Said as such,
 * so the admin approves the host instead of looking for a fault at the provider; a 403 from a
 * covered host is the provider's own answer and stays an `http_error`.
 */
function isEgressRefusal(ctx: AdminContext, url: string, status: number | undefined, name?: string): boolean {
  if (ctx.host !== 'forge') return false;
  if (name === FORGE_EGRESS_REFUSED) return true;
  return status === 403 && !remoteFor(egressHost(url) ?? '');
}

function egressRefusal(url: string): ProviderFetchResult {
  const host = egressHost(url)!;
  return {
    ok: false,
    failure: 'egress_not_approved',
    blockedHost: host,
    message: `Forge blocked the call to ${host} (HTTP 403): the app may call this host only after a site administrator approves it.`,
  };
}

/** The code of a network failure, from the error or the cause fetch wraps it in. */
function networkCode(error: unknown): string {
  const { code, cause } = (error ?? {}) as { code?: unknown; cause?: { code?: unknown } };
  return String(typeof cause?.code === 'string' ? cause.code : typeof code === 'string' ? code : '');
}

function timeout(timeoutMs: number): ProviderFetchResult {
  return { ok: false, failure: 'timeout', message: `The provider did not answer within ${timeoutMs / 1000} seconds.` };
}

/**
 * GETs `url` and parses its body as JSON. `what` names the document in messages ("discovery
 * document", "JWKS"). A redirect is reported, not followed: a provider serves these where it says.
 */
export async function fetchProviderJson(
  ctx: AdminContext,
  url: string,
  options: { what: string; maxBytes: number; timeoutMs: number },
): Promise<ProviderFetchResult> {
  const { what, maxBytes, timeoutMs } = options;
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  // A deadline of its own over the request and its body: the host's fetch may not honour `signal` (Forge's may not).
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => {
      controller.abort(new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError'));
      resolve('timeout');
    }, timeoutMs);
  });
  try {
    const read = readJson(ctx, url, what, maxBytes, controller.signal, timeoutMs);
    const result = await Promise.race([read, deadline]);
    if (result === 'timeout') {
      read.catch(() => undefined);
      return timeout(timeoutMs);
    }
    return result;
  } finally {
    clearTimeout(timer);
  }
}

async function readJson(ctx: AdminContext, url: string, what: string, maxBytes: number, signal: AbortSignal, timeoutMs: number): Promise<ProviderFetchResult> {
  let response: Response;
  try {
    response = await ctx.ports.fetch(url, { headers: { Accept: 'application/json' }, redirect: 'manual', signal });
  } catch (error) {
    const { name, status } = (error ?? {}) as { name?: string; status?: number };
    if (isEgressRefusal(ctx, url, status, name)) return egressRefusal(url);
    // The standalone server's egress guard (`standalone/egress-guard.ts`).
    if (name === 'EgressRefusedError') {
      return {
        ok: false,
        failure: 'private_address',
        message: `${egressHost(url)} is, or resolves to, a private, link-local or internal address, which the bridge does not call unless BRIDGE_ALLOW_PRIVATE_NETWORK=1 is set on the server.`,
      };
    }
    if (name === 'TimeoutError' || name === 'AbortError') return timeout(timeoutMs);
    const code = networkCode(error);
    if (DNS_CODES.has(code)) return { ok: false, failure: 'dns_failure', message: `The host name ${egressHost(url)} does not resolve (DNS). Check the URL for typing mistakes.` };
    if (TLS_CODE.test(code)) {
      return { ok: false, failure: 'tls_failure', message: `The TLS connection to ${egressHost(url)} failed (${code}): its certificate is expired, self-signed or for another name.` };
    }
    return { ok: false, failure: 'unreachable', message: `The provider cannot be reached at ${url}. Check the URL (and on Forge, that egress to its host is allowed).` };
  }
  if (response.status < 200 || response.status > 299) {
    await response.body?.cancel().catch(() => undefined);
    if (isEgressRefusal(ctx, url, response.status)) return egressRefusal(url);
    const where = response.status >= 300 && response.status < 400 ? ' (a redirect: enter the URL exactly as the provider names it)' : '';
    return { ok: false, failure: 'http_error', message: `The provider answered HTTP ${response.status} for ${url}${where}.` };
  }
  try {
    return { ok: true, document: JSON.parse(await readLimited(response, maxBytes)) };
  } catch (error) {
    if ((error as { name?: string })?.name === 'TimeoutError') return timeout(timeoutMs);
    return { ok: false, failure: 'not_json', message: `${url} did not return a JSON ${what}.` };
  }
}

/** The body as text, refusing (not truncating) more than `limit` bytes. */
async function readLimited(response: Response, limit: number): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > limit) throw new Error('too large');
  if (!response.body) return response.text();
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw new Error('too large');
    }
    chunks.push(value);
  }
  return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
}
