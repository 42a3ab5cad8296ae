import { BridgeError } from '../../errors.js';
import type { Ports } from '../../ports.js';
import { storageKeys } from '../../storage-keys.js';
import { bindingMatches } from '../../browser-binding.js';
import { guardStorage } from '../attempt.js';
import { ISSUED_STATE, readTransaction, type TakenLogin } from '../transaction.js';

/** The binding cookie the callback request carries for a login `state`, if any. */
export type BindingCookieLookup = (state: string) => string | undefined;

/**
 * The first step of every callback: burns the login transaction (a replayed callback never
 * reaches the token endpoint), then checks its expiry and the browser binding. What kind of
 * login it was (`sp`, `idp` or `test`) is known only after this. A state the bridge never issued
 * (or one used or expired) costs reads and no write: the store's `take` reads before it
 * writes, so an anonymous client cannot make the bridge write for it.
 *
 * A callback without the binding cookie is checked before the burn: a browser that lacks it
 * (the victim of a login CSRF, a user who opened the link elsewhere) is refused and the login
 * stays usable for the browser that started it. The read is only a pre-check: the take stays
 * the one atomic step that makes the transaction single use, and every decision is made again
 * on the record the take returned.
 *
 * Except where this host was seen to drop the cookie: `cookieSeenByLastTest` reads what the
 * last connection test recorded (`BindingCookieCheck`, written only by an admin's test), and
 * only for a callback that lacks the cookie, so the common case pays no storage read for it.
 * Nothing in the request decides it.
 *
 * A connection test is bound to the admin's browser the same way, once this host is known to
 * carry the cookie (`seen`): before that, and where it was seen dropped, a test without the
 * cookie is how the host is measured (`bindingCookie: 'not_seen'`), and it signs no one in.
 */
export async function takeLoginTransaction(
  ports: Ports,
  query: Record<string, string[]>,
  bindingCookie: BindingCookieLookup,
  cookieSeenByLastTest: () => Promise<boolean | undefined> = async () => undefined,
): Promise<TakenLogin> {
  for (const name of ['state', 'code', 'iss', 'error']) {
    if ((query[name]?.length ?? 0) > 1) throw new BridgeError('callback_malformed', `${name} repeated`);
  }
  const state = query.state?.[0];
  if (!state) throw new BridgeError('login_state_missing');
  // Every state the bridge issues is openid-client's randomState(): 32 random bytes, base64url.
  // Anything else was never issued here; refusing it before the store spares a storage
  // operation (billed on Forge) and keeps hostile text out of storage keys.
  if (!ISSUED_STATE.test(state)) throw new BridgeError('login_unknown', 'state not in the issued format');
  const key = storageKeys.login(state);
  const cookie = bindingCookie(state);
  // Decided before the take, from storage only: a login may go unbound only on a host an
  // admin's connection test saw dropping the cookie.
  // (Asked only without a cookie, so both facts below imply there is none.)
  const cookieSeen = cookie === undefined ? await cookieSeenByLastTest() : undefined;
  const unboundAccepted = cookieSeen === false;
  // A test without the cookie on a host that carries it comes from another browser.
  const testNeedsCookie = cookieSeen === true;
  if (cookie === undefined && !unboundAccepted) {
    // Only a callback without the cookie is read first. One with a cookie of the wrong value
    // comes from no legitimate flow (names are per login) and may burn the login; skipping the
    // read there spares the common case a billed storage operation.
    const raw = await guardStorage(() => ports.store.get(key));
    // Nothing stored: refused on this one read (the take would read again, to the same end).
    if (raw === undefined) throw new BridgeError('login_unknown');
    const peeked = readTransaction(raw);
    if (peeked && (peeked.kind !== 'test' || testNeedsCookie) && peeked.browserHash && peeked.expiresAt > ports.clock.now()) {
      throw new BridgeError('login_browser_mismatch', 'binding cookie missing; the login is kept for its own browser');
    }
  }
  const transaction = readTransaction(await guardStorage(() => ports.store.take(key)));
  if (!transaction) throw new BridgeError('login_unknown');
  const now = ports.clock.now();
  if (transaction.expiresAt <= now) throw new BridgeError('login_expired');
  if (!transaction.browserHash) return { state, transaction };
  // A test measures the cookie instead of requiring it (it never signs anyone in); a cookie of
  // the wrong value is refused for both kinds.
  if (transaction.kind === 'test' && cookie === undefined && !testNeedsCookie) return { state, transaction, bindingCookie: 'not_seen' };
  // The degraded mode (login CSRF protection off on this host), chosen by the admin's test.
  if (unboundAccepted) return { state, transaction, unbound: true };
  if (!bindingMatches(transaction.browserHash, cookie)) {
    throw new BridgeError('login_browser_mismatch', cookie ? 'binding cookie differs' : 'binding cookie missing');
  }
  return { state, transaction, ...(transaction.kind === 'test' ? { bindingCookie: 'seen' as const } : {}) };
}
