import fs from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import type { AdminRefusal } from '../core/admin/admin-api-types.js';
import type { AdminContext } from '../core/admin/admin-context.js';
import { runAdminResolver } from '../core/admin/admin-resolvers.js';
import type { Logger } from '../core/ports.js';
import { AdminRateLimiter } from './admin-rate-limit.js';
import { identifyToken, type AdminTokenIdentity } from './admin-token.js';
import { readBody, writeResponse } from './http-adapter.js';

/**
 * The standalone server's admin: the setup wizard's page at `/admin/` (the same build Forge
 * serves, from `static/admin/build`) and its resolvers at `POST /admin/api/<resolver key>`,
 * the same functions Forge calls through `@forge/resolver`. The page itself holds nothing
 * secret; every API call needs the admin token, and cross-site requests are refused outright.
 */

export interface AdminHttpOptions {
  /** The base URL's path (empty at the root); the admin lives at `<basePath>/admin`. */
  basePath: string;
  /** Origins a browser may call the API from: the server's own (base URL and listen URL). */
  ownOrigins: string[];
  /** The accepted admin tokens (hashed), each with the identity its calls act as. */
  tokens: readonly AdminTokenIdentity[];
  /** The built wizard (`static/admin/build`). */
  uiDir: string;
  /** The resolvers' context for one request by the token's identity. */
  context: (actor: string) => AdminContext;
  logger: Logger;
  /** Wrong tokens per client address (default: `DEFAULT_ADMIN_RATE_LIMIT` on the system clock). */
  rateLimiter?: AdminRateLimiter;
}

export interface AdminHandler {
  /** Whether a request path (below the server root) belongs to the admin. */
  matches(pathname: string): boolean;
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

/** Well above the wizard's largest call (pasted SP metadata), as Forge's 500 KB invoke limit. */
const MAX_API_BODY_BYTES = 512 * 1024;

/**
 * The page's policy: scripts and styles from this server only (Atlaskit inserts its style
 * elements at run time, hence inline styles, as Forge's manifest allows them), API calls to this
 * server only, no framing, no forms posting anywhere, no plugins.
 */
export const ADMIN_UI_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "object-src 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'Content-Security-Policy': ADMIN_UI_CSP,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
} as const;

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.gif': 'image/gif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

const PLACEHOLDER_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Setup wizard not built</title></head>
<body><h1>The setup wizard is not built yet</h1>
<p>The admin UI has not been built. Run <code>npm run build:ui</code>, then reload this page.</p>
</body></html>`;

/** Path segments a built asset can have: no dot files, no `..`, no separators. */
const SAFE_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;

function json(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  writeResponse(res, {
    status,
    headers: {
      'Content-Type': 'application/json; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
      ...extra,
    },
    body: JSON.stringify(body),
  });
}

function refusal(res: ServerResponse, status: number, body: AdminRefusal, extra?: Record<string, string>): void {
  json(res, status, body, extra);
}

function tooManyFailures(res: ServerResponse, retryAfterSeconds: number): void {
  refusal(res, 429, { error: 'unauthorized', message: `Too many wrong admin tokens from this address. Try again in ${retryAfterSeconds} seconds.` }, { 'Retry-After': String(retryAfterSeconds) });
}

function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0]!.trim().toLowerCase();
}

export function createAdminHandler(options: AdminHttpOptions): AdminHandler {
  const root = `${options.basePath}/admin`;
  const uiDir = path.resolve(options.uiDir);

  const limiter = options.rateLimiter ?? new AdminRateLimiter();

  const matches = (pathname: string) => pathname === root || pathname.startsWith(`${root}/`);

  async function api(req: IncomingMessage, res: ServerResponse, key: string): Promise<void> {
    if (req.method !== 'POST') return refusal(res, 405, { error: 'bad_request', message: 'Admin API calls are POST requests.' }, { Allow: 'POST' });
    // A cross-site page can send a "simple" form post or a no-cors fetch, but not with this
    // content type or an Authorization header without a preflight this server never answers;
    // the Origin check refuses the rest before the token is even looked at.
    if (mediaType(req.headers['content-type']) !== 'application/json') {
      return refusal(res, 415, { error: 'bad_request', message: 'Send the request as application/json.' });
    }
    const origin = req.headers.origin;
    if ((origin !== undefined && !options.ownOrigins.includes(origin)) || req.headers['sec-fetch-site'] === 'cross-site') {
      options.logger.log('warn', 'admin.cross_origin_refused', { origin: origin?.slice(0, 200) });
      return refusal(res, 403, { error: 'bad_request', message: 'Cross-site requests to the admin API are refused.' });
    }
    const client = req.socket.remoteAddress ?? 'unknown';
    const verdict = limiter.check(client);
    if (!verdict.allowed) return tooManyFailures(res, verdict.retryAfterSeconds);
    const authorization = req.headers.authorization ?? '';
    const match = /^Bearer[ ]+(\S{1,4096})\s*$/i.exec(authorization);
    const actor = match ? identifyToken(match[1]!, options.tokens) : undefined;
    if (!actor) {
      options.logger.log('warn', 'admin.unauthorized', { resolver: key.slice(0, 60), tokenPresent: Boolean(match) });
      // Only a presented token is a guess; a call without one (the page before login) is not.
      if (match) {
        const failed = limiter.failure(client);
        if (!failed.allowed) return tooManyFailures(res, failed.retryAfterSeconds);
        if (failed.delayMs) await new Promise((resolve) => setTimeout(resolve, failed.delayMs));
      }
      return refusal(res, 401, { error: 'unauthorized', message: 'The admin token is missing or wrong.' }, { 'WWW-Authenticate': 'Bearer realm="bridge-admin"' });
    }
    limiter.success(client);
    let body: string;
    try {
      body = await readBody(req, MAX_API_BODY_BYTES);
    } catch {
      req.destroy();
      return refusal(res, 413, { error: 'bad_request', message: 'The request is too large.' }, { Connection: 'close' });
    }
    let payload: unknown;
    try {
      payload = body.trim() === '' ? {} : JSON.parse(body);
    } catch {
      return refusal(res, 400, { error: 'bad_request', message: 'The request body is not JSON.' });
    }
    const outcome = await runAdminResolver(key, options.context(actor), payload);
    if (outcome.kind === 'answer') return json(res, 200, outcome.body);
    if (outcome.kind === 'refused') return json(res, 400, outcome.body);
    return json(res, 500, { error: 'internal', message: `Something went wrong. Reference: ${outcome.reference}`, reference: outcome.reference });
  }

  async function page(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let html: string;
    try {
      html = await fs.readFile(path.join(uiDir, 'index.html'), 'utf8');
      // The wizard picks its host (Forge's bridge or this server's API) from this marker.
      html = html.replace(/<head(\s[^>]*)?>/i, (head) => `${head}\n    <meta name="bridge-host" content="standalone" />`);
    } catch {
      html = PLACEHOLDER_PAGE;
    }
    writeResponse(res, {
      status: 200,
      headers: { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', ...SECURITY_HEADERS },
      body: req.method === 'HEAD' ? '' : html,
    });
  }

  async function file(req: IncomingMessage, res: ServerResponse, segments: string[]): Promise<void> {
    const notFound = () => writeResponse(res, { status: 404, headers: { 'Content-Type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS }, body: 'Not found\n' });
    if (segments.length > 2 || !segments.every((s) => SAFE_SEGMENT.test(s) && !s.includes('..'))) return notFound();
    const target = path.join(uiDir, ...segments);
    if (!target.startsWith(`${uiDir}${path.sep}`)) return notFound();
    let content: Buffer;
    try {
      content = await fs.readFile(target);
    } catch {
      return notFound();
    }
    const type = CONTENT_TYPES[path.extname(target).toLowerCase()] ?? 'application/octet-stream';
    res.writeHead(200, { 'Content-Type': type, 'Content-Length': String(content.length), 'Cache-Control': 'no-cache', ...SECURITY_HEADERS });
    res.end(req.method === 'HEAD' ? undefined : content);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const rest = url.pathname.slice(root.length);
    if (rest === '/api' || rest.startsWith('/api/')) return api(req, res, rest.slice('/api/'.length));
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return writeResponse(res, { status: 405, headers: { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }, body: 'Method not allowed\n' });
    }
    // Relative asset URLs (Vite's base './', which Forge requires) resolve below /admin/ only.
    if (rest === '') return writeResponse(res, { status: 308, headers: { Location: `${root}/${url.search}`, 'Cache-Control': 'no-store' }, body: '' });
    if (rest === '/' || rest === '/index.html') return page(req, res);
    let segments: string[];
    try {
      segments = rest.slice(1).split('/').map((s) => decodeURIComponent(s));
    } catch {
      segments = ['..'];
    }
    return file(req, res, segments);
  }

  return { matches, handle };
}
