import { SAML, ValidateInResponseTo } from '@node-saml/node-saml';
import { DOMParser } from '@xmldom/xmldom';

/** Checks a SAMLResponse as a service provider would (node-saml, both signatures required). */
export async function verifySamlResponse(
  samlResponse: string,
  expected: { certificateBase64: string; spEntityId: string; acsUrl: string; idpIssuer?: string },
): Promise<{ nameId: string | undefined; attributes: number }> {
  const sp = new SAML({
    idpCert: expected.certificateBase64,
    issuer: expected.spEntityId,
    audience: expected.spEntityId,
    callbackUrl: expected.acsUrl,
    ...(expected.idpIssuer ? { idpIssuer: expected.idpIssuer } : {}),
    wantAuthnResponseSigned: true,
    wantAssertionsSigned: true,
    validateInResponseTo: ValidateInResponseTo.never,
    acceptedClockSkewMs: 5_000,
  });
  const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: samlResponse });
  if (!profile) throw new Error('no profile in the response');
  return { nameId: profile.nameID, attributes: Object.keys(profile.attributes ?? {}).length };
}

/** How many XML signatures (ds:Signature elements) a base64 SAMLResponse carries. */
export function countSignatures(samlResponse: string): number {
  const document = new DOMParser().parseFromString(Buffer.from(samlResponse, 'base64').toString('utf8'), 'text/xml');
  return document.getElementsByTagNameNS('http://www.w3.org/2000/09/xmldsig#', 'Signature').length;
}
