import type { BridgeResponse } from '../../src/core/http-types.js';
import type { DemoUser } from './demo-provider.js';
import { renderUserTable } from './demo-provider.js';
import { contentSecurityPolicy, escapeHtml, htmlPageHeaders, renderPage } from './html.js';

export interface DemoHomeOptions {
  /** The demo SAML service provider's start page. */
  spUrl: string;
  /** The demo OpenID provider's issuer. */
  providerUrl: string;
  /** The bridge's admin page, when there is one. */
  adminUrl?: string;
  users: readonly Pick<DemoUser, 'email' | 'password' | 'email_verified' | 'name'>[];
}

/**
 * The landing page of demo mode (http://localhost:8080/): what the three parts are and a link
 * that starts a login. Static: render once, serve many times (no nonce, the style is hashed).
 */
export function renderDemoHome(options: DemoHomeOptions): BridgeResponse {
  const provider = options.providerUrl.replace(/\/+$/, '');
  const body = `<h1>OIDC → SAML bridge: demo</h1>
<p>Three parts run in this one server, wired together:</p>
<ol>
<li><strong>A demo Atlassian</strong> (<a href="${escapeHtml(options.spUrl)}">${escapeHtml(options.spUrl)}</a>):
a SAML service provider that plays Atlassian Guard. It sends a SAML AuthnRequest and verifies the signed answer.</li>
<li><strong>The bridge</strong>: a SAML identity provider toward Atlassian and an OpenID Connect client toward your
company's identity provider. It turns the one login into the other.</li>
<li><strong>A demo OpenID provider</strong> (<a href="${escapeHtml(`${provider}/`)}">${escapeHtml(provider)}</a>):
plays Okta or Entra ID, where people type their password.</li>
</ol>
<p>Demo Atlassian → bridge → demo OpenID provider → bridge → demo Atlassian.</p>
<p><a class="button big" id="start" href="${escapeHtml(options.spUrl)}">Start a demo login</a></p>
${options.adminUrl ? `<p>Configure the bridge: <a href="${escapeHtml(options.adminUrl)}">${escapeHtml(options.adminUrl)}</a></p>` : ''}
${renderUserTable(options.users)}
<p class="muted">Alice and Bob get in. The bridge refuses Mallory (email not verified) and Eve (domain not allowed).
To try another account, <a href="${escapeHtml(`${provider}/session/end`)}">sign out of the demo OpenID provider</a> first.</p>`;
  return {
    status: 200,
    headers: htmlPageHeaders(contentSecurityPolicy({ formAction: [] })),
    body: renderPage({ title: 'OIDC → SAML bridge: demo', body }),
  };
}
