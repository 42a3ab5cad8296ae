import { createHash, timingSafeEqual } from 'node:crypto';
import { isLoopbackUrl, type BridgeConfig } from './config.js';
import type { Json, KeyValueStore } from './ports.js';
import { storageKeys } from './storage-keys.js';

/**
 * The cookie that binds a login to the browser that started it, and what this host has been
 * seen to do with it.
 *
 * Without the binding, an attacker could start a login as themselves, stop before the callback
 * and make a victim's browser finish it, signing the victim in to Atlassian as the attacker
 * (login CSRF). Whether a host carries the cookie at all is not documented for Forge web
 * triggers, so the wizard's connection test measures it (`BindingCookieCheck`), and a login
 * binds unless a test has seen the cookie fail to come back.
 */

/** One login's binding: a random value in a cookie named after the login's `state`. */
export interface BrowserBinding {
  state: string;
  value: string;
  /** Seconds the cookie lives: the login timeout. */
  maxAge: number;
}

/**
 * The cookie's name: one per login (so parallel logins in two tabs do not clobber each other),
 * with the `__Host-` prefix on https, which browsers accept only with `Secure`, `Path=/` and no
 * `Domain`, so no other host (a sibling subdomain included) can plant or overwrite it. A plain
 * name only on loopback http, where `Secure` cookies cannot be set (local runs and tests).
 */
export function browserBindingCookieName(state: string, baseUrl: string): string {
  const name = `bridge_login_${createHash('sha256').update(state).digest('base64url').slice(0, 16)}`;
  return cookieScheme(baseUrl) === 'secure' ? `__Host-${name}` : name;
}

function cookieScheme(baseUrl: string): 'secure' | 'loopback' {
  const url = new URL(baseUrl);
  if (url.protocol === 'https:') return 'secure';
  if (url.protocol === 'http:' && isLoopbackUrl(url)) return 'loopback';
  throw new TypeError(`the bridge must run on https (or http on a loopback host), not ${url.protocol}//${url.host}`);
}

/**
 * The `Set-Cookie` value for a binding (`maxAge` 0 clears it). `Path=/` because `__Host-`
 * requires it: the cookie goes to every path of the host, which is why its name is per login.
 * `SameSite=Lax` still sends it on the provider's top-level redirect to the callback.
 */
export function bindingCookieHeader(baseUrl: string, binding: BrowserBinding): string {
  const secure = cookieScheme(baseUrl) === 'secure';
  const attributes = [`${browserBindingCookieName(binding.state, baseUrl)}=${binding.value}`, 'Path=/', `Max-Age=${binding.maxAge}`, 'HttpOnly'];
  if (secure) attributes.push('Secure');
  attributes.push('SameSite=Lax');
  return attributes.join('; ');
}

/**
 * The provider a user picked on the choice page of a connection with several, remembered in
 * this browser so the next login goes straight there. Not a security decision: the callback
 * accepts only the picked provider's own domains whichever provider this names.
 */
export const providerChoiceCookie = {
  name: (baseUrl: string) => (cookieScheme(baseUrl) === 'secure' ? '__Host-bridge_provider' : 'bridge_provider'),
  /** 90 days: long enough that a user picks once, short enough that a moved user is asked again. */
  header(baseUrl: string, providerId: string): string {
    const attributes = [`${providerChoiceCookie.name(baseUrl)}=${providerId}`, 'Path=/', `Max-Age=${90 * 24 * 60 * 60}`, 'HttpOnly'];
    if (cookieScheme(baseUrl) === 'secure') attributes.push('Secure');
    attributes.push('SameSite=Lax');
    return attributes.join('; ');
  },
};

/** What a login transaction keeps of the cookie's value: its SHA-256. */
export function bindingHash(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

/** Whether `cookie` is the value whose hash is `expectedHash`, compared in constant time. */
export function bindingMatches(expectedHash: string, cookie: string | undefined): boolean {
  const expected = Buffer.from(expectedHash);
  const actual = Buffer.from(cookie ? bindingHash(cookie) : '');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/**
 * What the last connection test saw of the binding cookie through this host: set at the test's
 * start URL, and back (`seen`) or not (`seen: false`) at the callback. Stored under
 * `storageKeys.bindingCookieCheck()`, without expiry. Written only by the callback of a test
 * transaction an admin started (`test/start` runs behind the admin check) whose code the
 * provider redeemed, so nobody else can change it.
 */
export interface BindingCookieCheck {
  v: 1;
  seen: boolean;
  /** When the test's callback arrived (ms since the epoch). */
  at: number;
}

export async function readBindingCookieCheck(store: KeyValueStore): Promise<BindingCookieCheck | undefined> {
  return parseBindingCookieCheck(await store.get(storageKeys.bindingCookieCheck()));
}

export function parseBindingCookieCheck(raw: unknown): BindingCookieCheck | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const { v, seen, at } = raw as Record<string, unknown>;
  return v === 1 && typeof seen === 'boolean' && typeof at === 'number' ? { v: 1, seen, at } : undefined;
}

export async function writeBindingCookieCheck(store: KeyValueStore, check: BindingCookieCheck): Promise<void> {
  await store.set(storageKeys.bindingCookieCheck(), check as unknown as Json);
}

/** Why a login is, or is not, bound to its browser. */
export type BindingMode =
  | { bind: true; reason: 'not_measured' }
  | { bind: true; reason: 'cookie_seen'; at: number }
  | { bind: false; reason: 'cookie_not_seen'; at: number }
  | { bind: false; reason: 'config_off' };

/**
 * Whether logins on this host are bound to their browser, as the admin page explains it. Every
 * login sets the cookie (unless `bindLoginToBrowser` is false, which always wins); the callback
 * accepts its absence only where the stored observation says this host drops it, and nothing a
 * request carries changes that: only an admin's connection test writes the observation, and a
 * later test that sees the cookie come back turns binding on again at once, for logins already
 * under way too. Before any test, logins are bound.
 */
export function bindingMode(config: Pick<BridgeConfig, 'bindLoginToBrowser'>, check: BindingCookieCheck | undefined): BindingMode {
  if (!config.bindLoginToBrowser) return { bind: false, reason: 'config_off' };
  if (!check) return { bind: true, reason: 'not_measured' };
  return check.seen ? { bind: true, reason: 'cookie_seen', at: check.at } : { bind: false, reason: 'cookie_not_seen', at: check.at };
}
