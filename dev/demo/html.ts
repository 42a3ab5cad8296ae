import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { escapeHtml } from '../../src/core/html.js';

/**
 * Small HTML and HTTP helpers shared by the demo peers (the demo OpenID provider, the demo SAML
 * service provider and the landing page). Escaping comes from the core so that there is one
 * escape function in the project.
 */

export { escapeHtml };

/** A fresh CSP nonce for one response. */
export function newNonce(): string {
  return randomBytes(16).toString('base64url');
}

export interface CspOptions {
  /** Lets the page's inline script carrying this nonce run; without it no script runs. */
  scriptNonce?: string;
  /**
   * Sources for `form-action`; `undefined` leaves the directive out (it does not fall back to
   * `default-src`). Browsers apply form-action to every redirect that follows a submission, so a
   * form that starts a sign-in across several origins cannot list them all.
   */
  formAction?: string[] | undefined;
}

export function contentSecurityPolicy(options: CspOptions = {}): string {
  const directives = [
    "default-src 'none'",
    `script-src ${options.scriptNonce ? `'nonce-${options.scriptNonce}'` : "'none'"}`,
    // The one stylesheet is constant, so a hash allows it and pages rendered once can be served
    // many times.
    `style-src '${STYLE_HASH}'`,
    "img-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ];
  if (options.formAction) {
    directives.push(`form-action ${options.formAction.length ? options.formAction.join(' ') : "'none'"}`);
  }
  return directives.join('; ');
}

/** The headers every demo HTML page carries. */
export function htmlPageHeaders(csp: string): Record<string, string> {
  return {
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
    Pragma: 'no-cache',
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Content-Security-Policy': csp,
  };
}

const STYLE = `body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f4f5f7;color:#172b4d}
main{max-width:44rem;margin:6vh auto;padding:2rem;background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(9,30,66,.25)}
h1{font-size:1.5rem;margin:0 0 1rem}h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
code{background:#f1f2f4;padding:.1rem .3rem;border-radius:3px;word-break:break-all}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #dfe1e6;vertical-align:top}
label{display:block;margin:.75rem 0 .25rem;font-weight:600}input[type=text],input[type=email],input[type=password]{font:inherit;width:100%;box-sizing:border-box;padding:.4rem}
button,.button{font:inherit;display:inline-block;padding:.5rem 1rem;margin:.75rem .5rem 0 0;border:0;border-radius:4px;background:#0c66e4;color:#fff;text-decoration:none;cursor:pointer}
button.secondary{background:#dfe1e6;color:#172b4d}.big{font-size:1.2rem;padding:.75rem 1.5rem}
.error{background:#ffeceb;border-left:4px solid #c9372c;padding:.5rem 1rem}.ok{background:#dcfff1;border-left:4px solid #1f845a;padding:.5rem 1rem}
.muted{color:#626f86;font-size:.9rem}ol li,ul li{margin:.25rem 0}`;

const STYLE_HASH = `sha256-${createHash('sha256').update(STYLE, 'utf8').digest('base64')}`;

/**
 * A complete page; `body` is trusted HTML that the caller built from escaped values. A `script`
 * needs `scriptNonce`, and the page's CSP must name the same nonce.
 */
export function renderPage(options: { title: string; body: string; script?: string; scriptNonce?: string }): string {
  if (options.script && !options.scriptNonce) throw new TypeError('An inline script needs a nonce.');
  const script = options.script ? `\n<script nonce="${options.scriptNonce}">${options.script}</script>` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(options.title)}</title><style>${STYLE}</style></head>
<body><main>
${options.body}
</main>${script}
</body></html>`;
}

export function sendHtml(res: ServerResponse, status: number, html: string, csp: string): void {
  res.writeHead(status, { ...htmlPageHeaders(csp), 'Content-Length': Buffer.byteLength(html) });
  res.end(html);
}

export function sendRedirect(res: ServerResponse, location: string, status = 302): void {
  res.writeHead(status, { Location: location, 'Cache-Control': 'no-store', 'Content-Length': '0' });
  res.end();
}

export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
}

/** Reads an `application/x-www-form-urlencoded` body of at most `limit` bytes. */
export async function readForm(req: IncomingMessage, limit: number): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new BodyTooLargeError(`request body over ${limit} bytes`);
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/** The one value of a form field; repeated fields are treated as absent. */
export function single(params: URLSearchParams, name: string): string | undefined {
  const values = params.getAll(name);
  return values.length === 1 ? values[0] : undefined;
}

/**
 * The part of a request URL below a mount path: `/demo-op/auth?x` → `/auth?x`, `/demo-op` → `/`;
 * undefined for a URL outside the prefix (including `/demo-opx`).
 */
export function stripMountPrefix(url: string, prefix: string): string | undefined {
  if (!url.startsWith(prefix)) return undefined;
  const rest = url.slice(prefix.length);
  if (rest === '') return '/';
  if (rest.startsWith('?')) return `/${rest}`;
  return rest.startsWith('/') ? rest : undefined;
}
