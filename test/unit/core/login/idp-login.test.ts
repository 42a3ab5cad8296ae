import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { ConnectionEntry } from '../../../../src/core/connections/directory.js';
import type { BridgeResponse } from '../../../../src/core/http-types.js';
import { inProcessBridge, type InProcessBridge } from '../../../support/in-process-bridge.js';

/**
 * The first leg of an IdP-initiated login (`startIdpLogin`, at `/saml/start/<connection>`),
 * in-process (core bridge, memory ports, stub provider): which connection, whether its start URL
 * is on, which landing page, which provider, and what goes to the provider. Fast enough for the
 * mutation run; the same flows against oidc-provider and node-saml are in
 * test/integration/idp-initiated.test.ts and connections.test.ts.
 */

const SITE = 'https://acme.atlassian.net';
const SECOND = { id: 'second', name: 'Second provider', domain: 'other.test' };

let b: InProcessBridge;
beforeAll(async () => {
  b = await inProcessBridge();
});
afterEach(() => b.reconfigure((base) => base));

const refusal = (response: BridgeResponse) => ({ status: response.status, code: response.headers['X-Bridge-Error'] });
const start = (connectionId = 'default', query: Record<string, string[]> = {}, headers: Record<string, string[]> = {}) =>
  b.get(`/saml/start/${connectionId}`, query, headers);
/** The detail of the last refusal the bridge logged (never shown to the user). */
const lastRefusalDetail = () => String([...b.logger.records].reverse().find((r) => r.fields.code !== undefined)?.fields.detail ?? '');

function turnOn(extra: Record<string, unknown> = {}) {
  b.reconfigure((base) => ({ ...base, ...extra, idpInitiated: { enabled: true, ...(extra.idpInitiated as object | undefined) } }));
}

/** The connection served with a second provider for `other.test` (the same stub behind it). */
function withSecondProvider() {
  b.reshapeDirectory((directory, config) => {
    const [only] = directory.connections as ConnectionEntry[];
    const second = { ...config, providerId: SECOND.id, allowedEmailDomains: [SECOND.domain] };
    return {
      ...directory,
      connections: [
        { ...only!, idpInitiated: { enabled: true }, providers: [...only!.providers, { id: SECOND.id, name: SECOND.name, domains: [SECOND.domain], config: async () => second }] },
      ],
    };
  });
}

/** Signs in at the stub from the provider redirect and returns the callback's auto-post page. */
async function finish(started: BridgeResponse): Promise<{ relayState: string | undefined; xml: string }> {
  expect(started.status).toBe(302);
  const cookie = started.cookies?.[0]?.split(';')[0];
  const page = await b.get('/oidc/callback', b.provider.authorize(started.headers.Location!), cookie ? { cookie: [cookie] } : {});
  expect(page.status).toBe(200);
  const samlResponse = /name="SAMLResponse" value="([^"]+)"/.exec(page.body)?.[1];
  const relayState = /name="RelayState" value="([^"]*)"/.exec(page.body)?.[1];
  return { relayState: relayState?.replaceAll('&#x2F;', '/').replaceAll('&#47;', '/'), xml: Buffer.from(samlResponse!, 'base64').toString('utf8') };
}

describe('which connection, and whether its start URL is on', () => {
  it('refuses while the start URL is off (the default), before any provider is called', async () => {
    const page = await start();
    expect(refusal(page)).toEqual({ status: 404, code: 'idp_initiated_off' });
    expect(page.headers.Location).toBeUndefined();
    expect(lastRefusalDetail()).toContain('is off');
  });

  it('refuses a connection id no connection has, and says in the log which case it was', async () => {
    turnOn();
    expect(refusal(await start('no-such-connection'))).toEqual({ status: 404, code: 'idp_initiated_off' });
    expect(lastRefusalDetail()).toContain('no connection no-such-connection');
  });

  it('refuses a connection that is not ready, naming it so in the log', async () => {
    b.reshapeDirectory((directory) => ({ ...directory, unready: [{ id: 'halfway', state: 'missing', problems: [] }] }));
    expect(refusal(await start('halfway'))).toEqual({ status: 404, code: 'idp_initiated_off' });
    expect(lastRefusalDetail()).toContain('connection halfway is not ready');
  });

  it('starts the named connection\'s login when on: a redirect to the provider, no InResponseTo at the end', async () => {
    turnOn();
    const started = await start();
    expect(new URL(started.headers.Location!).origin).toBe(b.config.oidc.issuer);
    const { relayState, xml } = await finish(started);
    expect(relayState).toBe('https://start.atlassian.com');
    expect(xml).not.toContain('InResponseTo');
  });
});

describe('the landing page', () => {
  it('sends the configured page of the connection\'s site as RelayState', async () => {
    turnOn({ atlassianSiteUrl: SITE, idpInitiated: { relayState: `${SITE}/wiki` } });
    expect((await finish(await start())).relayState).toBe(`${SITE}/wiki`);
  });

  it('refuses a target while the connection names no site', async () => {
    turnOn();
    expect(refusal(await start('default', { target: ['/jira'] }))).toEqual({ status: 400, code: 'idp_initiated_target_refused' });
  });
});

describe('a connection with two providers', () => {
  it('asks for the provider first: a choice page that comes back to the start URL by GET', async () => {
    withSecondProvider();
    const page = await start();
    expect(page.status).toBe(200);
    expect(page.body).toContain('id="provider-choice"');
    expect(page.body).toMatch(/method="get"/i);
    expect(page.body).toContain(SECOND.name);
  });

  it('routes by the email given, sends it as login_hint and remembers the choice', async () => {
    withSecondProvider();
    const started = await start('default', { bridge_email: [`carol@${SECOND.domain}`] });
    expect(started.status).toBe(302);
    expect(new URL(started.headers.Location!).searchParams.get('login_hint')).toBe(`carol@${SECOND.domain}`);
    expect(started.cookies?.some((c) => c.includes(SECOND.id))).toBe(true);
  });

  it('takes a picked provider without a hint', async () => {
    withSecondProvider();
    const started = await start('default', { bridge_provider: [SECOND.id] });
    expect(started.status).toBe(302);
    expect(new URL(started.headers.Location!).searchParams.has('login_hint')).toBe(false);
  });

  it('refuses a provider id that is not one of the connection\'s, and an address no provider serves', async () => {
    withSecondProvider();
    expect(refusal(await start('default', { bridge_provider: ['not-a-provider'] }))).toEqual({ status: 400, code: 'saml_request_malformed' });
    expect(refusal(await start('default', { bridge_email: ['someone@elsewhere.test'] }))).toEqual({ status: 403, code: 'user_domain_not_allowed' });
  });
});
