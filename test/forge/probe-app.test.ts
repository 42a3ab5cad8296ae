import { beforeAll, describe, expect, it } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import { validate } from '@forge/manifest';

// The throwaway probe app of forge/probe (plain JavaScript, its own manifest): the manifest
// passes the Forge CLI validators, and its web trigger answers as forge/probe/README.md says.

const MANIFEST = fileURLToPath(new URL('../../forge/probe/manifest.yml', import.meta.url));
const ENTRY = fileURLToPath(new URL('../../forge/probe/src/index.js', import.meta.url));

interface ProbeEvent {
  method: string;
  headers: Record<string, string[]>;
  body: string;
  queryParameters: Record<string, string[]>;
  path: string;
  userPath: string;
}

interface ProbeResponse {
  statusCode: number;
  headers: Record<string, string[]>;
  body: string;
}

interface ProbeModule {
  probe: (event: ProbeEvent, context?: unknown) => Promise<ProbeResponse>;
  PROBE_FORM_FIELDS: Readonly<Record<string, string>>;
}

interface OwnCookie {
  seen: boolean;
  count: number;
  valueMatches: boolean | null;
}

interface ServerReport {
  route: string;
  basePath: string;
  basePathDerived: boolean;
  request: {
    eventKeys: string[];
    headerNames: string[];
    headerShapes: Record<string, string>;
    headers: Record<string, string[] | string>;
    queryParameters: Record<string, string[]>;
    body: { type: string; length: number | null };
  };
  response: { statusCode: number; headers: Record<string, string[]> };
  cookies?: {
    token?: string;
    cookieHeader?: { present: boolean; values: number; pairs: number };
    expectedToken?: boolean;
    own?: Record<string, OwnCookie>;
    otherCookies?: number;
  };
  redirect?: { arrivedVia: string | null };
  form?: {
    bodyType: string;
    bodyLength: number;
    contentType: string[];
    decodedAs: string;
    fields: Record<string, { present: boolean; matches: boolean; received?: string }>;
  };
}

const HOST = '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0.webtrigger.atlassian.app';
const TRIGGER_PATH = '/public/3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f';

let probe: ProbeModule['probe'];
let formFields: ProbeModule['PROBE_FORM_FIELDS'];

beforeAll(async () => {
  // A path only known at run time, so TypeScript leaves the plain-JS module alone.
  const loaded = (await import(ENTRY)) as ProbeModule;
  probe = loaded.probe;
  formFields = loaded.PROBE_FORM_FIELDS;
});

function event(userPath: string, overrides: Partial<ProbeEvent> = {}): ProbeEvent {
  return {
    method: 'GET',
    headers: { Host: [HOST], 'User-Agent': ['jest'], Accept: ['text/html'] },
    body: '',
    queryParameters: {},
    path: `${TRIGGER_PATH}${userPath}`,
    userPath,
    ...overrides,
  };
}

function jsonEvent(userPath: string, overrides: Partial<ProbeEvent> = {}): ProbeEvent {
  const base = event(userPath, overrides);
  return { ...base, queryParameters: { ...base.queryParameters, format: ['json'] } };
}

function serverReport(response: ProbeResponse): ServerReport {
  expect(response.headers['Content-Type']).toEqual(['application/json; charset=utf-8']);
  return (JSON.parse(response.body) as { server: ServerReport }).server;
}

/** The report as a browser shows it: the <pre> text, unescaped. */
function pageReport(html: string): ServerReport {
  const match = /<pre id="report">([\s\S]*?)<\/pre>/.exec(html);
  expect(match).not.toBeNull();
  const text = match![1]!
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
  return (JSON.parse(text) as { server: ServerReport }).server;
}

/** What Forge accepts from a dynamic web trigger: anything else becomes a 500. */
function expectWebTriggerShape(response: ProbeResponse): void {
  expect(Number.isInteger(response.statusCode)).toBe(true);
  expect(typeof response.body).toBe('string');
  for (const values of Object.values(response.headers)) {
    expect(Array.isArray(values)).toBe(true);
    for (const value of values) expect(typeof value).toBe('string');
  }
}

function cookieHeader(...pairs: string[]): Record<string, string[]> {
  return { Host: [HOST], Cookie: [pairs.join('; ')] };
}

describe('forge/probe/manifest.yml', () => {
  it('passes the Forge CLI validators with no errors and no warnings', async () => {
    const result = await validate(false, MANIFEST);
    const problems = (result.errors ?? []).map(({ level, message, line }) => ({ level, message, line }));
    expect(problems).toEqual([]);
    expect(result.success).toBe(true);
  });
});

describe('the probe web trigger', () => {
  it('sets its three cookies in one response, the first in the binding cookie form, and links the check to their value', async () => {
    const response = await probe(event('/cookies/set'), { installContext: 'ari:cloud:jira::site/1' });
    expectWebTriggerShape(response);
    expect(response.statusCode).toBe(200);
    const setCookie = response.headers['Set-Cookie']!;
    expect(setCookie).toHaveLength(3);
    const token = /^__Host-probe_host=([0-9a-f]{32}); /.exec(setCookie[0]!)?.[1];
    expect(token).toBeDefined();
    expect(setCookie).toEqual([
      `__Host-probe_host=${token}; Path=/; Secure; HttpOnly; SameSite=Lax`,
      `probe_plain=${token}; Path=/; Secure; HttpOnly; SameSite=Lax`,
      `probe_script=${token}; Path=/; Secure; SameSite=Lax`,
    ]);
    expect(setCookie.join('\n')).not.toMatch(/Domain=/i);
    expect(response.body).toContain(`href="${TRIGGER_PATH}/cookies/check?expect=${token}"`);

    const report = pageReport(response.body);
    expect(report.cookies?.token).toBe(token);
    expect(report.response.headers['Set-Cookie']).toEqual(setCookie);
    expect(report.basePath).toBe(TRIGGER_PATH);
    expect(report.basePathDerived).toBe(true);
  });

  it('reports on the follow-up request which of its cookies came back and whether the values match, naming no other cookie', async () => {
    const set = await probe(jsonEvent('/cookies/set'));
    const token = serverReport(set).cookies!.token!;
    const check = await probe(
      jsonEvent('/cookies/check', {
        headers: {
          Host: [HOST],
          // Two Cookie values, as some proxies split them; another site's cookie in between.
          cookie: [`__Host-probe_host=${token}; atlassian.xsrf.token=OTHER-SITE-SECRET`, `probe_plain=${token}; probe_script=${token}`],
        },
        queryParameters: { expect: [token] },
      }),
    );
    expectWebTriggerShape(check);
    const report = serverReport(check);
    expect(report.cookies).toMatchObject({
      cookieHeader: { present: true, values: 2, pairs: 4 },
      expectedToken: true,
      own: {
        '__Host-probe_host': { seen: true, count: 1, valueMatches: true },
        probe_plain: { seen: true, count: 1, valueMatches: true },
        probe_script: { seen: true, count: 1, valueMatches: true },
      },
      otherCookies: 1,
    });
    expect(check.body).not.toContain('OTHER-SITE-SECRET');
    expect(check.body).not.toContain('atlassian.xsrf.token');
    expect(check.body).not.toContain(`=${token}`);
    expect(report.request.headers.cookie).toEqual(['[redacted: 2 cookie pair(s)]', '[redacted: 2 cookie pair(s)]']);
  });

  it('tells a cookie that came back with another value, and a missing one, apart', async () => {
    const token = 'a'.repeat(32);
    const check = await probe(event('/cookies/check', { headers: cookieHeader(`__Host-probe_host=${'b'.repeat(32)}`), queryParameters: { expect: [token] } }));
    const report = pageReport(check.body);
    expect(report.cookies?.own).toEqual({
      '__Host-probe_host': { seen: true, count: 1, valueMatches: false },
      probe_plain: { seen: false, count: 0, valueMatches: false },
      probe_script: { seen: false, count: 0, valueMatches: false },
    });
    expect(check.body).not.toContain('b'.repeat(32));
    expect(check.body).toContain('PARTLY');
  });

  it('reports no Cookie header at all as a failure to investigate, not as a pass', async () => {
    const check = await probe(jsonEvent('/cookies/check', { queryParameters: { expect: ['c'.repeat(32)] } }));
    const report = serverReport(check);
    expect(report.cookies?.cookieHeader).toEqual({ present: false, values: 0, pairs: 0 });
    expect(check.body).toContain('FAILS: no Cookie header reached the function');
  });

  it('expires its own cookies on /cookies/clear', async () => {
    const response = await probe(event('/cookies/clear'));
    expect(response.headers['Set-Cookie']).toEqual([
      '__Host-probe_host=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0',
      'probe_plain=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0',
      'probe_script=; Path=/; Secure; SameSite=Lax; Max-Age=0',
    ]);
  });

  it('answers the redirect routes with a 302 and a Location: absolute on the trigger host, path-only, and on another site', async () => {
    const absolute = await probe(event('/redirect'));
    expectWebTriggerShape(absolute);
    expect(absolute.statusCode).toBe(302);
    expect(absolute.headers.Location).toEqual([`https://${HOST}${TRIGGER_PATH}/redirect/landed?via=absolute`]);
    expect(absolute.body).toContain('redirect not followed');

    const relative = await probe(jsonEvent('/redirect/relative'));
    expect(relative.statusCode).toBe(302);
    expect(relative.headers.Location).toEqual([`${TRIGGER_PATH}/redirect/landed?via=relative&format=json`]);

    const external = await probe(event('/redirect/external'));
    expect(external.headers.Location).toEqual(['https://example.com/?forge-probe=redirect-kept']);

    const landed = serverReport(await probe(jsonEvent('/redirect/landed', { queryParameters: { via: ['relative'] } })));
    expect(landed.route).toBe('/redirect/landed');
    expect(landed.redirect?.arrivedVia).toBe('relative');
  });

  it('does not build an absolute Location from a Host header that is not a host name', async () => {
    const response = await probe(event('/redirect', { headers: { Host: ['evil.example/"><x'] } }));
    expect(response.headers.Location).toEqual([`${TRIGGER_PATH}/redirect/landed?via=absolute-without-host`]);
  });

  it('reports a form POST that arrives as the raw urlencoded string, field by field', async () => {
    const body = new URLSearchParams(formFields).toString();
    expect(body).toContain('%2B'); // the base64 value's `+`, which form encoding must escape
    const response = await probe(
      jsonEvent('/form', {
        method: 'POST',
        headers: { Host: [HOST], 'Content-Type': ['application/x-www-form-urlencoded'] },
        body,
      }),
    );
    expectWebTriggerShape(response);
    const report = serverReport(response);
    expect(report.form).toMatchObject({
      bodyType: 'string',
      bodyLength: body.length,
      contentType: ['application/x-www-form-urlencoded'],
      decodedAs: 'raw urlencoded string',
      fields: { SAMLRequest: { present: true, matches: true }, RelayState: { present: true, matches: true } },
    });
  });

  it('recognises a form body that arrives base64-encoded, and one that arrives mangled', async () => {
    const raw = new URLSearchParams(formFields).toString();
    const encoded = serverReport(
      await probe(jsonEvent('/form', { method: 'POST', body: Buffer.from(raw).toString('base64') })),
    );
    expect(encoded.form?.decodedAs).toBe('base64 of the urlencoded string');
    expect(encoded.form?.fields.RelayState).toEqual({ present: true, matches: true });

    // A `+` turned into a space on the way: the probe says which field broke and how.
    const mangled = serverReport(await probe(jsonEvent('/form', { method: 'POST', body: raw.replace(/%2B/g, '+') })));
    expect(mangled.form?.decodedAs).toBe('neither a urlencoded form nor base64 of one');
    expect(mangled.form?.fields.SAMLRequest?.matches).toBe(false);
    expect(mangled.form?.fields.SAMLRequest?.received).toContain(' ');
  });

  it('serves the form page for GET /form, posting to the trigger path', async () => {
    const response = await probe(event('/form'));
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain(`<form id="probe-form" method="post" action="${TRIGGER_PATH}/form"`);
    expect(response.body).toContain('name="SAMLRequest"');
  });

  it('sends the security headers on every page, with a nonce that the page\'s own scripts carry', async () => {
    const response = await probe(event('/'));
    const csp = response.headers['Content-Security-Policy']![0]!;
    const nonce = /'nonce-([0-9a-f]{32})'/.exec(csp)?.[1];
    expect(nonce).toBeDefined();
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(response.headers).toMatchObject({
      'Content-Type': ['text/html; charset=utf-8'],
      'X-Frame-Options': ['DENY'],
      'Referrer-Policy': ['no-referrer'],
      'Cache-Control': ['no-store'],
      'Strict-Transport-Security': ['max-age=31536000'],
      'X-Probe-Multi': ['one', 'two'],
    });
    // Two scripts carry the nonce; the third, without it, is the CSP check and must be blocked.
    expect(response.body.match(/<script nonce="([0-9a-f]{32})">/g)).toEqual([`<script nonce="${nonce}">`, `<script nonce="${nonce}">`]);
    expect(response.body).toContain('<script>window.__probeUnnonced = true;</script>');
    expect(response.body).toContain('data-auto="all"');
    const other = await probe(event('/'));
    expect(other.headers['Content-Security-Policy']![0]).not.toContain(nonce);
  });

  it('reports the request as it came: path, userPath, query and header shapes, header name case', async () => {
    const report = pageReport(
      (
        await probe(
          event('/query', {
            headers: { Host: [HOST], 'X-Probe-Multi': ['one', 'two'], authorization: ['Bearer abc.def'] },
            queryParameters: { multi: ['one', 'two'], empty: [''] },
          }),
        )
      ).body,
    );
    expect(report.route).toBe('/query');
    expect(report.request.eventKeys).toEqual(['method', 'headers', 'body', 'queryParameters', 'path', 'userPath']);
    expect(report.request.headerNames).toEqual(['Host', 'X-Probe-Multi', 'authorization']);
    expect(report.request.headerShapes['X-Probe-Multi']).toBe('string[]');
    expect(report.request.headers['X-Probe-Multi']).toEqual(['one', 'two']);
    expect(report.request.headers.authorization).toEqual(['[redacted: 14 chars]']);
    expect(report.request.queryParameters).toEqual({ multi: ['one', 'two'], empty: [''] });
  });

  it('escapes a hostile query value, header and path in the HTML it echoes', async () => {
    const hostile = '<script>alert(1)</script>';
    const response = await probe(
      event(`/x"><img src=x onerror=alert(2)>`, {
        headers: { Host: [HOST], 'User-Agent': [`"><svg onload=alert(3)>`] },
        queryParameters: { hostile: [hostile], "'q'": ['<b>'] },
      }),
    );
    expect(response.statusCode).toBe(404);
    expect(response.body).not.toContain(hostile);
    expect(response.body).not.toContain('<img');
    expect(response.body).not.toContain('<svg');
    expect(response.body).not.toContain('<b>');
    expect(response.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    // The only script elements are the page's own three.
    expect(response.body.match(/<script/g)).toHaveLength(3);
    const report = pageReport(response.body);
    expect(report.request.queryParameters.hostile).toEqual([hostile]);
  });

  it('does not take a base path for its links from a path with markup in it', async () => {
    const response = await probe(event('/query', { path: '/public/a"b<c/query' }));
    const report = pageReport(response.body);
    expect(report.basePath).toBe('');
    expect(report.basePathDerived).toBe(false);
    expect(response.body).not.toContain('a"b<c');
    expect(response.body).toContain('href="/cookies/set"');
  });

  it('answers in the web trigger shape even for an empty event', async () => {
    const response = await probe({} as ProbeEvent);
    expectWebTriggerShape(response);
    expect(response.statusCode).toBe(200);
  });
});
