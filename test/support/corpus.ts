import { expect } from '@jest/globals';
import { storageKeys } from '../../src/core/storage-keys.js';
import type { Harness } from './login-harness.js';
import { expectRefusal, mark, ssoUrl, type Since } from './refusals.js';
import { Page, UserAgent } from './user-agent.js';

/**
 * Helpers for the adversarial corpus (test/security): requests sent as a hostile client would
 * send them, and the full expectation of a refusal at the SSO URL.
 */

/** Login transactions in the standalone store (live or expired). */
export function loginKeyCount(harness: Harness): number {
  return harness.app.store.countKeys(storageKeys.login(''));
}

/** One request with no browser behaviour at all; the answer as a Page (no redirect followed). */
export async function rawRequest(
  url: string | URL,
  init: { method?: string; body?: RequestInit['body']; contentType?: string; headers?: Record<string, string> } = {},
): Promise<Page> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.contentType) headers['content-type'] = init.contentType;
  const response = await fetch(url, { method: init.method ?? 'GET', headers, body: init.body, redirect: 'manual' });
  const body = await response.text();
  const hop = { method: init.method ?? 'GET', url: String(url), status: response.status, headers: response.headers, body, sentCookies: [] };
  return new Page(String(url), response.status, response.headers, body, [hop]);
}

/** GET the SSO URL with these query parameters (exactly as given, repeated names allowed). */
export function getSso(harness: Harness, params: Record<string, string> | [string, string][]): Promise<Page> {
  const url = ssoUrl(harness);
  for (const [name, value] of Array.isArray(params) ? params : Object.entries(params)) url.searchParams.append(name, value);
  return new UserAgent().get(url, { stopAt: (u) => u.origin === harness.providerUrl });
}

/** POST a form to the SSO URL, as Guard's HTTP-POST binding does. */
export function postSso(harness: Harness, fields: Record<string, string>): Promise<Page> {
  return new UserAgent().post(ssoUrl(harness), fields, {
    initiator: 'https://auth.atlassian.test/login',
    stopAt: (u) => u.origin === harness.providerUrl,
  });
}

/**
 * A refusal at the SSO URL: the error page (status, code, reference, log line), no redirect to
 * the provider, no login started and no login transaction stored.
 */
export async function expectSsoRefusal(
  harness: Harness,
  send: () => Promise<Page>,
  expected: Parameters<typeof expectRefusal>[2],
  options: { upstreamCalls?: string[] } = {},
): Promise<{ page: Page; since: Since }> {
  const stored = loginKeyCount(harness);
  const since = mark(harness);
  const page = await send();
  expectRefusal(page, since, expected);
  expect(page.hops).toHaveLength(1);
  expect(page.hops[0]!.location).toBeUndefined();
  expect(page.stopped).toBeUndefined();
  expect(since.logs().filter((r) => r.event === 'login.started')).toEqual([]);
  // A refused request reaches no provider, unless discovery itself is what refuses.
  expect(since.calls()).toEqual(options.upstreamCalls ?? []);
  expect(loginKeyCount(harness)).toBe(stored);
  return { page, since };
}

/** Every header a bridge HTML page must carry (SECURITY.md, "pages"). */
export function expectPageHeaders(headers: Headers | Record<string, string>): void {
  const get = (name: string) =>
    headers instanceof Headers ? headers.get(name) : Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1] ?? null;
  expect(get('content-type')).toBe('text/html; charset=utf-8');
  const csp = get('content-security-policy') ?? '';
  const directives = Object.fromEntries(
    csp
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((d) => d[0])
      .map(([name, ...values]) => [name, values]),
  );
  expect(directives['default-src']).toEqual(["'none'"]);
  expect(directives['frame-ancestors']).toEqual(["'none'"]);
  expect(directives['base-uri']).toEqual(["'none'"]);
  for (const source of [...(directives['script-src'] ?? []), ...(directives['style-src'] ?? [])]) {
    expect(source).toMatch(/^'(none|nonce-[A-Za-z0-9_-]{16,})'$/);
  }
  expect(get('referrer-policy')).toBe('no-referrer');
  expect(get('x-content-type-options')).toBe('nosniff');
  expect(get('cache-control')).toBe('no-store');
}
