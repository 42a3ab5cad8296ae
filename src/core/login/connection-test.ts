import type { AuthenticatedUser } from '../authenticated-user.js';
import { bindingMatches, type BrowserBinding } from '../browser-binding.js';
import { normalizeDomain, type BridgeConfig, type ConfigProblem } from '../config.js';
import { BridgeError } from '../errors.js';
import type { Ports } from '../ports.js';
import { storageKeys } from '../storage-keys.js';
import type { TestOutcome } from '../test-login.js';
import { samlSubjectFor, type SamlSubject } from '../../downstream-saml/saml-subject.js';
import { userFromClaims } from '../../upstream-oidc/user-from-claims.js';
import { guardStorage, type Attempt, type LoginContext } from './attempt.js';
import { ISSUED_STATE, readTransaction, type TakenLogin, type TestLoginTransaction } from './transaction.js';
import { exchangeCode, noteClaimedUser } from './steps/exchange-code.js';
import { redirectToProvider } from './steps/redirect-to-provider.js';

/** The wizard's connection test: the same legs as a login, ending in a stored result and never in a SAML response. */

/**
 * Starts the wizard's connection test: a login transaction marked as a test, and what the
 * admin's browser opens first: this host's `/test/start` (`readTestStart`), which sets the
 * binding cookie as `/saml/sso` does and redirects to the provider, so that the callback can
 * record whether the cookie came back through this host. The start is a resolver call, which
 * on Forge cannot set a cookie on the web trigger's domain; hence the extra hop. The cookie's
 * value travels in the start URL: for a test it only measures the host (a test never signs
 * anyone in, so there is no login CSRF to defend against).
 */
export async function startTestLogin(
  context: LoginContext,
  config: BridgeConfig,
  testId: string,
  attempt: Attempt,
): Promise<{ state: string; bindingValue: string; expiresAt: number }> {
  const started = await redirectToProvider(context, config, attempt, undefined, { kind: 'test', testId });
  return { state: started.state, bindingValue: started.bindingValue!, expiresAt: started.expiresAt };
}

/**
 * `/test/start`: the first hop of a connection test in the admin's browser. Reads (never takes)
 * the test transaction named by `state`; only with the binding value `startTestLogin` issued
 * for it does it answer the cookie to set and the provider URL stored with the test, so it can
 * neither redirect anywhere else nor set any other cookie.
 */
export async function readTestStart(ports: Ports, query: Record<string, string[]>): Promise<{ redirectTo: string; binding: BrowserBinding }> {
  for (const name of ['state', 'binding']) {
    if ((query[name]?.length ?? 0) !== 1) throw new BridgeError('login_unknown', `${name} missing or repeated`);
  }
  const state = query.state![0]!;
  const value = query.binding![0]!;
  if (!ISSUED_STATE.test(state)) throw new BridgeError('login_unknown', 'state not in the issued format');
  const stored = readTransaction(await guardStorage(() => ports.store.get(storageKeys.login(state))));
  if (!stored || stored.kind !== 'test' || !stored.browserHash || typeof stored.startRedirect !== 'string') throw new BridgeError('login_unknown', 'no such connection test');
  const now = ports.clock.now();
  if (stored.expiresAt <= now) throw new BridgeError('login_expired');
  if (!bindingMatches(stored.browserHash, value)) throw new BridgeError('login_unknown', 'binding value differs');
  return { redirectTo: stored.startRedirect, binding: { state, value, maxAge: Math.max(1, Math.ceil((stored.expiresAt - now) / 1000)) } };
}

/**
 * Finishes a connection test with the same checks and mapping as a login (code exchange, ID
 * token, userinfo, email, verified flag, domain, NameID, attributes) and returns what would be
 * sent to Atlassian, without signing or sending anything. Claims that arrived are kept in a
 * failure too, so the admin sees why a user was refused.
 */
export async function finishTestLogin(
  context: LoginContext,
  config: BridgeConfig,
  query: Record<string, string[]>,
  taken: TakenLogin<TestLoginTransaction>,
  options: { checksDomains: boolean },
  attempt: Attempt,
): Promise<TestOutcome> {
  let claims: Readonly<Record<string, unknown>> | undefined;
  try {
    ({ claims } = await exchangeCode(context, config, taken, query, context.ports.clock.now()));
    noteClaimedUser(attempt, claims);
    const mapped = mapTestUser(claims, config, options.checksDomains);
    attempt.email = mapped.user.email;
    attempt.subject = mapped.user.subject;
    return { ok: true, claims, subject: mapped.subject, warnings: mapped.warnings };
  } catch (error) {
    const bridgeError = error instanceof BridgeError ? error : new BridgeError('internal', (error as Error)?.message?.slice(0, 200), { cause: error });
    return { ok: false, code: bridgeError.code, error: bridgeError, ...(claims ? { claims } : {}) };
  }
}

/**
 * The login's user checks and mapping, for a test or a preview: exactly what a login does,
 * except that while no allowed email domains are set (they come in a later step) the user's own
 * domain is accepted and a warning says so, rather than refusing everyone. Throws `BridgeError`
 * with the code a login would fail with.
 */
export function mapTestUser(
  claims: Readonly<Record<string, unknown>>,
  config: BridgeConfig,
  checksDomains: boolean,
): { user: AuthenticatedUser; subject: SamlSubject; warnings: ConfigProblem[] } {
  const warnings: ConfigProblem[] = [];
  let effective = config;
  if (!checksDomains) {
    const email = claims.email;
    const domain = typeof email === 'string' ? normalizeDomain(email.slice(email.lastIndexOf('@') + 1)) : undefined;
    if (domain) effective = { ...config, allowedEmailDomains: [domain] };
    warnings.push({ path: 'allowedEmailDomains', message: `No allowed email domains are set yet, so the domain ${domain ?? '(none)'} was not checked.` });
  }
  const user = userFromClaims(claims, effective);
  return { user, subject: samlSubjectFor(user), warnings };
}
