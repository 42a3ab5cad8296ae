import { deflateRawSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';

/**
 * A lean browser for the benchmark: a cookie jar, redirects followed by hand, the provider's
 * login form filled in once per browser (later logins ride on the provider session, as a user
 * already signed in at Okta does), and the bridge's auto-post page read for the SAMLResponse.
 * It parses nothing it need not: the driver shares the machine with what it measures.
 */

export interface HopRequest {
  method: 'GET' | 'POST';
  url: URL;
  headers: Record<string, string>;
  body?: string;
}

export interface Hop {
  status: number;
  location?: string;
  setCookies: string[];
  body: string;
}

/** Sends one request and returns the answer as is (no redirects followed). */
export type Transport = (request: HopRequest) => Promise<Hop>;

export const httpTransport: Transport = async (request) => {
  const response = await fetch(request.url, {
    method: request.method,
    headers: request.headers,
    ...(request.body !== undefined ? { body: request.body } : {}),
    redirect: 'manual',
  });
  return {
    status: response.status,
    location: response.headers.get('location') ?? undefined,
    setCookies: response.headers.getSetCookie(),
    body: await response.text(),
  };
};

interface StoredCookie {
  value: string;
  path: string;
}

/** Cookies by origin and name, with path matching and deletion; enough for these flows. */
export class CookieJar {
  private readonly byOrigin = new Map<string, Map<string, StoredCookie>>();

  store(url: URL, setCookies: readonly string[]): void {
    for (const header of setCookies) {
      const [pair = '', ...attributes] = header.split(';');
      const at = pair.indexOf('=');
      if (at <= 0) continue;
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      let path = url.pathname.replace(/\/[^/]*$/, '') || '/';
      let expired = false;
      for (const attribute of attributes) {
        const [key = '', ...rest] = attribute.split('=');
        const attributeValue = rest.join('=').trim();
        const lower = key.trim().toLowerCase();
        if (lower === 'path' && attributeValue.startsWith('/')) path = attributeValue;
        if (lower === 'max-age' && Number(attributeValue) <= 0) expired = true;
        if (lower === 'expires' && Date.parse(attributeValue) <= Date.now()) expired = true;
      }
      let cookies = this.byOrigin.get(url.origin);
      if (!cookies) this.byOrigin.set(url.origin, (cookies = new Map()));
      const key = `${path}\n${name}`;
      if (expired) cookies.delete(key);
      else cookies.set(key, { value, path });
    }
  }

  header(url: URL): string | undefined {
    const cookies = this.byOrigin.get(url.origin);
    if (!cookies) return undefined;
    const sent: string[] = [];
    for (const [key, cookie] of cookies) {
      const matches = url.pathname === cookie.path || url.pathname.startsWith(cookie.path.endsWith('/') ? cookie.path : `${cookie.path}/`);
      if (matches) sent.push(`${key.slice(key.indexOf('\n') + 1)}=${cookie.value}`);
    }
    return sent.length ? sent.join('; ') : undefined;
  }
}

export interface ServiceProviderIdentity {
  entityId: string;
  acsUrl: string;
}

const xmlEscape = (value: string) => value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
const htmlUnescape = (value: string) =>
  value.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/** An AuthnRequest as Atlassian Guard sends it, DEFLATE + base64 for the HTTP-Redirect binding. */
export function redirectAuthnRequest(sp: ServiceProviderIdentity, ssoUrl: string): string {
  const xml =
    `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ` +
    `ID="_${randomBytes(16).toString('hex')}" Version="2.0" IssueInstant="${new Date().toISOString()}" Destination="${xmlEscape(ssoUrl)}" ` +
    `AssertionConsumerServiceURL="${xmlEscape(sp.acsUrl)}" ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST">` +
    `<saml:Issuer>${xmlEscape(sp.entityId)}</saml:Issuer>` +
    `<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress" AllowCreate="true"/>` +
    `</samlp:AuthnRequest>`;
  return deflateRawSync(Buffer.from(xml, 'utf8')).toString('base64');
}

export interface LoginResult {
  samlResponse: string;
  relayState: string | undefined;
  /** Whether the provider asked for the password this time. */
  signedInAtProvider: boolean;
  hops: number;
  /** The whole login as this browser saw it, first request to last answer (ms). */
  wallMs: number;
  /**
   * The requests sent to the bridge (the SSO request and the callback), each from sending to the
   * whole answer read (ms); the hops to the provider's login pages are not in it.
   */
  bridgeLegsMs: number;
  /** The `code` the provider sent back to the bridge's callback: the provider's key to this login. */
  authorizationCode: string | undefined;
}

export class Browser {
  readonly jar = new CookieJar();
  constructor(
    private readonly transport: Transport,
    private readonly user: { email: string; password: string },
  ) {}

  private async send(request: HopRequest): Promise<Hop> {
    const cookie = this.jar.header(request.url);
    if (cookie) request.headers.cookie = cookie;
    const hop = await this.transport(request);
    this.jar.store(request.url, hop.setCookies);
    return hop;
  }

  /** One whole login: SSO URL → provider (form once) → callback → the page that posts to the ACS. */
  async login(ssoUrl: string, sp: ServiceProviderIdentity): Promise<LoginResult> {
    const start = new URL(ssoUrl);
    start.searchParams.set('SAMLRequest', redirectAuthnRequest(sp, ssoUrl));
    start.searchParams.set('RelayState', 'https://bench.atlassian.test/jira');
    let request: HopRequest = { method: 'GET', url: start, headers: {} };
    let signedInAtProvider = false;
    const startedAt = performance.now();
    let bridgeLegsMs = 0;
    let authorizationCode: string | undefined;
    for (let hops = 1; hops <= 30; hops++) {
      const sentAt = performance.now();
      const hop = await this.send(request);
      if (request.url.origin === start.origin) {
        bridgeLegsMs += performance.now() - sentAt;
        authorizationCode ??= request.url.searchParams.get('code') ?? undefined;
      }
      if (hop.status >= 300 && hop.status < 400 && hop.location) {
        request = { method: 'GET', url: new URL(hop.location, request.url), headers: {} };
        continue;
      }
      if (hop.status === 200) {
        const samlResponse = /name="SAMLResponse" value="([^"]*)"/.exec(hop.body)?.[1];
        if (samlResponse) {
          const relayState = /name="RelayState" value="([^"]*)"/.exec(hop.body)?.[1];
          return {
            samlResponse: htmlUnescape(samlResponse),
            relayState: relayState && htmlUnescape(relayState),
            signedInAtProvider,
            hops,
            wallMs: performance.now() - startedAt,
            bridgeLegsMs,
            authorizationCode,
          };
        }
        const action = /<form method="post" action="([^"]*\/login)"/.exec(hop.body)?.[1];
        if (action && !signedInAtProvider) {
          signedInAtProvider = true;
          const body = new URLSearchParams({ email: this.user.email, password: this.user.password }).toString();
          request = {
            method: 'POST',
            url: new URL(htmlUnescape(action), request.url),
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body,
          };
          continue;
        }
      }
      const reference = /R-[A-Z0-9]{4}-[A-Z0-9]{4}/.exec(hop.body)?.[0];
      throw new Error(`login stopped at ${hop.status} ${request.url.origin}${request.url.pathname}${reference ? ` (${reference})` : ''}: ${hop.body.replace(/\s+/g, ' ').slice(0, 300)}`);
    }
    throw new Error('login did not finish within 30 hops');
  }
}
