import { createRequire } from 'node:module';
import { format } from 'node:util';

/**
 * Records every line the code under test writes (console, process.stdout/stderr, and the
 * bridge's Logger records that harnesses forward through `globalThis.__bridgeLogSink`) and
 * every secret that crossed the wire in the same process: client secrets (Basic or form),
 * authorization codes, PKCE verifiers, access, refresh and ID tokens, user passwords and SAML
 * responses (bearer credentials for Atlassian). `findLeaks` then says whether any line holds one.
 */

export interface Secret {
  kind: string;
  value: string;
}

export interface CapturedLine {
  source: string;
  line: string;
}

export interface SecretWatch {
  lines: CapturedLine[];
  secrets: Secret[];
  /** Adds a secret known to the test (a configured client secret, a stored signing key). */
  addSecret(kind: string, value: string): void;
  /** Waits for the response bodies still being read for tokens. */
  settle(): Promise<void>;
  uninstall(): void;
}

interface ScanModule {
  findLeaks(lines: CapturedLine[], secrets: Secret[]): { source: string; what: string; at: number }[];
}

export const { findLeaks } = createRequire(import.meta.url)('./secret-scan.cjs') as ScanModule;

type Sink = (line: string) => void;
type Global = typeof globalThis & { __bridgeLogSink?: Sink };

const FORM_SECRETS: Record<string, string> = {
  code: 'authorization code',
  client_secret: 'client secret',
  code_verifier: 'PKCE verifier',
  // private_key_jwt: a signed assertion is a credential until it expires.
  client_assertion: 'client assertion',
  refresh_token: 'refresh token',
  password: 'user password',
  SAMLResponse: 'SAML response',
};
const JSON_SECRETS: Record<string, string> = { access_token: 'access token', id_token: 'ID token', refresh_token: 'refresh token' };

export function installSecretWatch(): SecretWatch {
  const lines: CapturedLine[] = [];
  const secrets: Secret[] = [];
  const pending = new Set<Promise<unknown>>();
  const add = (kind: string, value: unknown) => {
    if (typeof value === 'string' && value) secrets.push({ kind, value });
  };
  const fromParams = (params: URLSearchParams) => {
    for (const [name, kind] of Object.entries(FORM_SECRETS)) for (const value of params.getAll(name)) add(kind, value);
  };

  const g = globalThis as Global;
  const restore: (() => void)[] = [];

  // Logger records forwarded by the harnesses.
  const previousSink = g.__bridgeLogSink;
  g.__bridgeLogSink = (line) => {
    lines.push({ source: 'logger', line });
    previousSink?.(line);
  };
  restore.push(() => (g.__bridgeLogSink = previousSink));

  // console.*
  for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
    const original = console[method];
    console[method] = (...args: unknown[]) => {
      lines.push({ source: `console.${method}`, line: format(...args) });
      return original.apply(console, args as []);
    };
    restore.push(() => (console[method] = original));
  }

  // process.stdout / process.stderr
  for (const name of ['stdout', 'stderr'] as const) {
    const stream = process[name];
    const original = stream.write;
    stream.write = function write(this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
      lines.push({ source: name, line: typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) || chunk instanceof Uint8Array ? Buffer.from(chunk).toString('utf8') : String(chunk) });
      return (original as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof stream.write;
    restore.push(() => (stream.write = original));
  }

  // fetch: what goes to and comes back from every peer in this process.
  const originalFetch = g.fetch;
  g.fetch = async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    fromParams(url.searchParams);
    const headers = new Headers(input instanceof Request ? input.headers : undefined);
    new Headers(init?.headers).forEach((value, name) => headers.set(name, value));
    const authorization = headers.get('authorization') ?? '';
    const basic = /^Basic\s+(.+)$/i.exec(authorization);
    if (basic) {
      const [, secret] = Buffer.from(basic[1]!, 'base64').toString('utf8').split(/:(.*)/s);
      add('client secret', secret);
      if (secret) add('client secret', decodeURIComponent(secret));
    }
    const bearer = /^(?:Bearer|DPoP)\s+(.+)$/i.exec(authorization);
    if (bearer) add('access token', bearer[1]);
    const body = init?.body;
    if (typeof body === 'string' || body instanceof URLSearchParams) fromParams(new URLSearchParams(body.toString()));
    const response = await originalFetch(input, init);
    const location = response.headers.get('location');
    if (location) fromParams(new URL(location, url).searchParams);
    const type = response.headers.get('content-type') ?? '';
    if (/json|html/i.test(type) && response.body) {
      const reading = response
        .clone()
        .text()
        .then((text) => {
          if (/json/i.test(type)) {
            try {
              const parsed = JSON.parse(text) as Record<string, unknown>;
              for (const [name, kind] of Object.entries(JSON_SECRETS)) add(kind, parsed[name]);
            } catch {
              // not JSON after all
            }
          } else {
            for (const match of text.matchAll(/name="SAMLResponse" value="([^"]+)"/g)) add('SAML response', match[1]);
          }
        })
        .catch(() => undefined)
        .finally(() => pending.delete(reading));
      pending.add(reading);
    }
    return response;
  };
  restore.push(() => (g.fetch = originalFetch));

  return {
    lines,
    secrets,
    addSecret: add,
    async settle() {
      await Promise.all([...pending]);
    },
    uninstall() {
      for (const undo of restore.reverse()) undo();
    },
  };
}
