import type { ProviderPreset } from '../../../src/core/admin/admin-api-types.ts';

export interface PresetInfo {
  value: ProviderPreset;
  label: string;
  /** Placeholder for the issuer field. */
  issuerExample: string;
  /** A sentence under the issuer field. */
  issuerHint: string;
  /** Filled in when the issuer is empty and the preset has one fixed issuer. */
  fixedIssuer?: string;
  /** Where the admin registers the redirect URI at this provider. */
  registration: string;
  /**
   * What the provider says about whether an email is verified, and so what the admin must
   * decide about "sign in only users whose provider vouches for their email".
   */
  emailVerification: { sendsEmailVerified: boolean; note: string };
  /** How this provider sends the groups an access rule (allowed groups) reads, and how to set it up. */
  groups: string;
}

export const PRESETS: readonly PresetInfo[] = [
  {
    value: 'okta',
    label: 'Okta',
    issuerExample: 'https://your-org.okta.com/oauth2/default',
    issuerHint:
      'A custom authorization server: https://<your-org>.okta.com/oauth2/<id> ("default" for the prebuilt one); the org server: https://<your-org>.okta.com. Okta shows it under Security → API → Authorization Servers as the Issuer URI (its Metadata URI works too: the bridge reads the issuer from it).',
    registration: 'Applications → Applications → Create App Integration → OIDC - OpenID Connect → Web Application.',
    emailVerification: {
      sendsEmailVerified: true,
      note: 'Okta sends email_verified with the email scope: keep the check on.',
    },
  groups:
    'Okta sends groups only when asked: on the org authorization server, the app\'s Sign On tab → OpenID Connect ID Token → Groups claim type "Filter", claim name groups, and a filter such as "Matches regex .*" or "Starts with jira-"; on a custom authorization server, Security → API → your server → Claims → Add Claim (name groups, include in the ID token "Always", value type Groups, a filter). Okta leaves the claim out when the user is in no group the filter matches. Group names are compared exactly.',
  },
  {
    value: 'entra',
    label: 'Microsoft Entra ID',
    issuerExample: 'https://login.microsoftonline.com/<tenant-id>/v2.0',
    issuerHint: 'https://login.microsoftonline.com/<tenant-id>/v2.0, with your directory (tenant) ID from the app registration\'s Overview.',
    registration: 'Microsoft Entra admin center → App registrations → New registration → Redirect URI: Web.',
    emailVerification: {
      sendsEmailVerified: false,
      note: 'Microsoft Entra ID sends no email_verified, so with the check on every login is refused. Either add the optional claim xms_edov (App registration → Token configuration → Add optional claim → ID → xms_edov; the bridge reads it in place of email_verified), or turn the check off, but only if every user\'s email is in a domain your tenant has verified and users cannot set their own address.',
    },
  groups:
    'App registration → Token configuration → Add groups claim. Entra ID sends group object IDs (such as 0b9a7c1e-…), not names, so list the IDs. Over 200 groups the ID token carries no list at all (group overage, refused as user_groups_overage): choose "Groups assigned to the application" and assign the allowed groups to the enterprise application, or use app roles and set the groups claim to roles.',
  },
  {
    value: 'google',
    label: 'Google',
    issuerExample: 'https://accounts.google.com',
    issuerHint: 'Google has one issuer for everyone: https://accounts.google.com.',
    fixedIssuer: 'https://accounts.google.com',
    registration: 'Google Cloud console → APIs & Services → Credentials → Create credentials → OAuth client ID → Web application → Authorized redirect URIs.',
    emailVerification: {
      sendsEmailVerified: true,
      note: 'Google sends email_verified: keep the check on.',
    },
  groups: 'Google sends no groups claim in its ID tokens, so a group rule refuses everyone (user_groups_missing). Leave Allowed groups empty with Google.',
  },
  {
    value: 'auth0',
    label: 'Auth0',
    issuerExample: 'https://your-tenant.auth0.com/',
    issuerHint: 'https://<your-tenant>.auth0.com/ (or your custom domain), with the trailing slash Auth0 puts in its tokens.',
    registration: 'Auth0 dashboard → Applications → Create Application → Regular Web Application → Settings → Allowed Callback URLs.',
    emailVerification: {
      sendsEmailVerified: true,
      note: 'Auth0 sends email_verified (false until the user confirms the address, for database connections): keep the check on.',
    },
  groups:
    'Auth0 sends no groups by default: add them in a post-login Action as a namespaced custom claim (api.idToken.setCustomClaim("https://example.com/groups", [...])), and enter that claim name as the groups claim. It must be an array of names.',
  },
  {
    value: 'keycloak',
    label: 'Keycloak',
    issuerExample: 'https://keycloak.example.com/realms/your-realm',
    issuerHint: 'https://<host>/realms/<realm> (older Keycloak versions: https://<host>/auth/realms/<realm>).',
    registration: 'Keycloak admin console → your realm → Clients → Create client → OpenID Connect, Client authentication on → Valid redirect URIs.',
    emailVerification: {
      sendsEmailVerified: true,
      note: 'Keycloak sends email_verified with the email scope (the user\'s "Email verified" switch): keep the check on.',
    },
  groups:
    'Clients → your client → Client scopes → the dedicated scope → Add mapper → Group Membership, token claim name groups, "Add to ID token" on. With "Full group path" on Keycloak sends /team (and /parent/team), with it off only team: list the groups the way the mapper sends them.',
  },
  {
    value: 'other',
    label: 'Other',
    issuerExample: 'https://idp.example.com',
    issuerHint: 'The issuer your provider documents; its discovery document lives at <issuer>/.well-known/openid-configuration.',
    registration: 'Register a confidential "web" client using the authorization code flow, with this URL as its redirect URI.',
    emailVerification: {
      sendsEmailVerified: false,
      note: 'Check whether your provider sends email_verified (its discovery document lists claims_supported). If it sends none, every login is refused with the check on: turn it off only when users cannot choose their own address at the provider.',
    },
  groups: 'Find out which claim your provider puts the user\'s groups in (the test login in step 4 shows every claim it sent) and whether it is a list of names; enter that claim name.',
  },
];

export function presetInfo(value: ProviderPreset | undefined): PresetInfo {
  return PRESETS.find((p) => p.value === value) ?? PRESETS[0]!;
}
