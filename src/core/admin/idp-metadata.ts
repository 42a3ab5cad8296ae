import { z } from 'zod';
import { idpMetadataXml } from '../../downstream-saml/idp-metadata.js';
import type { IdpMetadataResponse } from './admin-api-types.js';
import { parsePayload, type AdminAnswer, type AdminContext } from './admin-context.js';
import { bridgeValues, targetFields } from './setup-state.js';
import { DEFAULT_ID } from '../storage-keys.js';
import { connectionKeyRing } from './certificates.js';

/**
 * `idp/metadata`: the same IdP metadata XML the bridge serves at `/saml/metadata` (entity ID,
 * SSO URL, the active signing certificate and a next one being prepared), for the wizard to offer as a download without a cross-origin
 * request from the admin page.
 */
export async function idpMetadata(ctx: AdminContext, payload: unknown): Promise<AdminAnswer<IdpMetadataResponse>> {
  const parsed = parsePayload(z.strictObject(targetFields), payload);
  if (!parsed.ok) return parsed.refusal;
  const connectionId = parsed.value.connectionId ?? DEFAULT_ID;
  const ring = await connectionKeyRing(ctx, connectionId);
  const values = bridgeValues(ctx, ring.active.certificatePem, connectionId);
  const fileName = connectionId === DEFAULT_ID ? 'idp-metadata.xml' : `idp-metadata-${connectionId}.xml`;
  return { xml: idpMetadataXml({ entityId: values.idpEntityId, ssoUrl: values.ssoUrl }, ring), fileName };
}
