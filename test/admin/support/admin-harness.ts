import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { SAML } from '@node-saml/node-saml';
import { guardServiceProvider, metadataCertificate } from '../../support/forge-login-support.js';
import type { AdminResolverKey, AdminSettings } from '../../../src/core/admin/admin-api-types.js';
import type { Logger } from '../../../src/core/ports.js';
import { createDemoProvider, type DemoProvider } from '../../../dev/demo/demo-provider.js';
import { startStandalone, type StandaloneApp, type StandaloneOptions } from '../../../src/standalone/standalone-app.js';
import type { LogRecord } from '../../support/login-harness.js';

/**
 * The standalone server started as `BRIDGE_DEMO=0 npm start` starts it (no configuration, the
 * wizard at /admin, a known admin token), a real OpenID provider (`oidc-provider`, the demo
 * one) on its own port with the bridge's callback registered, and a client for the admin API
 * that keeps every answer, so a test can check that no secret was ever in one.
 */

export const ADMIN_TOKEN = 'admin-test-token-0123456789abcdef';
export const CLIENT_ID = 'wizard-client';
export const CLIENT_SECRET = 'wizard-client-secret-never-shown-5d1c0f';
export const SP_ENTITY_ID = 'https://auth.atlassian.com/saml/5f1b2c3d-0000-4000-8000-00000000abcd';
export const ACS_URL = 'https://auth.atlassian.com/login/callback?connection=saml-5f1b2c3d-0000-4000-8000-00000000abcd';

export interface ApiAnswer<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

export interface AdminHarness {
  app: StandaloneApp;
  provider: DemoProvider;
  providerUrl: string;
  logs: LogRecord[];
  /** Every admin API answer body, as sent. */
  answers: string[];
  /** POSTs to /admin/api/<key> with the admin token (unless overridden). */
  api<T = unknown>(key: AdminResolverKey | string, payload?: unknown, options?: { token?: string | null; headers?: Record<string, string> }): Promise<ApiAnswer<T>>;
  /** The provider settings of step 3 for this harness's provider. */
  providerSettings(): AdminSettings;
  /** A node-saml SP playing Guard, configured against the bridge (certificate from its metadata). */
  serviceProvider(): Promise<SAML>;
  close(): Promise<void>;
}

/**
 * `providerPort`: where the OpenID provider listens (default: any free port). A second harness on
 * the same two ports plays a reinstalled app: same URLs, same provider and client, empty storage.
 */
export async function startAdminHarness(options: { standalone?: Partial<StandaloneOptions>; providerPort?: number } = {}): Promise<AdminHarness> {
  const providerServer = http.createServer();
  await new Promise<void>((resolve) => providerServer.listen(options.providerPort ?? 0, '127.0.0.1', resolve));
  const providerUrl = `http://127.0.0.1:${(providerServer.address() as AddressInfo).port}`;
  const logs: LogRecord[] = [];
  const logger: Logger = { log: (level, event, fields) => logs.push({ level, event, fields: { ...fields } }) };
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bridge-admin-'));
  const app = await startStandalone({ port: 0, dataDir, logger, purgeIntervalMs: 3_600_000, adminToken: ADMIN_TOKEN, ...options.standalone });
  const provider = await createDemoProvider({
    issuer: providerUrl,
    clients: [{ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uris: [`${app.baseUrl}/oidc/callback`] }],
  });
  providerServer.on('request', provider.handle);
  const answers: string[] = [];

  return {
    app,
    provider,
    providerUrl,
    logs,
    answers,
    async api(key, payload = {}, { token = ADMIN_TOKEN, headers = {} } = {}) {
      const response = await fetch(`${app.serverUrl}/admin/api/${key}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}), ...headers },
        body: typeof payload === 'string' ? payload : JSON.stringify(payload),
      });
      const text = await response.text();
      answers.push(text);
      return { status: response.status, headers: response.headers, body: JSON.parse(text) };
    },
    providerSettings: () => ({ preset: 'other', oidc: { issuer: providerUrl, clientId: CLIENT_ID, scopes: ['openid', 'email', 'profile'] } }),
    async serviceProvider() {
      const certificate = metadataCertificate(await (await fetch(`${app.baseUrl}/saml/metadata`)).text())!;
      return guardServiceProvider(app.baseUrl, certificate, { issuer: SP_ENTITY_ID, callbackUrl: ACS_URL, audience: SP_ENTITY_ID });
    },
    async close() {
      await app.close();
      providerServer.closeAllConnections();
      await new Promise<void>((resolve) => providerServer.close(() => resolve()));
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** True when the private key's PEM body (or the secret) appears in any of the answers. */
export function leaks(answers: string[], secrets: string[]): string[] {
  const all = answers.join('\n').replace(/\\n/g, '');
  return secrets.filter((secret) => secret && all.includes(secret));
}

/** The first 64 characters of the base64 body of a PEM private key: enough to recognise it. */
export function privateKeyFingerprint(pem: string): string {
  return pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '').slice(0, 64);
}
