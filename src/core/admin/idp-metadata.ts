import { z } from 'zod';
import { idpMetadataXml } from '../../downstream-saml/idp-metadata.js';
import type { IdpMetadataResponse } from './admin-api-types.js';
import { parsePayload, type AdminAnswer, type AdminContext } from './admin-context.js';
import { bridgeValues } from './setup-state.js';

/**
 * `idp/metadata`: the same IdP metadata XML the bridge serves at `/saml/metadata` (entity ID,
 * SSO URL, signing certificate), for the wizard to offer as a download without a cross-origin
 * request from the admin page.
 */
export async function idpMetadata(ctx: AdminContext, payload: unknown): Promise<AdminAnswer<IdpMetadataResponse>> {
  const parsed = parsePayload(z.strictObject({}), payload);
  if (!parsed.ok) return parsed.refusal;
  const credentials = await ctx.signingCredentials();
  // The wizard's settings carry no IdP entity ID, so it is the default, as in config/get.
  const values = bridgeValues(ctx, credentials);
  return { xml: idpMetadataXml({ entityId: values.idpEntityId, ssoUrl: values.ssoUrl }, credentials), fileName: 'idp-metadata.xml' };
}
