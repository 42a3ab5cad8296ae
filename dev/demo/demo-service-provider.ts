import type { IncomingMessage, ServerResponse } from 'node:http';
import { DOMParser } from '@xmldom/xmldom';
import { SAML, ValidateInResponseTo, generateServiceProviderMetadata, type Profile, type SamlConfig } from '@node-saml/node-saml';
import {
  BodyTooLargeError,
  contentSecurityPolicy,
  escapeHtml,
  newNonce,
  readForm,
  renderPage,
  sendHtml,
  sendRedirect,
  single,
  stripMountPrefix,
} from './html.js';

/**
 * A demo SAML service provider that plays Atlassian Guard, built on `@node-saml/node-saml`: an
 * independent SAML implementation that verifies the bridge's signed responses. It sends
 * AuthnRequests the way Guard is believed to (unsigned, emailAddress NameID policy, by
 * HTTP-Redirect, or by HTTP-POST on request) and shows what it received.
 */

export interface DemoServiceProviderOptions {
  /** Where this SP lives, such as `http://localhost:8080/demo-sp`; see `handle`. */
  baseUrl: string;
  /** The SP Entity ID: the AuthnRequest's Issuer and the audience the assertion must name. */
  entityId: string;
  /** The IdP's SSO URL (the bridge's `/saml/sso`). */
  idpSsoUrl: string;
  /** The IdP Entity ID the assertion's Issuer must equal. */
  idpIssuer: string;
  /** The IdP signing certificate (PEM), read on every response so a rotation shows at once. */
  idpCertificate: () => Promise<string>;
  /** The RelayState offered on the start page. Default `https://start.atlassian.com`. */
  relayState?: string;
  /**
   * Accept unsolicited responses (IdP-initiated login: no `InResponseTo`), as Atlassian does. A
   * response that names an `InResponseTo` must still answer a request this SP sent (node-saml's
   * `ifPresent`). Default false: every response must answer one of its requests (`always`).
   */
  acceptUnsolicited?: boolean;
}

export type DemoSamlResult =
  | {
      ok: true;
      at: Date;
      nameID: string;
      nameIDFormat: string;
      /** Attribute name → values, in the order received. */
      attributes: Record<string, string[]>;
      relayState: string | undefined;
      sessionIndex: string | undefined;
      issuer: string | undefined;
      inResponseTo: string | undefined;
    }
  | {
      ok: false;
      at: Date;
      /** node-saml's message, or the name of the check of our own that failed. */
      error: string;
      relayState: string | undefined;
    };

export interface DemoServiceProvider {
  /**
   * Serves `GET <base>/` (start page), `GET <base>/login?binding=redirect|post&RelayState=…`
   * (sends an AuthnRequest), `POST <base>/acs` and `GET <base>/metadata`. Requests arrive with
   * the base path (`/demo-sp/acs`), as the outer server routes them unchanged; one already
   * mounted Express-style (`req.originalUrl` set, prefix removed) is served as it is.
   */
  handle(req: IncomingMessage, res: ServerResponse): void;
  acsUrl: string;
  entityId: string;
  /** The outcome of the last response posted to the ACS, for tests. */
  lastResult(): DemoSamlResult | undefined;
}

const DEFAULT_RELAY_STATE = 'https://start.atlassian.com';
const EMAIL_FORMAT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';
const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
const ACS_BODY_LIMIT = 512 * 1024;
const RELAY_STATE_LIMIT = 2048;

type MountableRequest = IncomingMessage & { originalUrl?: string };

export function createDemoServiceProvider(options: DemoServiceProviderOptions): DemoServiceProvider {
  const base = new URL(options.baseUrl);
  const basePath = base.pathname.replace(/\/+$/, '');
  const baseUrl = `${base.origin}${basePath}`;
  const acsUrl = `${baseUrl}/acs`;
  const relayStateDefault = options.relayState ?? DEFAULT_RELAY_STATE;

  const config: SamlConfig = {
    entryPoint: options.idpSsoUrl,
    issuer: options.entityId,
    callbackUrl: acsUrl,
    audience: options.entityId,
    idpCert: (callback) => {
      options.idpCertificate().then(
        (pem) => callback(null, pem),
        (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
      );
    },
    wantAuthnResponseSigned: true,
    wantAssertionsSigned: true,
    validateInResponseTo: options.acceptUnsolicited ? ValidateInResponseTo.ifPresent : ValidateInResponseTo.always,
    requestIdExpirationPeriodMs: 15 * 60 * 1000,
    acceptedClockSkewMs: 5_000,
    identifierFormat: EMAIL_FORMAT,
    // Guard's requests carry no RequestedAuthnContext (inferred); node-saml adds one by default.
    disableRequestedAuthnContext: true,
  };
  const redirectSaml = new SAML(config);
  // node-saml deflates HTTP-POST requests too unless told not to, but the POST binding carries
  // plain base64 (SAML bindings §3.5.4). Both instances share node-saml's in-memory request-ID
  // cache, so InResponseTo is checked whichever binding started the login.
  const postSaml = new SAML({ ...config, skipRequestCompression: true, cacheProvider: redirectSaml.cacheProvider });

  let last: DemoSamlResult | undefined;

  async function route(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<void> {
    if (path === '/' || path === '') {
      if (req.method !== 'GET' && req.method !== 'HEAD') return methodNotAllowed(res, 'GET, HEAD');
      return sendStartPage(res);
    }
    if (path === '/login') {
      if (req.method !== 'GET') return methodNotAllowed(res, 'GET');
      const relayState = single(query, 'RelayState') ?? relayStateDefault;
      if (relayState.length > RELAY_STATE_LIMIT) return sendProblem(res, 400, 'The RelayState is too long for this demo.');
      const binding = single(query, 'binding');
      if (binding === 'redirect') {
        return sendRedirect(res, await redirectSaml.getAuthorizeUrlAsync(relayState, undefined, {}));
      }
      if (binding === 'post') {
        const message = await postSaml.getAuthorizeMessageAsync(relayState);
        return sendAutoPost(res, message);
      }
      return sendProblem(res, 400, 'Choose the HTTP-Redirect or the HTTP-POST binding.');
    }
    if (path === '/acs') {
      if (req.method !== 'POST') return methodNotAllowed(res, 'POST');
      let form: URLSearchParams;
      try {
        form = await readForm(req, ACS_BODY_LIMIT);
      } catch (error) {
        if (error instanceof BodyTooLargeError) return sendResult(res, refused('The SAML response is too large.', undefined));
        throw error;
      }
      return sendResult(res, await consume(form));
    }
    if (path === '/metadata') {
      if (req.method !== 'GET' && req.method !== 'HEAD') return methodNotAllowed(res, 'GET, HEAD');
      const xml = generateServiceProviderMetadata({
        issuer: options.entityId,
        callbackUrl: acsUrl,
        identifierFormat: EMAIL_FORMAT,
        wantAssertionsSigned: true,
      });
      res.writeHead(200, {
        'Content-Type': 'application/samlmetadata+xml; charset=utf-8',
        'Cache-Control': 'no-store',
        'X-Content-Type-Options': 'nosniff',
        'Content-Length': Buffer.byteLength(xml),
      });
      res.end(xml);
      return;
    }
    return sendProblem(res, 404, 'There is nothing at this address.');
  }

  async function consume(form: URLSearchParams): Promise<DemoSamlResult> {
    const relayState = single(form, 'RelayState');
    const samlResponse = single(form, 'SAMLResponse');
    if (!samlResponse) return refused('The request carries no (or more than one) SAMLResponse.', relayState);
    let profile: Profile | null;
    try {
      ({ profile } = await redirectSaml.validatePostResponseAsync({ SAMLResponse: samlResponse }));
    } catch (error) {
      return refused(error instanceof Error ? error.message : String(error), relayState);
    }
    if (!profile) return refused('The response carries no assertion.', relayState);
    const problem = checkBeyondNodeSaml(profile, samlResponse);
    if (problem) return refused(problem, relayState);
    return {
      ok: true,
      at: new Date(),
      nameID: profile.nameID,
      nameIDFormat: profile.nameIDFormat,
      attributes: attributesOf(profile),
      relayState,
      sessionIndex: profile.sessionIndex,
      issuer: profile.issuer,
      inResponseTo: typeof profile.inResponseTo === 'string' ? profile.inResponseTo : undefined,
    };
  }

  /**
   * What Guard checks and node-saml 5 leaves to the caller: the assertion's Issuer, the
   * response's Destination (SAML bindings §3.5.5.2, required for a signed response) and the
   * bearer confirmation's Recipient (SAML profiles §4.1.4.2).
   */
  function checkBeyondNodeSaml(profile: Profile, samlResponse: string): string | undefined {
    if (profile.issuer !== options.idpIssuer) {
      return `Unexpected assertion Issuer. Expected: ${options.idpIssuer} Received: ${profile.issuer ?? '(none)'}`;
    }
    // node-saml verified the signature over the whole Response, so its attributes are covered.
    const xml = Buffer.from(samlResponse, 'base64').toString('utf8');
    const root = new DOMParser().parseFromString(xml, 'text/xml').documentElement;
    const destination = root?.getAttribute('Destination');
    if (destination !== acsUrl) {
      return `Unexpected response Destination. Expected: ${acsUrl} Received: ${destination || '(none)'}`;
    }
    const assertion = profile.getAssertion?.() as { Assertion?: XmlJsAssertion } | undefined;
    const confirmations = assertion?.Assertion?.Subject?.[0]?.SubjectConfirmation ?? [];
    const bearer = confirmations.filter((c) => c.$?.Method === BEARER);
    if (!bearer.length) return 'The assertion has no bearer SubjectConfirmation.';
    if (!bearer.some((c) => c.SubjectConfirmationData?.[0]?.$?.Recipient === acsUrl)) {
      return `No bearer SubjectConfirmation names this ACS as Recipient (${acsUrl}).`;
    }
    return undefined;
  }

  function refused(error: string, relayState: string | undefined): DemoSamlResult {
    return { ok: false, at: new Date(), error, relayState };
  }

  function sendResult(res: ServerResponse, result: DemoSamlResult): void {
    last = result;
    const again = `<p><a class="button" href="${escapeHtml(`${basePath}/`)}">Back to the demo Atlassian</a></p>`;
    const relay = `<tr><th>RelayState</th><td><code>${escapeHtml(result.relayState ?? '(none)')}</code></td></tr>`;
    if (!result.ok) {
      const body = `<h1>Sign-in refused</h1>
<p class="error" role="alert">The demo service provider refused the SAML response: <span id="error">${escapeHtml(result.error)}</span></p>
<table>${relay}</table>
${again}`;
      return sendHtml(res, 400, renderPage({ title: 'Sign-in refused: demo Atlassian', body }), contentSecurityPolicy({ formAction: [] }));
    }
    const attributeRows = Object.entries(result.attributes)
      .map(
        ([name, values]) =>
          `<tr><td><code>${escapeHtml(name)}</code></td><td>${values.map((v) => `<code>${escapeHtml(v)}</code>`).join('<br>')}</td></tr>`,
      )
      .join('\n');
    const body = `<h1>Signed in</h1>
<p class="ok" role="status">The demo service provider verified the signed SAML response and assertion. Signed in as
<strong id="name-id">${escapeHtml(result.nameID)}</strong>.</p>
<table>
<tr><th>NameID</th><td><code>${escapeHtml(result.nameID)}</code></td></tr>
<tr><th>NameID format</th><td><code>${escapeHtml(result.nameIDFormat)}</code></td></tr>
<tr><th>Issuer</th><td><code>${escapeHtml(result.issuer ?? '(none)')}</code></td></tr>
<tr><th>SessionIndex</th><td><code>${escapeHtml(result.sessionIndex ?? '(none)')}</code></td></tr>
<tr><th>InResponseTo</th><td><code>${escapeHtml(result.inResponseTo ?? '(none)')}</code></td></tr>
${relay}
</table>
<h2>Attributes</h2>
${attributeRows ? `<table id="attributes"><thead><tr><th>Name</th><th>Values</th></tr></thead><tbody>\n${attributeRows}\n</tbody></table>` : '<p>(none)</p>'}
<p class="muted">Atlassian would now sign the user in and go on to the RelayState.</p>
${again}`;
    sendHtml(res, 200, renderPage({ title: 'Signed in: demo Atlassian', body }), contentSecurityPolicy({ formAction: [] }));
  }

  function sendStartPage(res: ServerResponse): void {
    const body = `<h1>Demo Atlassian (SAML service provider)</h1>
<p>This page plays <strong>Atlassian Guard</strong>, the SAML service provider of Atlassian Cloud.
Signing in sends a SAML AuthnRequest to the bridge (the identity provider), which sends you on to
the OpenID provider; the bridge answers with a signed SAML response that this page verifies with
<code>node-saml</code>, an independent SAML implementation.</p>
<table>
<tr><th>SP Entity ID</th><td><code>${escapeHtml(options.entityId)}</code></td></tr>
<tr><th>ACS URL</th><td><code>${escapeHtml(acsUrl)}</code></td></tr>
<tr><th>IdP SSO URL</th><td><code>${escapeHtml(options.idpSsoUrl)}</code></td></tr>
<tr><th>IdP Entity ID</th><td><code>${escapeHtml(options.idpIssuer)}</code></td></tr>
</table>
<form method="get" action="${escapeHtml(`${basePath}/login`)}">
<label for="relay-state">RelayState</label>
<input type="text" id="relay-state" name="RelayState" value="${escapeHtml(relayStateDefault)}">
<button type="submit" name="binding" value="redirect">Sign in with HTTP-Redirect</button>
<button type="submit" name="binding" value="post">Sign in with HTTP-POST</button>
</form>
<p class="muted">Atlassian sends its requests by HTTP-Redirect; HTTP-POST is there to show the bridge accepts both.
SP metadata: <a href="${escapeHtml(`${basePath}/metadata`)}">${escapeHtml(`${baseUrl}/metadata`)}</a></p>`;
    // No form-action: browsers apply it to the redirects after the submission too (bridge, then
    // the OpenID provider, whose origin this page cannot know). The form's target is fixed here.
    sendHtml(res, 200, renderPage({ title: 'Demo Atlassian (SAML service provider)', body }), contentSecurityPolicy({}));
  }

  function sendAutoPost(res: ServerResponse, message: Record<string, unknown>): void {
    const scriptNonce = newNonce();
    const inputs = Object.entries(message)
      .filter((entry): entry is [string, string] => typeof entry[1] === 'string')
      .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
      .join('\n');
    const body = `<h1>Demo Atlassian: sending the sign-in request</h1>
<form id="saml-post" method="post" action="${escapeHtml(options.idpSsoUrl)}">
${inputs}
<noscript><p>JavaScript is off. Press the button to continue.</p></noscript>
<button type="submit">Continue</button>
</form>`;
    sendHtml(
      res,
      200,
      renderPage({
        title: 'Sending the sign-in request: demo Atlassian',
        body,
        scriptNonce,
        script: "document.getElementById('saml-post').submit();",
      }),
      // As on the start page, form-action would also have to cover the OpenID provider.
      contentSecurityPolicy({ scriptNonce }),
    );
  }

  function handle(incoming: IncomingMessage, res: ServerResponse): void {
    const req: MountableRequest = incoming;
    let url = req.url ?? '/';
    if (basePath && req.originalUrl === undefined) {
      const rest = stripMountPrefix(url, basePath);
      if (rest === undefined) return sendProblem(res, 404, 'There is nothing at this address.');
      url = rest;
    }
    const parsed = new URL(url, 'http://demo-sp.invalid');
    route(req, res, parsed.pathname, parsed.searchParams).catch((error: unknown) => {
      console.error(`demo service provider: ${error instanceof Error ? error.message : String(error)}`);
      if (!res.headersSent) sendProblem(res, 500, 'The demo service provider failed.');
      else res.destroy();
    });
  }

  return { handle, acsUrl, entityId: options.entityId, lastResult: () => last };
}

interface XmlJsAssertion {
  Subject?: {
    SubjectConfirmation?: {
      $?: { Method?: string };
      SubjectConfirmationData?: { $?: { Recipient?: string } }[];
    }[];
  }[];
}

/** node-saml's attributes as name → list of strings (complex values as JSON). */
function attributesOf(profile: Profile): Record<string, string[]> {
  const raw = (profile.attributes ?? {}) as Record<string, unknown>;
  const out: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(raw)) {
    const values = Array.isArray(value) ? value : [value];
    out[name] = values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
  }
  return out;
}


function sendProblem(res: ServerResponse, status: number, message: string): void {
  const body = `<h1>Demo Atlassian</h1>\n<p class="error" role="alert">${escapeHtml(message)}</p>`;
  sendHtml(res, status, renderPage({ title: 'Demo Atlassian: error', body }), contentSecurityPolicy({ formAction: [] }));
}

function methodNotAllowed(res: ServerResponse, allow: string): void {
  res.setHeader('Allow', allow);
  sendProblem(res, 405, 'This address does not accept that kind of request.');
}
