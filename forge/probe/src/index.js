// Throwaway Forge web trigger probe: settles on a real site what no Forge document says about a
// web trigger with `response: { type: dynamic }`: whether Cookie comes in, Set-Cookie (several in
// one response) goes out, a 302 keeps its Location, CSP and the other security headers reach the
// browser unchanged, and how a form POST arrives in `body`. See ../README.md.
//
// Plain JavaScript with no imports, so Forge's default bundler builds it as it is and nothing
// needs compiling. Everything the request carries is untrusted: every echo is HTML-escaped, and
// no cookie value is ever echoed (other sites' cookies are only counted).

const PROBE = 'forge-webtrigger-probe/1';

/** The cookies the probe sets, all in one response. The first is the bridge's binding cookie form. */
export const PROBE_COOKIES = Object.freeze([
  { name: '__Host-probe_host', attributes: 'Path=/; Secure; HttpOnly; SameSite=Lax' },
  { name: 'probe_plain', attributes: 'Path=/; Secure; HttpOnly; SameSite=Lax' },
  // Not HttpOnly, so the page's own script can tell "Set-Cookie dropped" from "Cookie dropped".
  { name: 'probe_script', attributes: 'Path=/; Secure; SameSite=Lax' },
]);

/**
 * The form the probe posts, shaped like a SAML HTTP-POST binding: a base64 value with `+`, `/`
 * and `=` in it, and a RelayState with characters that form encoding must escape.
 */
export const PROBE_FORM_FIELDS = Object.freeze({
  SAMLRequest:
    'PHNhbWxwOkF1dGhuUmVxdWVzdCB4bWxuczpzYW1scD0idXJuOm9hc2lzOm5hbWVzOnRjOlNBTUw6Mi4wOnByb3RvY29sIiBJRD0iX3Byb2JlIiBWZXJzaW9uPSIyLjAiPjwhLS0gIMO/Pz5+IC0tPjwvc2FtbHA6QXV0aG5SZXF1ZXN0Pg==',
  RelayState: 'a b&c=d/é+%?#',
});

/** Header names whose values are never echoed (only their length), with the Cookie header. */
const REDACTED_HEADER = /^(cookie|authorization|proxy-authorization)$|token|secret|auth|signature|session|jwt|forwarded|real-ip|client-ip|connecting-ip/i;

const TOKEN_PATTERN = /^[0-9a-f]{32}$/;
const MAX_ECHO = 2000;

function randomHex(bytes) {
  const out = new Uint8Array(bytes);
  if (typeof globalThis.crypto?.getRandomValues === 'function') {
    globalThis.crypto.getRandomValues(out);
  } else {
    for (let i = 0; i < bytes; i += 1) out[i] = Math.floor(Math.random() * 256);
  }
  return Array.from(out, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function escapeHtml(value) {
  return String(value)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function truncate(value) {
  return value.length > MAX_ECHO ? `${value.slice(0, MAX_ECHO)}… (${value.length} chars in all)` : value;
}

function asList(value) {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]).map((v) => String(v));
}

/** Every value of a header, whatever case its name arrived in. */
function headerValues(headers, name) {
  const wanted = name.toLowerCase();
  const found = [];
  for (const [key, value] of Object.entries(headers && typeof headers === 'object' ? headers : {})) {
    if (key.toLowerCase() === wanted) found.push(...asList(value));
  }
  return found;
}

function queryValue(event, name) {
  const query = event.queryParameters && typeof event.queryParameters === 'object' ? event.queryParameters : {};
  return Object.hasOwn(query, name) ? asList(query[name])[0] : undefined;
}

function shapeOf(value) {
  if (Array.isArray(value)) return value.every((v) => typeof v === 'string') ? 'string[]' : 'array';
  return value === null ? 'null' : typeof value;
}

/** The route: `userPath` without query or fragment, with a leading `/`, without a trailing one. */
function routeOf(event) {
  const raw = typeof event.userPath === 'string' ? event.userPath.split(/[?#]/, 1)[0] : '';
  const path = raw.startsWith('/') ? raw : `/${raw}`;
  return path.length > 1 ? path.replace(/\/+$/, '') : path;
}

/**
 * The trigger's own path (`path` minus `userPath`), so the pages can link to their siblings.
 * Only plain path characters are used; otherwise links fall back to bare routes.
 */
function basePathOf(event) {
  const path = typeof event.path === 'string' ? event.path.split(/[?#]/, 1)[0] : '';
  const userPath = typeof event.userPath === 'string' ? event.userPath.split(/[?#]/, 1)[0] : '';
  let base;
  if (userPath === '' || userPath === '/') base = path.replace(/\/+$/, '');
  else if (path.endsWith(userPath)) base = path.slice(0, path.length - userPath.length).replace(/\/+$/, '');
  const derived = base !== undefined && /^[A-Za-z0-9/_.~-]*$/.test(base);
  return { base: derived ? base : '', derived };
}

function hostOf(event) {
  const host = headerValues(event.headers, 'host')[0];
  return host && /^[A-Za-z0-9.-]+(:\d{1,5})?$/.test(host) ? host : undefined;
}

function redactedHeaders(headers) {
  const out = {};
  for (const [name, value] of Object.entries(headers && typeof headers === 'object' ? headers : {})) {
    const redact = (v) => {
      const text = String(v);
      if (/^cookie$/i.test(name)) return `[redacted: ${text.split(';').filter((p) => p.trim()).length} cookie pair(s)]`;
      return REDACTED_HEADER.test(name) ? `[redacted: ${text.length} chars]` : truncate(text);
    };
    out[name] = Array.isArray(value) ? value.map(redact) : redact(value);
  }
  return out;
}

/** What the platform handed the function, in the shape it came (names, cases, arrays). */
function describeRequest(event, context) {
  const headers = event.headers && typeof event.headers === 'object' ? event.headers : {};
  const query = event.queryParameters && typeof event.queryParameters === 'object' ? event.queryParameters : {};
  const body = event.body;
  return {
    eventKeys: Object.keys(event),
    contextKeys: context && typeof context === 'object' ? Object.keys(context) : [],
    method: event.method,
    path: event.path,
    userPath: event.userPath,
    queryParameters: Object.fromEntries(
      Object.entries(query).map(([name, value]) => [name, Array.isArray(value) ? value.map((v) => truncate(String(v))) : value]),
    ),
    queryParameterShapes: Object.fromEntries(Object.entries(query).map(([name, value]) => [name, shapeOf(value)])),
    headerNames: Object.keys(headers),
    headerShapes: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, shapeOf(value)])),
    headers: redactedHeaders(headers),
    body: { type: shapeOf(body), length: typeof body === 'string' ? body.length : null },
  };
}

function parseCookies(event) {
  const values = headerValues(event.headers, 'cookie');
  const pairs = [];
  for (const value of values) {
    for (const part of value.split(';')) {
      const trimmed = part.trim();
      if (!trimmed) continue;
      const eq = trimmed.indexOf('=');
      pairs.push(eq < 0 ? { name: trimmed, value: '' } : { name: trimmed.slice(0, eq).trim(), value: trimmed.slice(eq + 1).trim() });
    }
  }
  return { headerValues: values.length, pairs };
}

function checkCookies(event) {
  const expect = queryValue(event, 'expect');
  const token = expect && TOKEN_PATTERN.test(expect) ? expect : undefined;
  const { headerValues: count, pairs } = parseCookies(event);
  const own = {};
  for (const { name } of PROBE_COOKIES) {
    const matching = pairs.filter((p) => p.name === name);
    own[name] = {
      seen: matching.length > 0,
      count: matching.length,
      valueMatches: token === undefined ? null : matching.some((p) => p.value === token),
    };
  }
  const ownNames = new Set(PROBE_COOKIES.map((c) => c.name));
  const seen = PROBE_COOKIES.filter((c) => own[c.name].seen).map((c) => c.name);
  const missing = PROBE_COOKIES.filter((c) => !own[c.name].seen).map((c) => c.name);
  let verdict;
  if (token === undefined) {
    verdict = 'No ?expect=<token> in the URL: open this page through the link on /cookies/set, so values can be compared.';
  } else if (missing.length === 0 && PROBE_COOKIES.every((c) => own[c.name].valueMatches)) {
    verdict =
      'WORKS: all cookies came back with the values set. Set-Cookie (several in one response) reaches the browser and Cookie reaches the function, __Host- prefix included.';
  } else if (count === 0) {
    verdict =
      'FAILS: no Cookie header reached the function. Either Set-Cookie was dropped on the way out or Cookie on the way in: see browser.cookiesVisibleToScript (probe_script visible means Set-Cookie worked and Cookie is dropped) and DevTools > Application > Cookies.';
  } else if (seen.length === 0) {
    verdict = 'FAILS: a Cookie header arrived but none of the probe cookies were in it.';
  } else {
    verdict = `PARTLY: came back: ${seen.join(', ') || 'none'}; missing: ${missing.join(', ') || 'none'}; values match: ${PROBE_COOKIES.filter((c) => own[c.name].valueMatches).map((c) => c.name).join(', ') || 'none'}.`;
  }
  return {
    cookieHeader: { present: count > 0, values: count, pairs: pairs.length },
    expectedToken: token !== undefined,
    own,
    otherCookies: pairs.filter((p) => !ownNames.has(p.name)).length,
    verdict,
  };
}

function decodeBase64(text) {
  if (!/^[A-Za-z0-9+/=\s]+$/.test(text)) return undefined;
  try {
    return Buffer.from(text, 'base64').toString('utf8');
  } catch {
    return undefined;
  }
}

function fieldsOf(text) {
  const params = new URLSearchParams(text);
  const fields = {};
  let matches = 0;
  for (const [name, expected] of Object.entries(PROBE_FORM_FIELDS)) {
    const received = params.get(name);
    const ok = received === expected;
    if (ok) matches += 1;
    fields[name] = { present: received !== null, matches: ok, ...(received !== null && !ok ? { received: truncate(received) } : {}) };
  }
  return { fields, allMatch: matches === Object.keys(PROBE_FORM_FIELDS).length };
}

function checkForm(event) {
  const body = event.body;
  const text = typeof body === 'string' ? body : '';
  const raw = fieldsOf(text);
  let decodedAs = 'neither a urlencoded form nor base64 of one';
  let fields = raw.fields;
  if (raw.allMatch) {
    decodedAs = 'raw urlencoded string';
  } else {
    const decoded = decodeBase64(text);
    const viaBase64 = decoded === undefined ? undefined : fieldsOf(decoded);
    if (viaBase64?.allMatch) {
      decodedAs = 'base64 of the urlencoded string';
      fields = viaBase64.fields;
    }
  }
  return {
    method: event.method,
    contentType: headerValues(event.headers, 'content-type'),
    bodyType: shapeOf(body),
    bodyLength: typeof body === 'string' ? body.length : null,
    ...(Object.hasOwn(event, 'isBase64Encoded') ? { isBase64Encoded: event.isBase64Encoded } : {}),
    bodyStart: truncate(text.slice(0, 600)),
    decodedAs,
    fields,
    verdict:
      decodedAs === 'raw urlencoded string'
        ? 'WORKS: the form arrives as the raw application/x-www-form-urlencoded string; URLSearchParams(body) reads it.'
        : decodedAs === 'base64 of the urlencoded string'
          ? 'DIFFERENT: the body arrives base64-encoded; the adapter must decode it before parsing.'
          : 'UNEXPECTED: see bodyType, bodyStart and contentType.',
  };
}

/** The headers every probe response carries; the page's script compares them with what it got. */
function probeHeaders(nonce, contentType) {
  return {
    'Content-Type': [contentType],
    'Content-Security-Policy': [
      [
        "default-src 'none'",
        `script-src 'nonce-${nonce}'`,
        `style-src 'nonce-${nonce}'`,
        "connect-src 'self'",
        "img-src 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
      ].join('; '),
    ],
    'X-Frame-Options': ['DENY'],
    'Referrer-Policy': ['no-referrer'],
    'Cache-Control': ['no-store'],
    'Strict-Transport-Security': ['max-age=31536000'],
    'X-Content-Type-Options': ['nosniff'],
    'X-Probe-Marker': [PROBE],
    'X-Probe-Multi': ['one', 'two'],
  };
}

// The page's own checks, run in the browser. Static text: nothing from the request is in it; it
// reads the server's report from the <pre> (as text) and data attributes.
const BROWSER_SCRIPT = `
(async () => {
  const pre = document.getElementById('report');
  const status = document.getElementById('script-status');
  const report = JSON.parse(pre.textContent);
  const base = document.body.dataset.base || '';
  const browser = { scriptRan: true, unnoncedInlineScriptRan: window.__probeUnnonced === true, cspViolations: [], errors: [] };
  report.browser = browser;
  const render = () => { pre.textContent = JSON.stringify(report, null, 2); };
  status.textContent = 'Scripts ran. The browser-side checks are under "browser" in the report below; wait for "done": true.';
  const cookieNames = ['__Host-probe_host', 'probe_plain', 'probe_script'];
  const visible = () => {
    const jar = {};
    for (const part of document.cookie.split(';')) {
      const eq = part.indexOf('=');
      const name = (eq < 0 ? part : part.slice(0, eq)).trim();
      if (cookieNames.includes(name)) jar[name] = eq < 0 ? '' : part.slice(eq + 1).trim();
    }
    const expect = document.body.dataset.expect;
    return Object.fromEntries(cookieNames.map((n) => [n, { visible: n in jar, valueMatches: expect && n in jar ? jar[n] === expect : null }]));
  };
  const get = async (path, init) => {
    const response = await fetch(base + path, Object.assign({ cache: 'no-store', credentials: 'same-origin' }, init || {}));
    const text = await response.text();
    let json = null;
    try { json = JSON.parse(text); } catch (e) { /* not JSON */ }
    return { response, json };
  };
  try {
    browser.cookiesVisibleToScript = visible();
    browser.cookiesVisibleToScriptNote = 'HttpOnly cookies (__Host-probe_host, probe_plain) must be invisible; probe_script visible means the Set-Cookie values reached the browser.';
    if (document.body.dataset.auto === 'all') {
      const checks = {};
      browser.checks = checks;
      try {
        const { response, json } = await get('/headers?format=json');
        const sent = (json && json.server && json.server.response && json.server.response.headers) || {};
        const headers = {};
        for (const [name, values] of Object.entries(sent)) {
          if (name.toLowerCase() === 'set-cookie') continue;
          const expected = values.join(', ');
          const received = response.headers.get(name);
          headers[name] = { same: received === expected, sent: expected, received };
        }
        checks.responseHeaders = { status: response.status, headers };
      } catch (e) { browser.errors.push('responseHeaders: ' + e); }
      try {
        const set = await get('/cookies/set?format=json');
        const token = set.json && set.json.server && set.json.server.cookies && set.json.server.cookies.token;
        document.body.dataset.expect = token || '';
        const check = await get('/cookies/check?format=json&expect=' + encodeURIComponent(token || ''));
        checks.cookies = {
          setStatus: set.response.status,
          serverSaw: check.json && check.json.server && check.json.server.cookies,
          visibleToScript: visible(),
        };
      } catch (e) { browser.errors.push('cookies: ' + e); }
      const redirects = {};
      for (const [label, path] of [['absolute', '/redirect?format=json'], ['relative', '/redirect/relative?format=json']]) {
        try {
          const { response, json } = await get(path);
          const landed = json && json.server;
          redirects[label] = {
            redirected: response.redirected,
            finalStatus: response.status,
            landedRoute: landed ? landed.route : null,
            kept: response.redirected && !!landed && landed.route === '/redirect/landed',
          };
        } catch (e) { browser.errors.push('redirect ' + label + ': ' + e); }
      }
      checks.redirects = redirects;
      try {
        const form = document.getElementById('probe-form');
        const { response, json } = await get('/form?format=json', { method: 'POST', body: new URLSearchParams(new FormData(form)) });
        checks.formPost = { status: response.status, form: json && json.server && json.server.form };
      } catch (e) { browser.errors.push('formPost: ' + e); }
      const changed = Object.entries((checks.responseHeaders && checks.responseHeaders.headers) || {}).filter(([, v]) => !v.same).map(([n]) => n);
      const serverCookies = checks.cookies && checks.cookies.serverSaw;
      report.summary = {
        cookieInAndSetCookieOut: serverCookies ? serverCookies.verdict : 'not measured (see errors)',
        locationKeptOn302: redirects.absolute && redirects.relative ? (redirects.absolute.kept && redirects.relative.kept ? 'WORKS' : 'FAILS: see browser.checks.redirects') : 'not measured (see errors)',
        responseHeadersUnchanged: checks.responseHeaders ? (changed.length === 0 ? 'WORKS: every header arrived as sent' : 'CHANGED: ' + changed.join(', ')) : 'not measured (see errors)',
        cspEnforcedAsSent: browser.unnoncedInlineScriptRan ? 'NO: an inline script without the nonce ran' : 'YES: the inline script without the nonce was blocked',
        formPostBody: checks.formPost && checks.formPost.form ? checks.formPost.form.verdict : 'not measured (see errors)',
      };
    }
  } catch (e) {
    browser.errors.push(String(e));
  }
  await new Promise((resolve) => setTimeout(resolve, 100));
  browser.cspViolations = (window.__probeViolations || []).slice();
  browser.done = true;
  render();
  const copy = document.getElementById('copy');
  copy.hidden = false;
  copy.addEventListener('click', async () => {
    try { await navigator.clipboard.writeText(pre.textContent); copy.textContent = 'Copied'; }
    catch (e) { const range = document.createRange(); range.selectNodeContents(pre); getSelection().removeAllRanges(); getSelection().addRange(range); copy.textContent = 'Selected: press Ctrl/Cmd+C'; }
  });
})();
`;

const HEAD_SCRIPT =
  "window.__probeViolations = []; document.addEventListener('securitypolicyviolation', (e) => { window.__probeViolations.push(e.violatedDirective || e.effectiveDirective); });";

const STYLE = `
body { font: 15px/1.45 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #172b4d; }
pre { background: #f4f5f7; padding: 1rem; overflow: auto; white-space: pre-wrap; word-break: break-word; }
code { background: #f4f5f7; padding: 0 .2rem; }
nav a { margin-right: 1rem; }
.note { background: #fffae6; padding: .5rem 1rem; }
`;

function page({ title, nonce, base, expect, auto, intro, lookFor, report }) {
  const link = (route, label) => `<a href="${escapeHtml(`${base}${route}`)}">${escapeHtml(label)}</a>`;
  const attrs = [`data-base="${escapeHtml(base)}"`];
  if (expect) attrs.push(`data-expect="${escapeHtml(expect)}"`);
  if (auto) attrs.push(`data-auto="${escapeHtml(auto)}"`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Forge web trigger probe: ${escapeHtml(title)}</title>
<style nonce="${nonce}">${STYLE}</style>
<script nonce="${nonce}">${HEAD_SCRIPT}</script>
</head>
<body ${attrs.join(' ')}>
<h1>Forge web trigger probe: ${escapeHtml(title)}</h1>
<nav>${link('/', 'Start (all checks)')}${link('/cookies/set', 'Set cookies')}${link('/redirect', 'Redirect')}${link('/form', 'Form POST')}${link('/query?multi=one&multi=two&empty=&space=a+b%20c&hostile=%3Cscript%3Ealert(1)%3C%2Fscript%3E', 'Query shapes')}${link('/cookies/clear', 'Clear cookies')}</nav>
${intro}
<h2>What to look for</h2>
<ul>${lookFor.map((item) => `<li>${item}</li>`).join('')}</ul>
<h2>Report</h2>
<p id="script-status" class="note">Scripts did not run on this page. The probe allows only scripts carrying this response's nonce, so if this line stays, the platform replaced or changed the Content-Security-Policy header (or scripts are off): compare the response headers in DevTools &gt; Network with <code>server.response.headers</code> below.</p>
<p><button id="copy" type="button" hidden>Copy report</button></p>
<pre id="report">${escapeHtml(JSON.stringify(report, null, 2))}</pre>
<script>window.__probeUnnonced = true;</script>
<script nonce="${nonce}">${BROWSER_SCRIPT}</script>
</body>
</html>
`;
}

function formHtml(base) {
  const inputs = Object.entries(PROBE_FORM_FIELDS)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('');
  const shown = Object.entries(PROBE_FORM_FIELDS)
    .map(([name, value]) => `<dt><code>${escapeHtml(name)}</code></dt><dd><code>${escapeHtml(value)}</code></dd>`)
    .join('');
  return `<form id="probe-form" method="post" action="${escapeHtml(`${base}/form`)}" enctype="application/x-www-form-urlencoded">${inputs}
<dl>${shown}</dl>
<button type="submit">Submit the form (a real browser form POST)</button></form>`;
}

const COMMON_LOOK_FOR = [
  '<code>server.request</code> is what the function received: <code>eventKeys</code>, the exact <code>path</code> and <code>userPath</code>, <code>headerNames</code> in the case they arrived, <code>headerShapes</code> and <code>queryParameterShapes</code> (<code>string[]</code> means one array per name).',
  '<code>browser.unnoncedInlineScriptRan</code> should be <code>false</code> and <code>browser.cspViolations</code> should name <code>script-src-elem</code> (or <code>script-src</code>): the CSP the function sent is enforced.',
];

function routePage(route, event, ctx) {
  const { base, nonce } = ctx;
  switch (route) {
    case '/':
      return {
        title: 'start',
        auto: 'all',
        intro: `<p>This page runs every check from the browser (same-origin <code>fetch</code>): the response headers as the browser got them, Set-Cookie then Cookie, both redirects, and a form POST. When <code>"done": true</code> appears, copy the report. The links above repeat each check as a top-level navigation, as a real login does.</p>${formHtml(base)}`,
        lookFor: [
          '<code>summary</code> gives one line per question. <code>WORKS</code> everywhere means the bridge can rely on the web trigger as it is.',
          '<code>browser.checks.responseHeaders</code>: every header <code>same: true</code>. A <code>received</code> of <code>null</code> means the platform dropped it; a different value means it rewrote or added to it. <code>X-Probe-Multi</code> was sent as two values and should arrive as <code>one, two</code>.',
          '<code>browser.checks.cookies.serverSaw.own</code>: each cookie <code>seen: true</code> and <code>valueMatches: true</code>.',
          '<code>browser.checks.redirects</code>: <code>kept: true</code> for both the absolute and the path-only <code>Location</code>.',
          '<code>browser.checks.formPost.form.decodedAs</code>: <code>raw urlencoded string</code> is what the bridge expects.',
          ...COMMON_LOOK_FOR,
        ],
      };
    case '/headers':
      return {
        title: 'response headers',
        intro: '<p>This response carries the security headers listed in <code>server.response.headers</code>. Compare them with DevTools &gt; Network &gt; this request &gt; Response Headers, or run <code>curl -si</code> on this URL.</p>',
        lookFor: ['Every header of <code>server.response.headers</code> in the browser, with the same value, and no second <code>Content-Security-Policy</code> added by the platform.', ...COMMON_LOOK_FOR],
      };
    case '/cookies/set': {
      const checkRoute = `/cookies/check?expect=${ctx.token}`;
      return {
        title: 'cookies set',
        expect: ctx.token,
        intro: `<p>This response sent ${PROBE_COOKIES.length} <code>Set-Cookie</code> values in one response (see <code>server.response.headers</code>). Now open <a id="check-link" href="${escapeHtml(`${base}${checkRoute}`)}">the check page</a>: a second request, which shows which cookies came back.</p>`,
        lookFor: [
          'DevTools &gt; Application &gt; Cookies for this host should list all three cookies with their attributes (Secure, HttpOnly, SameSite=Lax, Path=/).',
          '<code>browser.cookiesVisibleToScript.probe_script.visible</code> should be <code>true</code> (it is the only one without HttpOnly) and <code>valueMatches: true</code>.',
          ...COMMON_LOOK_FOR,
        ],
      };
    }
    case '/cookies/check':
      return {
        title: 'cookies check',
        expect: ctx.cookies.expectedToken ? queryValue(event, 'expect') : undefined,
        intro: `<p class="note">${escapeHtml(ctx.cookies.verdict)}</p><p>Only the probe's own cookie names are reported; any other cookie is only counted (<code>otherCookies</code>), never named or echoed.</p>`,
        lookFor: [
          '<code>server.cookies.own</code>: every cookie <code>seen: true</code>, <code>count: 1</code>, <code>valueMatches: true</code>. <code>__Host-probe_host</code> is the form the bridge\'s binding cookie uses.',
          'If nothing came back but <code>browser.cookiesVisibleToScript.probe_script.visible</code> is <code>true</code>, the browser has the cookies and the platform drops the Cookie header on the way in.',
          '<code>server.cookies.cookieHeader.values</code> greater than 1 means the Cookie header arrives split into several values.',
          ...COMMON_LOOK_FOR,
        ],
      };
    case '/cookies/clear':
      return {
        title: 'cookies cleared',
        intro: '<p>This response expired the probe cookies (<code>Max-Age=0</code>), so the next run starts clean.</p>',
        lookFor: ['DevTools &gt; Application &gt; Cookies no longer lists the probe cookies.', ...COMMON_LOOK_FOR],
      };
    case '/redirect':
    case '/redirect/relative':
    case '/redirect/external':
      return {
        title: 'redirect not followed',
        intro: '<p class="note">You are reading the body of a 302 response: the browser did not follow it, so the platform dropped the <code>Location</code> header or changed the status. Check DevTools &gt; Network.</p>',
        lookFor: ['<code>server.response</code> shows the status and <code>Location</code> the function sent.', ...COMMON_LOOK_FOR],
      };
    case '/redirect/landed':
      return {
        title: 'redirect landed',
        intro: `<p class="note">${escapeHtml(ctx.redirect.verdict)}</p><p>Also try ${`<a href="${escapeHtml(`${base}/redirect/relative`)}">a path-only Location</a>`} and ${`<a href="${escapeHtml(`${base}/redirect/external`)}">a Location on another site</a>`} (it should land on example.com with <code>?forge-probe=redirect-kept</code>, like a redirect to the OpenID provider).</p>`,
        lookFor: ['<code>server.redirect.arrivedVia</code> names the redirect that brought you here.', ...COMMON_LOOK_FOR],
      };
    case '/form':
      if (ctx.form) {
        return {
          title: 'form POST received',
          intro: `<p class="note">${escapeHtml(ctx.form.verdict)}</p>`,
          lookFor: [
            '<code>server.form.decodedAs</code>: <code>raw urlencoded string</code> is what the bridge expects; <code>base64 of the urlencoded string</code> means the adapter must decode first.',
            '<code>server.form.fields</code>: both fields <code>matches: true</code> (the <code>+</code>, <code>/</code>, <code>=</code> of the base64 value and the escaped characters of RelayState survive).',
            '<code>server.form.contentType</code> and <code>server.request.headers</code> show what a browser form POST carries (Origin, Content-Type with or without charset).',
            ...COMMON_LOOK_FOR,
          ],
        };
      }
      return {
        title: 'form POST',
        intro: `<p>Submit the form: the browser posts it as <code>application/x-www-form-urlencoded</code>, as a SAML HTTP-POST binding does.</p>${formHtml(base)}`,
        lookFor: ['After submitting, <code>server.form</code> shows how the body arrived.', ...COMMON_LOOK_FOR],
      };
    default:
      return {
        title: route === '/query' ? 'query shapes' : 'any other path',
        intro: '<p>This page only reports the request. Add query parameters (repeated names, empty values, encoded characters) or extra path segments to the URL to see how they arrive.</p>',
        lookFor: [
          '<code>server.request.queryParameters</code>: <code>multi</code> as two values, <code>empty</code> as an empty string, <code>space</code> decoded (<code>a b c</code>) or not.',
          'The <code>hostile</code> value shows as text, never as markup: everything echoed is escaped.',
          ...COMMON_LOOK_FOR,
        ],
      };
  }
}

function redirectTarget(route, ctx, json) {
  const suffix = json ? '&format=json' : '';
  if (route === '/redirect/external') return 'https://example.com/?forge-probe=redirect-kept';
  if (route === '/redirect/relative') return `${ctx.base}/redirect/landed?via=relative${suffix}`;
  // An absolute URL, as the bridge sends to the OpenID provider and to Guard's ACS.
  return ctx.host ? `https://${ctx.host}${ctx.base}/redirect/landed?via=absolute${suffix}` : `${ctx.base}/redirect/landed?via=absolute-without-host${suffix}`;
}

/** The web trigger function. */
export async function probe(event, context) {
  try {
    const request = event && typeof event === 'object' ? event : {};
    const route = routeOf(request);
    const method = typeof request.method === 'string' ? request.method.toUpperCase() : '';
    const json = queryValue(request, 'format') === 'json';
    const nonce = randomHex(16);
    const { base, derived } = basePathOf(request);
    const ctx = { base, nonce, host: hostOf(request) };
    const headers = probeHeaders(nonce, json ? 'application/json; charset=utf-8' : 'text/html; charset=utf-8');
    const server = { route, basePath: base, basePathDerived: derived, request: describeRequest(request, context) };
    let statusCode = 200;

    if (route === '/cookies/set') {
      ctx.token = randomHex(16);
      headers['Set-Cookie'] = PROBE_COOKIES.map((c) => `${c.name}=${ctx.token}; ${c.attributes}`);
      server.cookies = { token: ctx.token, set: PROBE_COOKIES.map((c) => ({ name: c.name, attributes: c.attributes })), inOneResponse: PROBE_COOKIES.length };
    } else if (route === '/cookies/check') {
      ctx.cookies = checkCookies(request);
      server.cookies = ctx.cookies;
    } else if (route === '/cookies/clear') {
      headers['Set-Cookie'] = PROBE_COOKIES.map((c) => `${c.name}=; ${c.attributes}; Max-Age=0`);
    } else if (route === '/redirect' || route === '/redirect/relative' || route === '/redirect/external') {
      statusCode = 302;
      headers.Location = [redirectTarget(route, ctx, json)];
    } else if (route === '/redirect/landed') {
      const via = queryValue(request, 'via');
      const known = ['absolute', 'relative', 'absolute-without-host'].includes(via) ? via : null;
      ctx.redirect = {
        arrivedVia: known,
        verdict: known
          ? `WORKS: the 302 with a ${known} Location was followed to this page.`
          : 'Opened directly: start from the Redirect link to test a 302.',
      };
      server.redirect = ctx.redirect;
    } else if (route === '/form' && method === 'POST') {
      ctx.form = checkForm(request);
      server.form = ctx.form;
    } else if (!['/', '/headers', '/form', '/query'].includes(route)) {
      statusCode = 404;
    }

    server.response = { statusCode, headers };
    const report = { probe: PROBE, server };
    if (json) return { statusCode, headers, body: JSON.stringify(report, null, 2) };
    const view = routePage(route, request, ctx);
    return { statusCode, headers, body: page({ ...view, nonce, base, report: { ...report, browser: 'scripts did not run (see the line above)' } }) };
  } catch (error) {
    return {
      statusCode: 500,
      headers: { 'Content-Type': ['text/plain; charset=utf-8'], 'Cache-Control': ['no-store'] },
      body: `The probe failed: ${error instanceof Error ? error.name : typeof error}`,
    };
  }
}
