/**
 * One error class for every runtime and protocol failure, with a stable code from a closed
 * union. The table below is the only place that decides what a failure looks like to the person
 * in the browser (status and plain message); the log gets the private `detail` instead.
 * Tests assert on codes, never on message text.
 */

const table = {
  // The AuthnRequest from the service provider.
  saml_request_missing: [400, 'The sign-in request is missing', 'The page was opened without a SAML sign-in request. Start again from your Atlassian product.'],
  saml_request_malformed: [400, 'The sign-in request is not valid', 'The SAML sign-in request could not be read. Start again from your Atlassian product.'],
  saml_request_too_large: [400, 'The sign-in request is too large', 'The SAML sign-in request is larger than any real one. Start again from your Atlassian product.'],
  saml_request_unsupported: [400, 'The sign-in request asks for something unsupported', 'The SAML sign-in request asks for a binding or option this identity provider does not offer.'],
  saml_request_stale: [400, 'The sign-in request is out of date', 'The SAML sign-in request was issued too long ago or in the future. Check the clocks and start again.'],
  saml_unknown_sp: [400, 'Unknown service provider', 'The sign-in request comes from a service provider this identity provider is not set up for.'],
  saml_acs_mismatch: [400, 'Unexpected return address', 'The sign-in request asks for the answer to be sent to an address that is not the configured one.'],
  saml_destination_mismatch: [400, 'The sign-in request is addressed elsewhere', 'The SAML sign-in request names another identity provider address as its destination. Check the SSO URL configured in your Atlassian organization.'],
  saml_nameid_policy_unsupported: [400, 'The sign-in request asks for an unsupported user identifier', 'The SAML sign-in request asks for a NameID format this identity provider cannot give; it sends email addresses only.'],
  saml_subject_mismatch: [403, 'Signed in as a different user', 'The sign-in request was for another account than the one you signed in with at your identity provider. Sign out there, or start again as that user.'],
  relay_state_invalid: [400, 'The sign-in request is not valid', 'The RelayState parameter is too long or not text.'],
  // A connection's start URL (IdP-initiated login, from a bookmark or a dashboard tile). One code
  // for a connection that is unknown and one that has it off, so a stranger cannot probe ids.
  idp_initiated_off: [404, 'This sign-in link is not turned on', 'This bookmark or dashboard tile does not lead to a sign-in that is turned on here. Sign in from your Atlassian site instead, or ask your administrator.'],
  idp_initiated_target_refused: [400, 'This sign-in link leads somewhere not allowed', 'The page this link would open after signing in is not Atlassian\'s start page nor a page of your organization\'s Atlassian site. Sign in from your Atlassian site instead, or ask your administrator.'],
  // The return from the OpenID provider.
  login_state_missing: [400, 'The sign-in link is incomplete', 'The return from the identity provider carries no state. Start again from your Atlassian product.'],
  login_unknown: [400, 'This sign-in is unknown or already used', 'This sign-in link was already used or never started here. Start again from your Atlassian product.'],
  login_expired: [400, 'This sign-in has expired', 'The sign-in took too long. Start again from your Atlassian product.'],
  login_browser_mismatch: [400, 'This sign-in started in another browser', 'Finish the sign-in in the browser where it started, or start again here.'],
  callback_malformed: [400, 'The sign-in link is not valid', 'The return from the identity provider repeats or garbles its parameters. Start again from your Atlassian product.'],
  oidc_code_missing: [400, 'The sign-in link is incomplete', 'The return from the identity provider carries no authorization code.'],
  oidc_issuer_mismatch: [400, 'Unexpected identity provider', 'The answer names an identity provider other than the configured one.'],
  // The provider's error=access_denied means a Cancel as much as a refusal (Okta, Entra and
  // oidc-provider send the same code for both), so the page does not claim to know which.
  oidc_access_denied: [403, 'Sign-in did not complete', 'The sign-in was cancelled, or your identity provider did not let you in. Try again; if your identity provider keeps refusing you, ask your administrator for access to the Atlassian application.'],
  oidc_authorization_error: [502, 'Your identity provider reported an error', 'Your identity provider could not complete the sign-in. Try again, or ask your administrator.'],
  oidc_id_token_invalid: [502, 'The identity provider\'s answer could not be verified', 'The identity token from your identity provider failed verification. Your administrator can look up the reference below.'],
  // The token endpoint's OAuth errors (RFC 6749 §5.2) that mean the bridge's registration at the
  // provider is wrong: no retry helps, an administrator must correct a field (see admin/test-advice.ts).
  oidc_client_rejected: [502, 'Single sign-on is not set up correctly', 'Your identity provider did not accept this sign-in service\'s credentials, so signing in this way cannot work until your administrator corrects them. Your administrator can look up the reference below.'],
  oidc_client_unauthorized: [502, 'Single sign-on is not set up correctly', 'Your identity provider does not allow this sign-in service to sign users in this way. Your administrator must change its settings; they can look up the reference below.'],
  oidc_redirect_uri_rejected: [502, 'Single sign-on is not set up correctly', 'Your identity provider does not know this sign-in service\'s return address. Your administrator must register it; they can look up the reference below.'],
  oidc_response_invalid: [502, 'The identity provider answered something unexpected', 'Your identity provider gave an answer that could not be used. Try again later.'],
  oidc_unreachable: [502, 'Your identity provider cannot be reached', 'The connection to your identity provider failed. Try again in a moment.'],
  oidc_timeout: [504, 'Your identity provider is not answering', 'Your identity provider took too long to answer. Try again in a moment.'],
  // The user the provider vouched for.
  user_email_missing: [403, 'No email address', 'Your identity provider did not send an email address for your account.'],
  user_email_invalid: [403, 'Email address not usable', 'The email address your identity provider sent is not a valid address.'],
  user_email_unverified: [403, 'Email address not verified', 'Your identity provider says your email address is not verified.'],
  user_domain_not_allowed: [403, 'Email domain not allowed', 'Accounts with your email domain may not sign in here.'],
  // The access rule (allowed groups, `access-rule.ts`).
  user_not_in_allowed_group: [403, 'Your account is not in an allowed group', 'Only members of certain groups may sign in here, and your identity provider does not list your account in any of them. Ask your administrator for access, or sign in with another account.'],
  user_groups_missing: [403, 'Your groups were not sent', 'Only members of certain groups may sign in here, and your identity provider did not say which groups your account is in. Ask your administrator; they can look up the reference below.'],
  user_groups_claim_invalid: [403, 'Your groups could not be read', 'Only members of certain groups may sign in here, and your identity provider sent your groups in a form this sign-in service does not accept. Your administrator can look up the reference below.'],
  user_groups_overage: [403, 'Your account is in too many groups to check', 'Only members of certain groups may sign in here, and your identity provider left your groups out because your account is in too many. Your administrator must change what the provider sends; they can look up the reference below.'],
  // The bridge itself.
  config_missing: [503, 'Single sign-on is not set up yet', 'An administrator has not finished setting up single sign-on.'],
  config_invalid: [503, 'Single sign-on is misconfigured', 'The single sign-on configuration is not valid. An administrator must correct it.'],
  login_capacity: [503, 'Too many sign-ins right now', 'The sign-in service is handling as many sign-ins as it can. Try again in a few minutes.'],
  storage_unavailable: [503, 'Sign-in is temporarily unavailable', 'The sign-in service could not save or read its data. Try again in a moment.'],
  method_not_allowed: [405, 'Method not allowed', 'This address does not accept that kind of request.'],
  not_found: [404, 'Not found', 'There is nothing at this address.'],
  internal: [500, 'Something went wrong', 'An unexpected error stopped the sign-in. Your administrator can look up the reference below.'],
} as const satisfies Record<string, readonly [number, string, string]>;

export type BridgeErrorCode = keyof typeof table;

/**
 * Refusals of the account the user signed in with at the provider, not of the login itself:
 * their error page offers "Use another account" where the provider can be asked to let the
 * user pick one (`prompt=select_account`).
 */
export const ANOTHER_ACCOUNT_MAY_HELP: ReadonlySet<BridgeErrorCode> = new Set<BridgeErrorCode>([
  'oidc_access_denied',
  'user_email_missing',
  'user_email_invalid',
  'user_email_unverified',
  'user_domain_not_allowed',
  'user_not_in_allowed_group',
  'user_groups_missing',
]);

/** Where "Try again" starts a new login when the connection names no site: Atlassian's own list of the user's sites. */
export const DEFAULT_ATLASSIAN_START_URL = 'https://start.atlassian.com';

export class BridgeError extends Error {
  override readonly name = 'BridgeError';
  /**
   * @param code stable code, chosen from the closed union
   * @param detail private explanation for the log; never shown to the user
   * @param options.retryAfterSeconds for a refusal that passes with time (shedding): the
   *   `Retry-After` its page carries
   */
  readonly retryAfterSeconds?: number;

  constructor(
    readonly code: BridgeErrorCode,
    readonly detail?: string,
    options?: { cause?: unknown; retryAfterSeconds?: number },
  ) {
    super(detail ? `${code}: ${detail}` : code, options?.cause === undefined ? undefined : { cause: options.cause });
    if (options?.retryAfterSeconds !== undefined) this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export interface PublicError {
  status: number;
  title: string;
  message: string;
}

export function publicError(code: BridgeErrorCode): PublicError {
  const [status, title, message] = table[code];
  return { status, title, message };
}

/** Every code, for tests and the admin documentation. */
export const bridgeErrorCodes = Object.keys(table) as BridgeErrorCode[];
