import { createHash, generateKeyPair, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import Provider, { errors, interactionPolicy } from 'oidc-provider';
import type { Adapter, AdapterPayload, ClientAuthMethod, ClientMetadata, Configuration, JWK } from 'oidc-provider';
import {
  BodyTooLargeError,
  contentSecurityPolicy,
  escapeHtml,
  readForm,
  renderPage,
  sendHtml,
  single,
  stripMountPrefix,
} from './html.js';

/**
 * A demo OpenID provider on the `oidc-provider` package, standing in for Okta in demo mode and in
 * integration tests. It behaves like Okta's code flow where it matters to the bridge: PKCE S256
 * required, `client_secret_basic` and `client_secret_post`, RS256 ID tokens, and a thin ID token
 * (sub, email, email_verified) whose profile names come only from userinfo.
 */

export interface DemoUser {
  sub: string;
  email: string;
  email_verified: boolean;
  /** Shown on the login page: this is a demo. */
  password: string;
  given_name: string;
  family_name: string;
  name: string;
  /**
   * Group names, sent as the `groups` claim (in the ID token and userinfo, as an Okta
   * authorization server with a groups claim does) when the client asks for the `groups` scope.
   */
  groups?: readonly string[];
  /**
   * Entra ID's group overage instead of the list: `_claim_names.groups` pointing into
   * `_claim_sources` (an endpoint nothing should call), and no `groups`.
   */
  groupsOverage?: true;
}

/**
 * The demo accounts. Alice and Bob may sign in through the bridge; Mallory's email is not
 * verified and Eve's domain is not allowed, so the bridge must refuse both. The names carry
 * non-ASCII letters and an apostrophe to exercise escaping along the way.
 */
export const demoUsers: readonly DemoUser[] = Object.freeze([
  {
    sub: '00u1alice0demo0000001',
    email: 'alice@example.com',
    email_verified: true,
    password: 'alice-demo',
    given_name: 'Alice',
    family_name: 'Ångström',
    name: 'Alice Ångström',
  },
  {
    sub: '00u1bob000demo0000002',
    email: 'bob@example.com',
    email_verified: true,
    password: 'bob-demo',
    given_name: 'Bob',
    family_name: "O'Brien",
    name: "Bob O'Brien",
  },
  {
    sub: '00u1mallorydemo000003',
    email: 'mallory@example.com',
    email_verified: false,
    password: 'mallory-demo',
    given_name: 'Mallory',
    family_name: 'Unverified',
    name: 'Mallory Unverified',
  },
  {
    sub: '00u1eve000demo0000004',
    email: 'eve@other.example',
    email_verified: true,
    password: 'eve-demo',
    given_name: 'Eve',
    family_name: 'Outsider',
    name: 'Eve Outsider',
  },
].map((user) => Object.freeze(user)));

export interface DemoClient {
  client_id: string;
  /** None with `private_key_jwt`. */
  client_secret?: string;
  redirect_uris: string[];
  /** `client_secret_basic` (default), `client_secret_post` or `private_key_jwt`. */
  token_endpoint_auth_method?: string;
  /** With `private_key_jwt`: where the client's public keys are fetched. */
  jwks_uri?: string;
}

export interface DemoProviderOptions {
  /** May carry a path, such as `http://localhost:8080/demo-op`; see `handle`. */
  issuer: string;
  clients: DemoClient[];
  /** Defaults to `demoUsers`. */
  users?: readonly DemoUser[];
  /** Private signing keys (RS256); a fresh RSA key is generated when absent. */
  jwks?: { keys: DemoJwk[] };
  /**
   * Let the provider fetch a client's `jwks_uri` on loopback (the bridge in tests runs on
   * 127.0.0.1), which oidc-provider's SSRF guard otherwise refuses. Only for tests on one host.
   */
  allowLoopbackFetch?: boolean;
}

export interface DemoProvider {
  provider: Provider;
  issuer: string;
  /**
   * Serves every request below the issuer. When the issuer has a path (`/demo-op`), requests
   * arrive with that path (`/demo-op/auth?…`), either on the provider's own server or routed
   * unchanged by an outer server; `handle` strips the prefix and records the full URL in
   * `req.originalUrl`, as koa-mount and Express do, so oidc-provider builds every endpoint URL
   * with the prefix. A request already mounted by Express-style middleware (with
   * `req.originalUrl` set and the prefix removed from `req.url`) is passed through as it is.
   * The request body must not have been read.
   */
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** The private JWKS the provider signs with, so tests can forge tokens with its own key. */
  jwks: { keys: DemoJwk[] };
}

/** A private JSON Web Key as `oidc-provider` takes it. */
export type DemoJwk = JsonWebKey & { kid?: string };

const FORM_LIMIT = 16 * 1024;

/** The groups claim of a user, or Entra ID's overage reference in its place, or nothing. */
function groupClaims(user: DemoUser): Record<string, unknown> {
  if (user.groupsOverage) {
    return { _claim_names: { groups: 'src1' }, _claim_sources: { src1: { endpoint: 'https://graph.windows.net/demo-tenant/users/demo/getMemberObjects' } } };
  }
  return user.groups ? { groups: [...user.groups] } : {};
}

export async function createDemoProvider(options: DemoProviderOptions): Promise<DemoProvider> {
  const issuerUrl = new URL(options.issuer);
  if (issuerUrl.search || issuerUrl.hash) throw new TypeError('The issuer must not have a query or fragment.');
  const mountPath = issuerUrl.pathname.replace(/\/+$/, '');
  const users = options.users ?? demoUsers;
  const jwks = options.jwks ?? { keys: [await generateSigningKey()] };
  const clients = options.clients.map((client): ClientMetadata => ({
    client_id: client.client_id,
    ...(client.client_secret !== undefined ? { client_secret: client.client_secret } : {}),
    ...(client.jwks_uri !== undefined ? { jwks_uri: client.jwks_uri } : {}),
    redirect_uris: client.redirect_uris,
    token_endpoint_auth_method: (client.token_endpoint_auth_method ?? 'client_secret_basic') as ClientAuthMethod,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    id_token_signed_response_alg: 'RS256',
  }));
  // The login form posts to this provider, which then redirects to the client: browsers check
  // form-action against that whole chain, so the clients' origins are allowed too.
  const formOrigins = [...new Set(clients.flatMap((c) => (c.redirect_uris ?? []).map((uri) => new URL(uri).origin)))];

  const configuration: Configuration = {
    clients,
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
    responseTypes: ['code'],
    jwks: jwks as unknown as { keys: JWK[] },
    adapter: createMemoryAdapterFactory(),
    ...(options.allowLoopbackFetch
      ? {
          fetch: (url: string | URL | Request, init?: RequestInit) => {
            const { dispatcher: _ssrfGuard, ...rest } = (init ?? {}) as RequestInit & { dispatcher?: unknown };
            return globalThis.fetch(url, rest);
          },
        }
      : {}),
    cookies: {
      keys: [randomBytes(32).toString('base64url')],
      // Distinct names: in demo mode the bridge shares this origin and its cookie namespace.
      names: { session: 'demo_op_session', interaction: 'demo_op_interaction', resume: 'demo_op_resume' },
      long: { httpOnly: true, sameSite: 'lax', path: mountPath || '/' },
      short: { httpOnly: true, sameSite: 'lax' },
    },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'given_name', 'family_name'],
      groups: ['groups'],
    },
    // With conformIdTokenClaims (the default) a code-flow ID token carries no scope claims at
    // all; Okta's carries email but not the names. So the filter is off and `findAccount`
    // decides per `use` what each token gets.
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      // Also used by oidc-provider itself when a different user signs in over an existing
      // session: it ends the old session first (end_session_confirm), then resumes.
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (ctx, form) => {
          ctx.type = 'html';
          ctx.set('Content-Security-Policy', contentSecurityPolicy({ formAction: ["'self'", ...formOrigins] }));
          ctx.body = renderPage({
            title: 'Sign out: demo OpenID provider',
            body: `<h1>Demo OpenID provider: sign out?</h1>
<p>Sign out of the demo OpenID provider, so that the next sign-in asks for a password again
(and you can pick another demo account).</p>
${form}
<button type="submit" form="op.logoutForm" name="logout" value="yes" autofocus>Sign out</button>
<button type="submit" form="op.logoutForm" class="secondary">Stay signed in</button>`,
          });
        },
        postLogoutSuccessSource: (ctx) => {
          ctx.type = 'html';
          ctx.set('Content-Security-Policy', contentSecurityPolicy({ formAction: [] }));
          ctx.body = renderPage({
            title: 'Signed out: demo OpenID provider',
            body: `<h1>Demo OpenID provider: signed out</h1>
<p>You are signed out of the demo OpenID provider.</p>`,
          });
        },
      },
      userinfo: { enabled: true },
    },
    ttl: {
      AccessToken: 10 * 60,
      AuthorizationCode: 60,
      IdToken: 10 * 60,
      Interaction: 10 * 60,
      Session: 8 * 60 * 60,
      Grant: 8 * 60 * 60,
      RefreshToken: 24 * 60 * 60,
    },
    clientBasedCORS: () => false,
    interactions: {
      url: (_ctx, interaction) => `${mountPath}/interaction/${interaction.uid}`,
      policy: demoInteractionPolicy(),
    },
    // oidc-provider does not publish the prompt values itself (OIDC Discovery §3 lists them as optional).
    discovery: { prompt_values_supported: ['none', 'login', 'consent', 'select_account'] },
    findAccount: (_ctx, sub) => {
      const user = users.find((u) => u.sub === sub);
      if (!user) return undefined;
      return {
        accountId: user.sub,
        // oidc-provider masks the result by the granted scopes and claims.
        claims: (use) => ({
          ...(use === 'id_token'
            ? { sub: user.sub, email: user.email, email_verified: user.email_verified }
            : {
                sub: user.sub,
                email: user.email,
                email_verified: user.email_verified,
                name: user.name,
                given_name: user.given_name,
                family_name: user.family_name,
              }),
          ...groupClaims(user),
        }),
      };
    },
    renderError: (ctx, out) => {
      ctx.status = ctx.status >= 400 ? ctx.status : 400;
      ctx.type = 'html';
      ctx.set('Cache-Control', 'no-store');
      ctx.set('X-Content-Type-Options', 'nosniff');
      ctx.set('Content-Security-Policy', contentSecurityPolicy({ formAction: [] }));
      ctx.body = renderPage({
        title: 'Demo OpenID provider: error',
        body: `<h1>Demo OpenID provider: something went wrong</h1>
<p class="error"><strong>${escapeHtml(out.error)}</strong>${out.error_description ? `: ${escapeHtml(out.error_description)}` : ''}</p>`,
      });
    },
  };

  const provider = new Provider(options.issuer, configuration);
  // Headers for the pages oidc-provider renders itself (such as the self-posting form that ends
  // a previous session). It appends the hash of its inline script to script-src, and 'none'
  // may not be combined with other sources, so the list starts with 'report-sample', which on
  // its own allows nothing. Our own pages replace this policy with theirs.
  provider.use(async (ctx, next) => {
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set(
      'Content-Security-Policy',
      [
        "default-src 'none'",
        "script-src 'report-sample'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        `form-action 'self' ${formOrigins.join(' ')}`.trim(),
      ].join('; '),
    );
    await next();
  });
  const callback = provider.callback();

  const interactions = createInteractionHandler({ provider, users, mountPath, formOrigins, issuer: options.issuer });

  function handle(incoming: IncomingMessage, res: ServerResponse): void {
    const req: MountableRequest = incoming;
    const rawUrl = req.url ?? '/';
    if (mountPath && req.originalUrl === undefined) {
      const rest = stripMountPrefix(rawUrl, mountPath);
      if (rest === undefined) {
        sendNotFound(res);
        return;
      }
      req.originalUrl = rawUrl;
      req.url = rest;
    }
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path === '/' || path === '' || path.startsWith('/interaction/')) {
      interactions(req, res, path).catch((error: unknown) => {
        if (!res.headersSent) sendProblem(res, 500, 'The demo provider failed.', String(error));
        else res.destroy();
      });
      return;
    }
    callback(req, res);
  }

  return { provider, issuer: options.issuer, handle, jwks };
}

/** What mounting middleware (koa-mount, Express) adds: the URL before the mount path was removed. */
type MountableRequest = IncomingMessage & { originalUrl?: string };


async function generateSigningKey(): Promise<DemoJwk> {
  const { privateKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), alg: 'RS256', use: 'sig' } as DemoJwk;
}

interface InteractionContext {
  provider: Provider;
  users: readonly DemoUser[];
  mountPath: string;
  formOrigins: string[];
  issuer: string;
}

/** The provider's own pages: the landing page, login (with the demo accounts listed) and consent. */
function createInteractionHandler(context: InteractionContext) {
  const { provider, users, mountPath } = context;

  return async function interactions(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (path === '/' || path === '') {
      if (req.method !== 'GET' && req.method !== 'HEAD') return sendMethodNotAllowed(res, 'GET, HEAD');
      return sendLandingPage(res, context);
    }

    const match = /^\/interaction\/([A-Za-z0-9_-]{1,64})(\/login|\/abort)?$/.exec(path);
    if (!match) return sendNotFound(res);
    const uid = match[1]!;
    const action = match[2];

    let details;
    try {
      details = await provider.interactionDetails(req, res);
    } catch (error) {
      if (error instanceof errors.SessionNotFound) {
        return sendProblem(res, 400, 'This sign-in has expired or was already finished. Start again from the application.');
      }
      throw error;
    }
    // The cookie names the interaction; a URL for another one is stale or forged.
    if (details.uid !== uid) {
      return sendProblem(res, 400, 'This sign-in page does not belong to the sign-in in progress. Start again from the application.');
    }

    const clientId = typeof details.params.client_id === 'string' ? details.params.client_id : '';
    const loginHint = typeof details.params.login_hint === 'string' ? details.params.login_hint : '';

    if (action === undefined) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return sendMethodNotAllowed(res, 'GET, HEAD');
      // The sign-in page is also the account choice (prompt=select_account): it lists the accounts.
      if (details.prompt.name === 'login' || details.prompt.name === 'select_account') {
        return sendLoginPage(res, context, { uid, clientId, email: loginHint });
      }
      if (details.prompt.name === 'consent') {
        // Consent is granted automatically: this provider plays a company IdP whose admin has
        // already assigned the application.
        const accountId = details.session?.accountId;
        if (!accountId) return sendProblem(res, 400, 'There is no signed-in user for this sign-in. Start again.');
        const grant = details.grantId
          ? await provider.Grant.find(details.grantId)
          : new provider.Grant({ accountId, clientId });
        if (!grant) return sendProblem(res, 400, 'The earlier consent has expired. Start again.');
        const missing = details.prompt.details as {
          missingOIDCScope?: string[];
          missingOIDCClaims?: string[];
          missingResourceScopes?: Record<string, string[]>;
        };
        if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
        if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
        for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
          grant.addResourceScope(indicator, scopes.join(' '));
        }
        const grantId = await grant.save();
        return provider.interactionFinished(req, res, { consent: details.grantId ? {} : { grantId } }, { mergeWithLastSubmission: true });
      }
      return sendProblem(res, 400, `This demo provider cannot handle the "${details.prompt.name}" step.`);
    }

    if (req.method !== 'POST') return sendMethodNotAllowed(res, 'POST');

    if (action === '/abort') {
      await drain(req);
      return provider.interactionFinished(
        req,
        res,
        { error: 'access_denied', error_description: 'The user cancelled the sign-in.' },
        { mergeWithLastSubmission: false },
      );
    }

    if (details.prompt.name !== 'login' && details.prompt.name !== 'select_account') {
      return sendProblem(res, 400, 'This sign-in does not expect a password now. Start again from the application.');
    }
    let form: URLSearchParams;
    try {
      form = await readForm(req, FORM_LIMIT);
    } catch (error) {
      if (error instanceof BodyTooLargeError) return sendProblem(res, 413, 'The form is too large.');
      throw error;
    }
    const email = (single(form, 'email') ?? '').trim();
    const password = single(form, 'password') ?? '';
    const user = users.find((u) => u.email.toLowerCase() === email.toLowerCase());
    // Compare digests so the comparison is constant-time whatever the lengths.
    const passwordOk = user !== undefined && timingSafeEqual(sha256(password), sha256(user.password));
    if (!user || !passwordOk) {
      return sendLoginPage(res, context, { uid, clientId, email, error: 'Wrong email or password.' });
    }
    return provider.interactionFinished(
      req,
      res,
      // `select_account` resolves that prompt when it was asked for; otherwise it is ignored.
      { login: { accountId: user.sub, amr: ['pwd'] }, select_account: {} },
      { mergeWithLastSubmission: false },
    );
  };

  function sendLoginPage(
    res: ServerResponse,
    ctx: InteractionContext,
    page: { uid: string; clientId: string; email: string; error?: string },
  ): void {
    const base = `${mountPath}/interaction/${encodeURIComponent(page.uid)}`;
    const body = `<h1>Demo OpenID provider: sign in</h1>
<p>This page plays the company's identity provider (Okta, Entra ID…). The application
<code>${escapeHtml(page.clientId)}</code> asks you to sign in.</p>
${page.error ? `<p class="error" role="alert">${escapeHtml(page.error)}</p>` : ''}
<form method="post" action="${escapeHtml(`${base}/login`)}" autocomplete="off">
<label for="email">Email</label>
<input type="email" id="email" name="email" value="${escapeHtml(page.email)}" required autofocus>
<label for="password">Password</label>
<input type="password" id="password" name="password" required>
<button type="submit">Sign in</button>
</form>
<form method="post" action="${escapeHtml(`${base}/abort`)}">
<button type="submit" class="secondary">Cancel</button>
</form>
${renderUserTable(users)}`;
    sendHtml(
      res,
      200,
      renderPage({ title: 'Sign in: demo OpenID provider', body }),
      contentSecurityPolicy({ formAction: ["'self'", ...ctx.formOrigins] }),
    );
  }
}

/** The demo accounts with their passwords, for the login and landing pages. */
export function renderUserTable(users: readonly Pick<DemoUser, 'email' | 'password' | 'email_verified' | 'name'>[]): string {
  const rows = users
    .map(
      (u) =>
        `<tr><td><code>${escapeHtml(u.email)}</code></td><td><code>${escapeHtml(u.password)}</code></td><td>${escapeHtml(u.name)}</td><td>${u.email_verified ? 'yes' : 'no'}</td></tr>`,
    )
    .join('\n');
  return `<h2>Demo accounts</h2>
<p class="muted">This is a demo: the passwords are public.</p>
<table><thead><tr><th>Email</th><th>Password</th><th>Name</th><th>Email verified</th></tr></thead>
<tbody>
${rows}
</tbody></table>`;
}

function sendLandingPage(res: ServerResponse, context: InteractionContext): void {
  const discovery = `${context.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  const body = `<h1>Demo OpenID provider</h1>
<p>An OpenID Connect provider for trying the bridge out, built on <code>oidc-provider</code>.
It plays the company's identity provider (such as Okta): code flow with PKCE, and an ID token
that carries the email but not the names, which come from userinfo.</p>
<p>Issuer: <code>${escapeHtml(context.issuer)}</code><br>
Discovery: <a href="${escapeHtml(discovery)}">${escapeHtml(discovery)}</a></p>
${renderUserTable(context.users)}`;
  sendHtml(res, 200, renderPage({ title: 'Demo OpenID provider', body }), contentSecurityPolicy({ formAction: [] }));
}

function sendProblem(res: ServerResponse, status: number, message: string, detail?: string): void {
  if (detail) console.error(`demo OpenID provider: ${detail}`);
  const body = `<h1>Demo OpenID provider</h1>\n<p class="error" role="alert">${escapeHtml(message)}</p>`;
  sendHtml(res, status, renderPage({ title: 'Demo OpenID provider: error', body }), contentSecurityPolicy({ formAction: [] }));
}

function sendNotFound(res: ServerResponse): void {
  sendProblem(res, 404, 'There is nothing at this address.');
}

function sendMethodNotAllowed(res: ServerResponse, allow: string): void {
  res.setHeader('Allow', allow);
  sendProblem(res, 405, 'This address does not accept that kind of request.');
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

async function drain(req: IncomingMessage): Promise<void> {
  try {
    await readForm(req, FORM_LIMIT);
  } catch {
    // The body of a cancel request carries nothing we need.
  }
}

/**
 * A small in-memory storage adapter, one per provider instance. (oidc-provider's built-in one
 * prints a development warning and keeps its data in module state shared by every instance.)
 */
const GRANTABLE = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
]);

function createMemoryAdapterFactory(): (model: string) => Adapter {
  interface Entry {
    payload: AdapterPayload;
    expiresAt: number;
  }
  const store = new Map<string, Entry>();
  const sessionUids = new Map<string, string>();
  const userCodes = new Map<string, string>();
  const grants = new Map<string, Set<string>>();
  let writes = 0;

  // Expired entries go when read, and in a sweep every few hundred writes.
  const sweep = () => {
    const now = Date.now();
    for (const [key, entry] of store) if (entry.expiresAt <= now) store.delete(key);
    for (const [uid, id] of sessionUids) if (!store.has(`Session:${id}`)) sessionUids.delete(uid);
    for (const [code, id] of userCodes) if (!store.has(`DeviceCode:${id}`)) userCodes.delete(code);
    for (const [grantId, members] of grants) {
      for (const key of members) if (!store.has(key)) members.delete(key);
      if (!members.size) grants.delete(grantId);
    }
  };

  const read = (key: string): AdapterPayload | undefined => {
    const entry = store.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      store.delete(key);
      return undefined;
    }
    return entry.payload;
  };

  return (model: string): Adapter => {
    const keyFor = (id: string) => `${model}:${id}`;
    return {
      async upsert(id, payload, expiresIn) {
        if (++writes % 500 === 0) sweep();
        const key = keyFor(id);
        store.set(key, {
          payload: structuredClone(payload),
          expiresAt: typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : Number.POSITIVE_INFINITY,
        });
        if (model === 'Session' && payload.uid) sessionUids.set(payload.uid, id);
        if (payload.userCode) userCodes.set(payload.userCode, id);
        // Only tokens die with their grant; an Interaction or Session also names a grantId.
        if (payload.grantId && GRANTABLE.has(model)) {
          let members = grants.get(payload.grantId);
          if (!members) grants.set(payload.grantId, (members = new Set()));
          members.add(key);
        }
      },
      async find(id) {
        const payload = read(keyFor(id));
        return payload ? structuredClone(payload) : undefined;
      },
      async findByUid(uid) {
        const id = sessionUids.get(uid);
        return id === undefined ? undefined : this.find(id);
      },
      async findByUserCode(userCode) {
        const id = userCodes.get(userCode);
        return id === undefined ? undefined : this.find(id);
      },
      async consume(id) {
        const payload = read(keyFor(id));
        if (payload) payload.consumed = Math.floor(Date.now() / 1000);
      },
      async destroy(id) {
        store.delete(keyFor(id));
      },
      async revokeByGrantId(grantId) {
        for (const key of grants.get(grantId) ?? []) store.delete(key);
        grants.delete(grantId);
      },
    };
  };
}

/**
 * oidc-provider's default prompts, and `select_account` (OIDC Core §3.1.2.1) as a prompt a
 * client may ask for: the provider then lists it in `prompt_values_supported` and shows its
 * sign-in page, where the user picks a demo account, as Google or Entra ID show their account
 * pickers. The bridge offers "Use another account" on its error pages to such providers.
 */
function demoInteractionPolicy() {
  const policy = interactionPolicy.base();
  policy.add(new interactionPolicy.Prompt({ name: 'select_account', requestable: true }), 0);
  return policy;
}
