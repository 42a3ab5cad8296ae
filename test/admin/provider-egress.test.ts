import { describe, expect, it } from '@jest/globals';
import type { DiscoverResponse, EgressPlan } from '../../src/core/admin/admin-api-types.js';
import { runAdminResolver } from '../../src/core/admin/admin-resolvers.js';
import type { Fetch } from '../../src/core/ports.js';
import { memoryAdmin } from './support/memory-ports.js';

/**
 * provider/egress (which provider hosts need the admin's approval on Forge) and what
 * provider/discover says when Forge's egress proxy refuses a call with 403.
 */

const CUSTOM_ISSUER = 'https://login.company.com/oauth2/default';

async function egress(host: 'forge' | 'standalone', payload: unknown): Promise<EgressPlan> {
  const outcome = await runAdminResolver('provider/egress', memoryAdmin({ host }).ctx, payload);
  if (outcome.kind !== 'answer') throw new Error(`provider/egress did not answer: ${JSON.stringify(outcome)}`);
  return outcome.body as EgressPlan;
}

describe('provider/egress', () => {
  it('on Forge, asks approval for an Okta custom domain and none for an Okta org domain', async () => {
    await expect(egress('forge', { issuer: CUSTOM_ISSUER })).resolves.toEqual({ host: 'forge', covered: [], needsApproval: ['login.company.com'] });
    await expect(egress('forge', { issuer: 'https://acme.okta.com/oauth2/default' })).resolves.toEqual({
      host: 'forge',
      covered: ['acme.okta.com'],
      needsApproval: [],
    });
  });

  it('counts the endpoints the app calls, not the authorization endpoint the browser opens', async () => {
    const plan = await egress('forge', {
      issuer: 'https://Acme.Okta.com:443/oauth2/default',
      endpoints: {
        authorizationEndpoint: 'https://browser-only.example.com/authorize',
        tokenEndpoint: 'https://acme.okta.com/oauth2/default/v1/token',
        userinfoEndpoint: 'https://graph.microsoft.com/oidc/userinfo',
        jwksUri: 'https://keys.company.com/jwks',
      },
    });
    expect(plan).toEqual({ host: 'forge', covered: ['acme.okta.com', 'graph.microsoft.com'], needsApproval: ['keys.company.com'] });
  });

  it('on the standalone server, needs no approval', async () => {
    await expect(egress('standalone', { issuer: CUSTOM_ISSUER })).resolves.toEqual({ host: 'standalone', covered: ['login.company.com'], needsApproval: [] });
  });

  it('drops what is not a URL (discovery reports it) and refuses a payload of the wrong shape', async () => {
    await expect(egress('forge', { issuer: 'not a url' })).resolves.toEqual({ host: 'forge', covered: [], needsApproval: [] });
    const outcome = await runAdminResolver('provider/egress', memoryAdmin({ host: 'forge' }).ctx, { issuer: CUSTOM_ISSUER, extra: 1 });
    expect(outcome).toMatchObject({ kind: 'refused', body: { error: 'bad_request' } });
  });
});

/** A fetch port answering like Forge's egress proxy for a host that is not allowed. */
const forbidden: Fetch = async () => new Response('', { status: 403 });

async function discover(host: 'forge' | 'standalone', issuer: string, fetch: Fetch): Promise<DiscoverResponse> {
  const outcome = await runAdminResolver('provider/discover', memoryAdmin({ host, fetch }).ctx, { issuer });
  if (outcome.kind !== 'answer') throw new Error(`provider/discover did not answer: ${JSON.stringify(outcome)}`);
  return outcome.body as DiscoverResponse;
}

describe('provider/discover when Forge blocks the provider', () => {
  it('names an unapproved host refused with 403 on Forge as egress_not_approved', async () => {
    const answer = await discover('forge', CUSTOM_ISSUER, forbidden);
    expect(answer).toMatchObject({ ok: false, failure: 'egress_not_approved', blockedHost: 'login.company.com' });
  });

  it('names @forge/api\'s egress allowlist error the same way', async () => {
    const refused: Fetch = async () => {
      throw Object.assign(new Error('URL not included in the external fetch backend permissions'), { name: 'REQUEST_EGRESS_ALLOWLIST_ERR', status: 403 });
    };
    await expect(discover('forge', CUSTOM_ISSUER, refused)).resolves.toMatchObject({ ok: false, failure: 'egress_not_approved', blockedHost: 'login.company.com' });
  });

  it('keeps a 403 from a host a static remote covers as the provider\'s own http_error', async () => {
    await expect(discover('forge', 'https://acme.okta.com/oauth2/default', forbidden)).resolves.toMatchObject({ ok: false, failure: 'http_error' });
  });

  it('keeps a 403 on the standalone server as http_error', async () => {
    await expect(discover('standalone', CUSTOM_ISSUER, forbidden)).resolves.toMatchObject({ ok: false, failure: 'http_error' });
  });
});
