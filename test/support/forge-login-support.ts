import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { SAML, ValidateInResponseTo, type SamlConfig } from '@node-saml/node-saml';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';
import type { WebTriggerContext, WebTriggerEvent, WebTriggerResponse } from '../../src/forge/web-trigger.js';
import { createDemoProvider, type DemoUser } from '../../dev/demo/demo-provider.js';
import { ACS_URL, CLIENT_ID, CLIENT_SECRET, SP_ENTITY_ID } from './login-harness.js';

/**
 * The network of a whole login through the Forge web trigger, inside one Jest process:
 *
 * - `selfSignedCertificate()`: a certificate for 127.0.0.1, for the https OpenID provider (the
 *   bridge on Forge refuses http issuers), as bench/provider-process.ts makes it.
 * - `pinnedHttpsFetch()`: a fetch to that provider only, over `node:https` with the certificate as
 *   the only trusted CA. TLS checks stay on (chain and SAN); nothing process-wide changes. It plays
 *   the part NODE_EXTRA_CA_CERTS plays for the benchmark's separate Forge process.
 * - `webTriggerFetch()`: a fetch to the web trigger URL that builds the payload Forge builds and
 *   calls the web trigger function, as Forge's web trigger front door would.
 * - `installFetchRoutes()`: puts both behind `globalThis.fetch`, which is what the browser-less
 *   user agent calls and what `@forge/api`'s `fetch` (the bridge's egress outside Forge) calls.
 *   Any other destination is refused: the test never reaches the real network.
 */

type FetchFn = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** Responses without a body, for which `new Response(body)` must get `null`. */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

export function selfSignedCertificate(host = '127.0.0.1'): { key: string; cert: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const certificate = forge.pki.createCertificate();
  certificate.publicKey = forge.pki.publicKeyFromPem(publicKey);
  certificate.serialNumber = `01${randomBytes(8).toString('hex')}`;
  certificate.validity.notBefore = new Date(Date.now() - 3600_000);
  certificate.validity.notAfter = new Date(Date.now() + 24 * 3600_000);
  // A subject of its own per certificate: two providers' self-signed certificates in one CA
  // file must not share a name, or chain building may pick the other one.
  const subject = [{ name: 'commonName', value: host }, { name: 'organizationName', value: `bridge test ${randomBytes(4).toString('hex')}` }];
  certificate.setSubject(subject);
  certificate.setIssuer(subject);
  certificate.setExtensions([
    { name: 'basicConstraints', cA: true },
    { name: 'subjectAltName', altNames: [{ type: 7, ip: host }] },
  ]);
  certificate.sign(forge.pki.privateKeyFromPem(privateKey), forge.md.sha256.create());
  return { key: privateKey, cert: forge.pki.certificateToPem(certificate) };
}

/** The request's URL, method, headers and body, whichever way `fetch` was called. */
async function readRequest(input: string | URL | Request, init: RequestInit = {}) {
  const url = new URL(input instanceof Request ? input.url : String(input));
  const method = (init.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
  const headers = new Headers(input instanceof Request ? input.headers : undefined);
  new Headers(init.headers).forEach((value, name) => headers.set(name, value));
  let body: Buffer | undefined;
  const source = init.body ?? (input instanceof Request && input.body ? await input.arrayBuffer() : undefined);
  if (source !== undefined && source !== null) {
    // As fetch does: a form body and a text body carry their type unless one was given.
    if (source instanceof URLSearchParams && !headers.has('content-type')) {
      headers.set('content-type', 'application/x-www-form-urlencoded;charset=UTF-8');
    }
    if (typeof source === 'string' && !headers.has('content-type')) headers.set('content-type', 'text/plain;charset=UTF-8');
    body = Buffer.from(await new Response(source).arrayBuffer());
  }
  return { url, method, headers, body, signal: init.signal ?? undefined };
}

/**
 * Fetch for `origin` (an https origin) that trusts exactly `caPem`. Redirects are not followed
 * (every caller here asks for `redirect: 'manual'` or expects none).
 */
export function pinnedHttpsFetch(origin: string, caPem: string): FetchFn {
  const agent = new https.Agent({ ca: caPem, keepAlive: false });
  return async (input, init) => {
    const request = await readRequest(input, init);
    if (request.url.origin !== origin) throw new Error(`pinnedHttpsFetch: ${request.url.origin} is not ${origin}`);
    if (request.body) request.headers.set('content-length', String(request.body.length));
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => {
      headers[name] = value;
    });
    return new Promise<Response>((resolve, reject) => {
      const outgoing = https.request(
        request.url,
        {
          method: request.method,
          headers,
          agent,
          ...(request.signal ? { signal: request.signal } : {}),
        },
        (incoming) => {
          const chunks: Buffer[] = [];
          incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
          incoming.on('error', reject);
          incoming.on('end', () => {
            const headers = new Headers();
            for (let i = 0; i + 1 < incoming.rawHeaders.length; i += 2) headers.append(incoming.rawHeaders[i]!, incoming.rawHeaders[i + 1]!);
            const status = incoming.statusCode ?? 500;
            const body = NULL_BODY_STATUSES.has(status) ? null : new Uint8Array(Buffer.concat(chunks));
            resolve(new Response(body, { status, statusText: incoming.statusMessage ?? '', headers }));
          });
        },
      );
      outgoing.on('error', reject);
      outgoing.end(request.body);
    });
  };
}

export type WebTriggerFunction = (event: WebTriggerEvent, context?: WebTriggerContext) => Promise<WebTriggerResponse>;

/** The payload Forge hands the web trigger function for a request to `triggerUrl` + path. */
export function webTriggerEvent(
  triggerUrl: string,
  request: { url: URL; method: string; headers: Headers; body?: Buffer | string },
): WebTriggerEvent {
  const base = new URL(triggerUrl);
  if (!`${request.url.origin}${request.url.pathname}`.startsWith(`${base.origin}${base.pathname}`)) {
    throw new Error(`${request.url.href} is not below the web trigger URL`);
  }
  const queryParameters: Record<string, string[]> = {};
  for (const [name, value] of request.url.searchParams) (queryParameters[name] ??= []).push(value);
  const headers: Record<string, string[]> = {};
  request.headers.forEach((value, name) => {
    headers[name] = [value];
  });
  return {
    method: request.method,
    headers,
    body: request.body === undefined ? '' : request.body.toString(),
    queryParameters,
    path: request.url.pathname,
    userPath: request.url.pathname.slice(base.pathname.length),
  };
}

/** The web trigger function's answer as an HTTP response. */
export function fromWebTriggerResponse(response: WebTriggerResponse): Response {
  const headers = new Headers();
  for (const [name, values] of Object.entries(response.headers)) for (const value of values) headers.append(name, value);
  const body = NULL_BODY_STATUSES.has(response.statusCode) ? null : response.body;
  return new Response(body, { status: response.statusCode, headers });
}

/**
 * Fetch for URLs below `triggerUrl`: each request becomes one invocation of `handler`, as Forge
 * invokes a web trigger function. `onEvent` sees every payload (to replay one later).
 */
export function webTriggerFetch(
  triggerUrl: string,
  handler: WebTriggerFunction,
  context: WebTriggerContext,
  onEvent?: (event: WebTriggerEvent, response: WebTriggerResponse) => void,
): FetchFn {
  return async (input, init) => {
    const request = await readRequest(input, init);
    const event = webTriggerEvent(triggerUrl, request);
    const response = await handler(event, context);
    onEvent?.(structuredClone(event), response);
    return fromWebTriggerResponse(response);
  };
}

/**
 * Replaces `globalThis.fetch` with a router: a request whose URL starts with one of the prefixes
 * goes to that route, anything else is refused. Returns the function that puts the previous
 * fetch back.
 */
export function installFetchRoutes(routes: Record<string, FetchFn>): () => void {
  const previous = globalThis.fetch;
  const routed: FetchFn = async (input, init) => {
    const href = input instanceof Request ? input.url : String(input);
    const prefix = Object.keys(routes).find((p) => href.startsWith(p));
    if (prefix === undefined) throw new TypeError(`fetch: no route to ${href} in this test`);
    return routes[prefix]!(input, init);
  };
  globalThis.fetch = routed as typeof fetch;
  return () => {
    if (globalThis.fetch === (routed as typeof fetch)) globalThis.fetch = previous;
  };
}

/**
 * The demo oidc-provider over https on 127.0.0.1 with a fresh self-signed certificate, with the
 * bridge's client registered for `redirectUri`: the OpenID provider of the Forge login tests
 * (the bridge on Forge refuses http issuers). `certificate` is the PEM to trust.
 */
export async function startHttpsDemoProvider(
  redirectUri: string,
  options: { users?: readonly DemoUser[]; client?: { id: string; secret: string } | { id: string; jwksUri: string } } = {},
): Promise<{ issuer: string; certificate: string; close(): Promise<void> }> {
  const tls = selfSignedCertificate();
  const server = https.createServer({ key: tls.key, cert: tls.cert });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = options.client ?? { id: CLIENT_ID, secret: CLIENT_SECRET };
  const provider = await createDemoProvider({
    issuer,
    clients: [
      'jwksUri' in client
        ? // private_key_jwt: the provider fetches the client's public keys from the bridge.
          { client_id: client.id, jwks_uri: client.jwksUri, token_endpoint_auth_method: 'private_key_jwt', redirect_uris: [redirectUri] }
        : { client_id: client.id, client_secret: client.secret, redirect_uris: [redirectUri] },
    ],
    ...(options.users ? { users: options.users } : {}),
    ...('jwksUri' in client ? { allowLoopbackFetch: true } : {}),
  });
  server.on('request', provider.handle);
  return {
    issuer,
    certificate: tls.cert,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** What the setup wizard's provider step saves (`config/save`) for a login against `issuer`. */
export function providerStepSave(issuer: string) {
  return {
    settings: {
      oidc: { issuer, clientId: CLIENT_ID, scopes: ['openid', 'email', 'profile'] },
      serviceProvider: { entityId: SP_ENTITY_ID, acsUrl: ACS_URL },
      allowedEmailDomains: ['example.com'],
    },
    clientSecret: CLIENT_SECRET,
    step: 'provider',
  };
}

/** The signing certificate (base64 DER) the bridge's metadata publishes. */
export function metadataCertificate(metadataXml: string): string | undefined {
  return /<(?:\w+:)?X509Certificate>([^<]+)</.exec(metadataXml)?.[1]?.replace(/\s+/g, '');
}

/**
 * node-saml as Atlassian Guard, in front of the bridge at `bridgeUrl`: it verifies every response
 * with `idpCert` (from the bridge's metadata), both signatures required.
 */
export function guardServiceProvider(bridgeUrl: string, idpCert: string, options: Partial<SamlConfig> = {}): SAML {
  return new SAML({
    entryPoint: `${bridgeUrl}/saml/sso`,
    issuer: SP_ENTITY_ID,
    callbackUrl: ACS_URL,
    audience: SP_ENTITY_ID,
    idpCert,
    idpIssuer: `${bridgeUrl}/saml/metadata`,
    wantAuthnResponseSigned: true,
    wantAssertionsSigned: true,
    validateInResponseTo: ValidateInResponseTo.always,
    identifierFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
    signatureAlgorithm: 'sha256',
    acceptedClockSkewMs: 5_000,
    ...options,
  });
}
