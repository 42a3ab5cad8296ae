import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { SAML, ValidateInResponseTo } from '@node-saml/node-saml';
import { createDemoProvider, demoUsers, type DemoProvider, type DemoUser } from '../../dev/demo/demo-provider.js';
import { startStandalone, type StandaloneApp, type StandaloneOptions } from '../../src/standalone/standalone-app.js';
import type { RawConfig } from '../../src/core/config.js';
import type { Fetch, Logger, LogLevel } from '../../src/core/ports.js';
import { UserAgent, type Page } from './user-agent.js';

/**
 * A whole login on loopback with real peers: `oidc-provider` as the OpenID provider on its own
 * port, the bridge's standalone server, and `@node-saml/node-saml` as the SAML service
 * provider that verifies the bridge's response with the certificate from the bridge's metadata.
 */

// In a module of their own, so in-process tests get them without loading the real peers.
export { ACS_URL, CLIENT_ID, CLIENT_SECRET, SP_ENTITY_ID } from './peer-names.js';
import { ACS_URL, CLIENT_ID, CLIENT_SECRET, SP_ENTITY_ID } from './peer-names.js';

export interface LogRecord {
  level: LogLevel;
  event: string;
  fields: Record<string, unknown>;
}

export interface Harness {
  provider: DemoProvider;
  providerUrl: string;
  app: StandaloneApp;
  logs: LogRecord[];
  /** Calls the provider's endpoints pass through; tests may swap `intercept` to tamper. */
  upstream: {
    calls: string[];
    /** The requests behind `calls`, in the same order (to see how the client authenticated). */
    requests: UpstreamRequest[];
    intercept?: (url: string, response: Response) => Promise<Response>;
    /**
     * Runs before the real request: a Response (or a rejection) here replaces the provider's
     * answer, so tests can take an endpoint down, slow it or break it; undefined lets the call
     * through. Receives the `init` the bridge passed (with its timeout `signal`).
     */
    respond?: (url: string, init: RequestInit | undefined) => Promise<Response | undefined> | undefined;
  };
  /** The fetch the bridge's ports use (with `upstream` recording and tampering). */
  fetch: Fetch;
  /** A node-saml SP configured against the bridge (certificate from its metadata). */
  serviceProvider(overrides?: Partial<ConstructorParameters<typeof SAML>[0]>): Promise<SAML>;
  close(): Promise<void>;
}

export interface UpstreamRequest {
  url: string;
  method: string;
  headers: Headers;
  /** A form or text body as sent; undefined for none (or a kind this does not read). */
  body?: string;
}

export interface HarnessOptions {
  config?: (base: RawConfig) => RawConfig;
  standalone?: Partial<StandaloneOptions>;
  /** With `private_key_jwt` the bridge has no secret and the provider fetches its JWKS URL. */
  tokenEndpointAuthMethod?: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';
  /** The provider's accounts; default `demoUsers`. */
  users?: readonly DemoUser[];
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const providerServer = http.createServer();
  await new Promise<void>((resolve) => providerServer.listen(0, '127.0.0.1', resolve));
  const providerUrl = `http://127.0.0.1:${(providerServer.address() as AddressInfo).port}`;
  const logs: LogRecord[] = [];
  const logger: Logger = {
    log: (level, event, fields) => {
      logs.push({ level, event, fields: { ...fields } });
      // The whole-suite secret watch (test/support/secret-watch.ts) reads every record, if installed.
      (globalThis as { __bridgeLogSink?: (line: string) => void }).__bridgeLogSink?.(JSON.stringify({ level, event, ...fields }));
    },
  };
  const upstream: Harness['upstream'] = { calls: [], requests: [] };
  const tamperingFetch: Fetch = async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    upstream.calls.push(url);
    const headers = new Headers(input instanceof Request ? input.headers : undefined);
    new Headers(init?.headers).forEach((value, name) => headers.set(name, value));
    const body = init?.body instanceof URLSearchParams ? init.body.toString() : typeof init?.body === 'string' ? init.body : undefined;
    upstream.requests.push({ url, method: init?.method ?? (input instanceof Request ? input.method : 'GET'), headers, ...(body !== undefined ? { body } : {}) });
    const replaced = await upstream.respond?.(url, init);
    const response = replaced ?? (await fetch(input, init));
    return upstream.intercept ? upstream.intercept(url, response) : response;
  };
  const keyAuth = options.tokenEndpointAuthMethod === 'private_key_jwt';
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bridge-test-'));
  let provider: DemoProvider | undefined;
  const app = await startStandalone({
    port: 0,
    dataDir,
    logger,
    fetch: tamperingFetch,
    purgeIntervalMs: 3_600_000,
    ...options.standalone,
    config: (serverUrl) => {
      const base: RawConfig = {
        baseUrl: serverUrl,
        oidc: {
          issuer: providerUrl,
          clientId: CLIENT_ID,
          ...(keyAuth ? {} : { clientSecret: CLIENT_SECRET }),
          scopes: ['openid', 'email', 'profile'],
          clientAuthMethod: options.tokenEndpointAuthMethod ?? 'client_secret_basic',
        },
        serviceProvider: { entityId: SP_ENTITY_ID, acsUrl: ACS_URL },
        allowedEmailDomains: ['example.com'],
      };
      return options.config ? options.config(base) : base;
    },
  });
  provider = await createDemoProvider({
    issuer: providerUrl,
    clients: [
      {
        client_id: CLIENT_ID,
        ...(keyAuth ? { jwks_uri: `${app.baseUrl}/oidc/jwks/default/default` } : { client_secret: CLIENT_SECRET }),
        redirect_uris: [`${app.baseUrl}/oidc/callback`],
        token_endpoint_auth_method: options.tokenEndpointAuthMethod ?? 'client_secret_basic',
      },
    ],
    ...(options.users ? { users: options.users } : {}),
    ...(keyAuth ? { allowLoopbackFetch: true } : {}),
  });
  providerServer.on('request', provider.handle);

  const metadataCertificate = async () => {
    const xml = await (await fetch(`${app.baseUrl}/saml/metadata`)).text();
    const match = /<(?:\w+:)?X509Certificate>([^<]+)</.exec(xml);
    if (!match) throw new Error('no certificate in the metadata');
    return match[1]!.replace(/\s+/g, '');
  };

  return {
    provider,
    providerUrl,
    app,
    logs,
    upstream,
    fetch: tamperingFetch,
    async serviceProvider(overrides = {}) {
      return new SAML({
        entryPoint: `${app.baseUrl}/saml/sso`,
        issuer: SP_ENTITY_ID,
        callbackUrl: ACS_URL,
        audience: SP_ENTITY_ID,
        idpCert: await metadataCertificate(),
        idpIssuer: `${app.baseUrl}/saml/metadata`,
        wantAuthnResponseSigned: true,
        wantAssertionsSigned: true,
        validateInResponseTo: ValidateInResponseTo.always,
        identifierFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
        signatureAlgorithm: 'sha256',
        acceptedClockSkewMs: 5_000,
        ...overrides,
      });
    },
    async close() {
      await app.close();
      providerServer.closeAllConnections();
      await new Promise<void>((resolve) => providerServer.close(() => resolve()));
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const alice = demoUsers.find((u) => u.email === 'alice@example.com')!;

/** Where the browser-less user agent should stop: at the SP's ACS (not reachable here). */
export const stopAtAcs = (url: URL) => url.href.startsWith(ACS_URL.split('?')[0]!);

/**
 * Signs in at the demo provider's login page (the page the SSO redirect chain ended on) and
 * follows the chain back to the bridge; returns the bridge's last page.
 */
export async function signInAtProvider(agent: UserAgent, loginPage: Page, user: { email: string; password: string }): Promise<Page> {
  return agent.submit(loginPage, { fields: { email: user.email, password: user.password } });
}

/** Reads the auto-post page the bridge answers with. */
export function readAutoPost(page: Page): { action: string; SAMLResponse?: string; RelayState?: string } {
  const form = page.form('#saml-post');
  const field = (name: string) => form.fields.find(([n]) => n === name)?.[1];
  return { action: form.action, SAMLResponse: field('SAMLResponse'), RelayState: field('RelayState') };
}
