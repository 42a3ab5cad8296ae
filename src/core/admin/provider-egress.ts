import { z } from 'zod';
import type { EgressPlan } from './admin-api-types.js';
import { parsePayload, type AdminAnswer, type AdminContext } from './admin-context.js';
import { planEgress } from '../egress-remotes.js';

const url = z.string().max(2048);
const requestSchema = z.strictObject({
  issuer: url,
  endpoints: z
    .strictObject({ authorizationEndpoint: url.optional(), tokenEndpoint: url.optional(), userinfoEndpoint: url.optional(), jwksUri: url.optional() })
    .optional(),
});

/**
 * `provider/egress`: which provider hosts the bridge may call from this host, before or after
 * discovery. Counts what the app itself fetches: the issuer (discovery), the token, userinfo
 * and JWKS endpoints. The authorization endpoint is left out on purpose: the user's browser
 * opens it, not the app, so no egress rule applies to it. Fetches nothing.
 */
export async function providerEgress(ctx: AdminContext, payload: unknown): Promise<AdminAnswer<EgressPlan>> {
  const parsed = parsePayload(requestSchema, payload);
  if (!parsed.ok) return parsed.refusal;
  const { issuer, endpoints = {} } = parsed.value;
  const fetched = [issuer, endpoints.tokenEndpoint, endpoints.userinfoEndpoint, endpoints.jwksUri].filter((u): u is string => Boolean(u));
  return planEgress(fetched, ctx.host);
}
