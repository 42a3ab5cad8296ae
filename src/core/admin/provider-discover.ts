import { z } from 'zod';
import type { DiscoverFailure, DiscoverResponse } from './admin-api-types.js';
import { parsePayload, type AdminAnswer, type AdminContext } from './admin-context.js';
import { allowedProviderUrl, fetchProviderJson } from './provider-fetch.js';

const requestSchema = z.strictObject({ issuer: z.string().max(2048) });

/** Discovery documents are a few kilobytes; anything far larger is not one. */
const MAX_DOCUMENT_BYTES = 512 * 1024;
/** As the bridge's own default for provider calls, well inside Forge's 25 s resolver limit. */
const TIMEOUT_MS = 10_000;

type Endpoints = Extract<DiscoverResponse, { ok: true }>['endpoints'];

function failure(failure: DiscoverFailure, message: string): DiscoverResponse {
  return { ok: false, failure, message };
}

/** The well-known names of a discovery document: OpenID Connect Discovery 1.0 §4, RFC 8414 §3. */
const WELL_KNOWN = ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server'] as const;

/**
 * The issuer of a discovery document's URL, when that is what was entered: Okta's Authorization
 * Servers screen shows the "Metadata URI" (`…/oauth2/default/.well-known/oauth-authorization-server`),
 * and admins paste it, or the OpenID configuration's URL, into the issuer field. The suffix
 * (OIDC Discovery §4, and Okta's form of RFC 8414) or RFC 8414 §3's prefix
 * (`https://host/.well-known/oauth-authorization-server/tenant`) comes off; the discovery
 * document at the issuer this gives must then name it (§4.3), so nothing is taken on trust.
 */
export function issuerOfDiscoveryUrl(url: URL): string | undefined {
  const path = url.pathname.replace(/\/+$/, '');
  for (const name of WELL_KNOWN) {
    if (path.endsWith(name)) return `${url.origin}${path.slice(0, -name.length)}`;
    if (path.startsWith(`${name}/`)) return `${url.origin}${path.slice(name.length)}`;
  }
  return undefined;
}

/**
 * `provider/discover`: reads `<issuer>/.well-known/openid-configuration` (OpenID Connect
 * Discovery 1.0 §4) through the host's fetch and checks what the bridge relies on: a JSON object,
 * an `issuer` equal to the one entered (§4.3; a difference in the trailing slash alone is
 * answered with the document's exact value, which the login will compare against), and the
 * authorization, token and JWKS endpoints as usable URLs. Every failure has its own code.
 * A discovery document's URL entered as the issuer is read as the issuer it names
 * (`issuerOfDiscoveryUrl`), and the answer says so (`enteredDiscoveryUrl`).
 */
export async function providerDiscover(ctx: AdminContext, payload: unknown): Promise<AdminAnswer<DiscoverResponse>> {
  const parsed = parsePayload(requestSchema, payload);
  if (!parsed.ok) return parsed.refusal;
  const typed = parsed.value.issuer.trim();
  const issuerUrl = allowedProviderUrl(typed, ctx.allowLoopbackHttp);
  if (!issuerUrl || issuerUrl.search) {
    return failure(
      'invalid_url',
      ctx.allowLoopbackHttp
        ? 'Enter the issuer as an https:// URL without a query or #fragment (http:// only on 127.0.0.1 or localhost).'
        : 'Enter the issuer as an https:// URL without a query or #fragment.',
    );
  }
  const fromDocumentUrl = issuerOfDiscoveryUrl(issuerUrl);
  const entered = fromDocumentUrl ?? typed;
  // Said in the answer, so the admin learns why the issuer field changed.
  const aside = fromDocumentUrl ? { enteredDiscoveryUrl: typed } : {};
  const documentUrl = `${entered.replace(/\/+$/, '')}/.well-known/openid-configuration`;

  const fetched = await fetchProviderJson(ctx, documentUrl, { what: 'discovery document', maxBytes: MAX_DOCUMENT_BYTES, timeoutMs: TIMEOUT_MS });
  if (!fetched.ok) return fetched;
  const document = fetched.document;
  if (document === null || typeof document !== 'object' || Array.isArray(document)) {
    return failure('not_json', `${documentUrl} did not return a JSON discovery document. Check the issuer URL.`);
  }
  const doc = document as Record<string, unknown>;

  const issuer = typeof doc.issuer === 'string' ? doc.issuer : undefined;
  if (!issuer || issuer.replace(/\/+$/, '') !== entered.replace(/\/+$/, '')) {
    return failure(
      'issuer_mismatch',
      // Nothing of the fetched document is repeated: the admin chose where it came from, and
      // an answer must not turn discovery into a way of reading other servers' documents.
      issuer
        ? `The discovery document names a different issuer than ${entered}${fromDocumentUrl ? ' (the issuer of the discovery URL entered)' : ''}. Enter the issuer exactly as the provider's documentation names it.`
        : 'The discovery document names no issuer.',
    );
  }

  const endpoint = (name: string) => (typeof doc[name] === 'string' ? allowedProviderUrl(doc[name] as string, ctx.allowLoopbackHttp)?.href : undefined);
  const required = { authorizationEndpoint: 'authorization_endpoint', tokenEndpoint: 'token_endpoint', jwksUri: 'jwks_uri' } as const;
  const missing = Object.values(required).filter((name) => !endpoint(name));
  if (missing.length) {
    return failure(
      'missing_endpoints',
      `The discovery document lacks ${missing.join(', ')} (or gives ${missing.length > 1 ? 'them' : 'it'} as a URL that is not https://). Enter the endpoints by hand instead.`,
    );
  }
  const endpoints: Endpoints = {
    authorizationEndpoint: endpoint('authorization_endpoint')!,
    tokenEndpoint: endpoint('token_endpoint')!,
    jwksUri: endpoint('jwks_uri')!,
  };
  const userinfo = endpoint('userinfo_endpoint');
  if (userinfo) endpoints.userinfoEndpoint = userinfo;
  const strings = (value: unknown) => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string').slice(0, 100) : undefined);
  const scopesSupported = strings(doc.scopes_supported);
  // Discovery §3: when absent, the default is client_secret_basic.
  const tokenEndpointAuthMethods = strings(doc.token_endpoint_auth_methods_supported) ?? ['client_secret_basic'];
  return { ok: true, issuer, endpoints, ...(scopesSupported ? { scopesSupported } : {}), tokenEndpointAuthMethods, ...aside };
}
