import SectionMessage from '@atlaskit/section-message';
import type { FieldProblem } from '../../../../src/core/admin/admin-api-types.ts';

/** Messages for one config path and everything below it (`allowedEmailDomains` covers `allowedEmailDomains.1`). */
export function messagesFor(problems: readonly FieldProblem[] | undefined, ...paths: string[]): string[] | undefined {
  if (!problems?.length) return undefined;
  const found = problems.filter((p) => paths.some((path) => p.path === path || p.path.startsWith(`${path}.`))).map((p) => p.message);
  return found.length ? [...new Set(found)] : undefined;
}

/** Problems no field on this step shows, so that none is silently dropped. */
export function unclaimed(problems: readonly FieldProblem[] | undefined, claimed: readonly string[]): FieldProblem[] {
  return (problems ?? []).filter((p) => !claimed.some((path) => p.path === path || p.path.startsWith(`${path}.`)));
}

export function WarningList(props: { warnings: readonly FieldProblem[]; title?: string }) {
  if (!props.warnings.length) return null;
  return (
    <SectionMessage appearance="warning" title={props.title ?? 'Check before you go on'}>
      <ul className="bridge-list">
        {props.warnings.map((w) => (
          <li key={`${w.path}:${w.message}`}>
            {w.path ? <strong>{fieldName(w.path)}: </strong> : null}
            {w.message}
          </li>
        ))}
      </ul>
    </SectionMessage>
  );
}

export function ErrorList(props: { errors: readonly FieldProblem[]; title?: string }) {
  if (!props.errors.length) return null;
  return (
    <SectionMessage appearance="error" title={props.title ?? 'Not saved: fix these first'}>
      <ul className="bridge-list">
        {props.errors.map((e) => (
          <li key={`${e.path}:${e.message}`}>
            {e.path ? <strong>{fieldName(e.path)}: </strong> : null}
            {e.message}
          </li>
        ))}
      </ul>
    </SectionMessage>
  );
}

const FIELD_NAMES: Record<string, string> = {
  preset: 'Identity provider',
  'oidc.issuer': 'Issuer URL',
  'oidc.clientId': 'Client ID',
  'oidc.clientSecret': 'Client secret',
  'oidc.scopes': 'Scopes',
  'oidc.clientAuthMethod': 'Client authentication method',
  'oidc.endpoints': 'Endpoints',
  'oidc.endpoints.authorizationEndpoint': 'Authorization endpoint',
  'oidc.endpoints.tokenEndpoint': 'Token endpoint',
  'oidc.endpoints.userinfoEndpoint': 'Userinfo endpoint',
  'oidc.endpoints.jwksUri': 'JWKS URI',
  serviceProvider: 'Values from Atlassian Guard',
  'serviceProvider.entityId': 'SP Entity ID',
  'serviceProvider.acsUrl': 'ACS URL',
  allowedEmailDomains: 'Allowed email domains',
  nameIdClaim: 'NameID claim',
  'attributeClaims.givenName': 'Given name claim',
  'attributeClaims.surname': 'Surname claim',
  'attributeClaims.displayName': 'Display name claim',
  'attributeClaims.stableId': 'Stable ID claim',
  requireVerifiedEmail: 'Refuse unverified emails',
  allowInternationalEmail: 'Internationalised email addresses',
  groupsClaim: 'Groups claim',
  allowedGroups: 'Allowed groups',
  baseUrl: 'Bridge URL',
};

/** A person's name for a config path (`oidc.issuer` → "Issuer URL"). */
export function fieldName(path: string): string {
  if (FIELD_NAMES[path]) return FIELD_NAMES[path];
  const parent = Object.keys(FIELD_NAMES)
    .filter((p) => path.startsWith(`${p}.`))
    .sort((a, b) => b.length - a.length)[0];
  return parent ? FIELD_NAMES[parent]! : path;
}
