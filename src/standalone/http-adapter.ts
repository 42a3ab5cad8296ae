import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Bridge } from '../core/bridge.js';
import { MAX_BODY_CHARS } from '../core/bridge.js';
import { toMultiValueRecord, type BridgeRequest, type BridgeResponse } from '../core/http-types.js';

/**
 * Translates Node's HTTP request into a `BridgeRequest` and the `BridgeResponse` back. Decides
 * nothing: routing, checks and pages are the core's.
 */
export async function serveBridge(bridge: Bridge, basePath: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  let body: string;
  try {
    body = await readBody(req, MAX_BODY_CHARS);
  } catch {
    writeResponse(res, { status: 413, headers: { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-store', Connection: 'close' }, body: 'Request body too large\n' });
    req.destroy();
    return;
  }
  const request: BridgeRequest = {
    method: req.method ?? 'GET',
    // A path outside the base path is no route of the bridge: the empty path matches none.
    path: url.pathname === basePath || url.pathname.startsWith(`${basePath}/`) ? url.pathname.slice(basePath.length) || '/' : '',
    query: toMultiValueRecord(url.searchParams),
    headers: headerRecord(req),
    body,
  };
  writeResponse(res, await bridge.handle(request));
}

export function writeResponse(res: ServerResponse, response: BridgeResponse): void {
  res.writeHead(response.status, response.cookies?.length ? { ...response.headers, 'Set-Cookie': response.cookies } : response.headers);
  res.end(response.body);
}

/**
 * Collected in a Map, then made own properties: a header named `__proto__` or `constructor`
 * would otherwise find Object.prototype's member in a `{}` record and turn into a 500.
 */
function headerRecord(req: IncomingMessage): Record<string, string[]> {
  const headers = new Map<string, string[]>();
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const values = headers.get(name);
    if (values) values.push(raw[i + 1]!);
    else headers.set(name, [raw[i + 1]!]);
  }
  return Object.fromEntries(headers);
}

/** Reads the body as UTF-8, refusing (not truncating) anything over `limit` bytes. */
export function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) return reject(new Error('too large'));
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        reject(new Error('too large'));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
