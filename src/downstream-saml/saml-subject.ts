import type { AuthenticatedUser } from '../core/authenticated-user.js';
import { NAMEID_FORMAT, SAML_ATTRIBUTE, type SamlAttribute } from './saml-attributes.js';

/** What will be said about the user to the service provider. */
export interface SamlSubject {
  nameId: string;
  nameIdFormat: string;
  attributes: SamlAttribute[];
}

/** The NameID and attributes for Atlassian Guard (PLATFORM.md §1), from the neutral user alone. Pure. */
export function samlSubjectFor(user: AuthenticatedUser): SamlSubject {
  const displayName = user.displayName ?? ([user.givenName, user.familyName].filter(Boolean).join(' ') || undefined);
  const attributes: SamlAttribute[] = [
    { name: SAML_ATTRIBUTE.email, values: [user.email] },
    { name: SAML_ATTRIBUTE.stableId, values: [user.stableId] },
  ];
  if (user.givenName) attributes.push({ name: SAML_ATTRIBUTE.givenName, values: [user.givenName] });
  if (user.familyName) attributes.push({ name: SAML_ATTRIBUTE.surname, values: [user.familyName] });
  if (displayName) attributes.push({ name: SAML_ATTRIBUTE.displayName, values: [displayName] });
  return {
    nameId: user.nameId.value,
    nameIdFormat: user.nameId.kind === 'email' ? NAMEID_FORMAT.emailAddress : NAMEID_FORMAT.unspecified,
    attributes,
  };
}
