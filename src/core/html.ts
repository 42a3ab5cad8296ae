/**
 * The HTML pages the bridge serves to browsers: the error page and the auto-post page that
 * carries the SAML response to the ACS URL. Every value is escaped; every page carries the same
 * security headers.
 */

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/** Escapes text for an HTML element body or a quoted attribute value. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`]/g, (c) => HTML_ESCAPES[c]!);
}

/**
 * Headers for every HTML page. `form-action` is the only navigation a page may start (the
 * auto-post form); scripts run only with the page's nonce; the page can never be framed, so a
 * hostile site cannot click a user through a sign-in.
 */
export function htmlHeaders(options: { nonce: string; formAction?: string }): Record<string, string> {
  const script = `'nonce-${options.nonce}'`;
  const formAction = options.formAction ? cspSource(options.formAction) : "'none'";
  return {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Security-Policy': [
      "default-src 'none'",
      `script-src ${script}`,
      `style-src 'nonce-${options.nonce}'`,
      "img-src 'none'",
      `form-action ${formAction}`,
      "frame-ancestors 'none'",
      "base-uri 'none'",
    ].join('; '),
    'Referrer-Policy': 'no-referrer',
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Cache-Control': 'no-store',
    Pragma: 'no-cache',
  };
}

/**
 * The CSP `form-action` sources for a form posting to `url`: its origin, and any https URL,
 * because browsers apply form-action to the redirects that follow the post too, and Atlassian's
 * ACS redirects on to the user's site. The form itself is ours and fully escaped.
 */
function cspSource(url: string): string {
  return `${new URL(url).origin} https:`;
}

const STYLE = `body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f7f8f9;color:#172b4d}
main{max-width:36rem;margin:12vh auto;padding:2rem;background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(9,30,66,.25)}
h1{font-size:1.4rem;margin:0 0 1rem}code{background:#f1f2f4;padding:.1rem .3rem;border-radius:3px}
.ref{color:#626f86;font-size:.9rem;margin-top:1.5rem}button{font:inherit;padding:.5rem 1rem}
.actions{display:flex;gap:.75rem;flex-wrap:wrap}.action{display:inline-block;padding:.5rem 1rem;border-radius:3px;background:#0c66e4;color:#fff;text-decoration:none}
.action+.action{background:#f1f2f4;color:#172b4d}`;

/** The ways on from an error page: links, so they work without script and under `form-action 'none'`. */
export interface ErrorPageActions {
  /** A fresh login at Atlassian (the site, or start.atlassian.com). */
  tryAgainUrl?: string;
  /** A new login at the provider that asks which account to use (`prompt=select_account`). */
  anotherAccountUrl?: string;
}

function renderActions(actions: ErrorPageActions | undefined): string {
  const links = [
    actions?.tryAgainUrl ? `<a class="action" href="${escapeHtml(actions.tryAgainUrl)}">Try again</a>` : '',
    actions?.anotherAccountUrl ? `<a class="action" href="${escapeHtml(actions.anotherAccountUrl)}">Use another account</a>` : '',
  ].filter(Boolean);
  return links.length ? `\n<p class="actions">${links.join(' ')}</p>` : '';
}

export function renderErrorPage(options: { title: string; message: string; reference: string; nonce: string; actions?: ErrorPageActions }): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(options.title)}</title><style nonce="${options.nonce}">${STYLE}</style></head>
<body><main role="alert">
<h1>${escapeHtml(options.title)}</h1>
<p>${escapeHtml(options.message)}</p>${renderActions(options.actions)}
<p class="ref">Reference: <code id="reference">${escapeHtml(options.reference)}</code>. Give this to your administrator if the problem persists.</p>
</main></body></html>`;
}

/** A page that only tells the user something (the end of a connection test): no form, no script. */
export function renderNoticePage(options: { title: string; message: string; nonce: string }): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(options.title)}</title><style nonce="${options.nonce}">${STYLE}</style></head>
<body><main role="status">
<h1>${escapeHtml(options.title)}</h1>
<p>${escapeHtml(options.message)}</p>
</main></body></html>`;
}

/** Hidden form fields, escaped; fields without a value are left out. */
function hiddenInputs(fields: Record<string, string | undefined>): string {
  return Object.entries(fields)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('\n');
}

/**
 * The page that posts a SAML message to the service provider (SAML bindings §3.5, HTTP-POST).
 * A nonce'd script submits it at once; without JavaScript the user presses the button.
 */
export function renderAutoPostPage(options: {
  action: string;
  fields: Record<string, string | undefined>;
  nonce: string;
}): string {
  const inputs = hiddenInputs(options.fields);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Signing you in…</title><style nonce="${options.nonce}">${STYLE}</style></head>
<body><main>
<form id="saml-post" method="post" action="${escapeHtml(options.action)}">
${inputs}
<noscript><p>JavaScript is off. Press the button to finish signing in.</p></noscript>
<button type="submit">Continue</button>
</form>
</main>
<script nonce="${options.nonce}">document.getElementById('saml-post').submit();</script>
</body></html>`;
}

/**
 * The page of a connection with several providers: the user gives an email address (the
 * provider whose domains hold it is picked) or presses a provider's button. The form sends the
 * SAML request back to the SSO URL in the binding it came in, so nothing is stored meanwhile.
 */
export function renderProviderChoicePage(options: {
  action: string;
  method: 'get' | 'post';
  fields: Record<string, string | undefined>;
  emailField: string;
  providerField: string;
  providers: { id: string; name: string }[];
  nonce: string;
}): string {
  const hidden = hiddenInputs(options.fields);
  const buttons = options.providers
    .map((p) => `<button type="submit" name="${escapeHtml(options.providerField)}" value="${escapeHtml(p.id)}" formnovalidate>${escapeHtml(p.name)}</button>`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Sign in</title><style nonce="${options.nonce}">${STYLE}
label{display:block;margin:.5rem 0}input[type=email]{font:inherit;padding:.4rem;width:100%;box-sizing:border-box}.providers button{margin:.25rem .5rem .25rem 0}</style></head>
<body><main>
<h1>Sign in</h1>
<form id="provider-choice" method="${options.method}" action="${escapeHtml(options.action)}">
${hidden}
<label for="email">Work email address</label>
<input id="email" type="email" name="${escapeHtml(options.emailField)}" autocomplete="email" required autofocus>
<p><button type="submit">Continue</button></p>
<p>Or sign in with:</p>
<p class="providers">
${buttons}
</p>
</form>
</main></body></html>`;
}
