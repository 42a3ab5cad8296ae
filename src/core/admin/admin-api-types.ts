/**
 * The contract between the setup wizard (static/admin, in the browser) and its resolvers (the
 * same functions on Forge, through `@forge/bridge` `invoke`, and in the standalone server, over
 * HTTP at `/admin/api/<key>`). One module, imported by both sides; nothing here may carry a
 * secret toward the browser.
 */

import type { ProviderPreset, SettingsKeyOfStep, WizardSettings } from '../config-fields.js';
import type { TestAdvice } from './test-advice.js';
import type { BackupExportRequest, BackupExportResponse, BackupImportRequest, BackupImportResponse, BackupPreviewResponse } from './backup-api-types.js';

/** Resolver keys, read like paths. */
export type AdminResolverKey =
  | 'config/get'
  | 'config/save'
  | 'provider/discover'
  | 'provider/egress'
  | 'sp/parse-metadata'
  | 'test/start'
  | 'test/result'
  | 'rollout/save'
  | 'users/preview'
  | 'idp/metadata'
  | 'connections/save'
  | 'connections/delete'
  | 'providers/save'
  | 'providers/delete'
  | 'audit/query'
  | 'audit/export'
  | 'owners/get'
  | 'owners/add'
  | 'owners/remove'
  | 'ownership/request'
  | 'ownership/cancel'
  | 'draft/apply'
  | 'draft/discard'
  | 'certificate/prepare'
  | 'certificate/activate'
  | 'certificate/undo'
  | 'certificate/discard-next'
  | 'client-key/get'
  | 'client-key/prepare'
  | 'client-key/activate'
  | 'client-key/undo'
  | 'client-key/discard-next'
  | 'errors/explain'
  | 'providers/health'
  | 'backup/export'
  | 'backup/export-sealed'
  | 'backup/preview'
  | 'backup/import';

/**
 * Which connection, and which provider of it, a wizard call is about. Omitted: the first
 * release's single configuration (`default`), or the first connection and its first provider.
 */
export interface ConnectionTarget {
  connectionId?: string;
  providerId?: string;
}

/** One connection as the admin page lists it. */
export interface ConnectionSummary {
  id: string;
  name: string;
  /** Raised by every change; a save that names an older one is refused as a conflict. */
  revision: number;
  spEntityId?: string;
  /** This connection's IdP metadata URL (the first connection's is the first release's). */
  metadataUrl: string;
  /** Complete: logins for its service provider work. */
  ready: boolean;
  providers: { id: string; name: string; domains: string[] }[];
}

export type { ProviderPreset };

/** Wizard steps, in order; progress is saved per step so an admin can leave and come back. */
export type WizardStep =
  | 'overview'
  | 'callback'
  | 'provider'
  | 'test'
  | 'idp-values'
  | 'sp-values'
  | 'users'
  | 'enforce';

export interface FieldProblem {
  /** Dotted config path, as in `ConfigProblem`: `oidc.issuer`, `serviceProvider.acsUrl`. */
  path: string;
  message: string;
}

/**
 * The editable settings: the raw configuration minus `baseUrl` (the host knows it), minus the
 * fields only a configuration file sets, and minus the client secret (write-only; see
 * `clientSecret` in `ConfigSaveRequest`). Derived from the field table (`config-fields.ts`);
 * `oidc.endpoints`, when set, is manual mode (no discovery).
 */
export type AdminSettings = WizardSettings;

/** What the wizard shows of one configuration field (from the field table, `config-fields.ts`). */
export interface ConfigFieldInfo {
  label: string;
  help?: string;
  /** The step that edits it (of a group: the one step of all its fields); absent: the configuration file only. */
  step?: WizardStep;
  /** Write-only: kept in secret storage, never shown again. */
  secret: boolean;
}

/** The bridge's own values, shown to the admin to paste into the provider and into Guard. */
export interface BridgeValues {
  baseUrl: string;
  /** OIDC redirect URI to register at the provider. */
  callbackUrl: string;
  /** IdP Entity ID for Guard. */
  idpEntityId: string;
  /** IdP SSO URL for Guard. */
  ssoUrl: string;
  metadataUrl: string;
  /** The connection's start URL for sign-in from a bookmark or dashboard tile (IdP-initiated), when turned on. */
  idpInitiatedStartUrl: string;
  /** The public signing certificate (PEM, exact line layout to paste into Guard). */
  certificatePem: string;
}

export interface RolloutChecklist {
  domainLinked: boolean;
  testPolicyCreated: boolean;
  adminOutsideSso: boolean;
  enforced: boolean;
}

/**
 * Whether logins are bound to the browser that started them (login CSRF protection), and why:
 * what the last connection test saw of the binding cookie through this host.
 */
export interface BrowserBindingStatus {
  /** `not_measured` until a connection test got through the provider. */
  cookie: 'not_measured' | 'seen' | 'not_seen';
  /** When the last test saw it (ms since the epoch). */
  checkedAt?: number;
  /** Whether a login starting now is bound. */
  bound: boolean;
  /** Binding turned off in the configuration file (`bindLoginToBrowser: false`). */
  offInConfig?: boolean;
}

export interface SetupStatus {
  /** True when the saved settings plus the stored secret form a valid, complete configuration:
   * the SSO URL serves logins. */
  configured: boolean;
  /** Config paths still missing or invalid before `configured`. */
  missing: string[];
  clientSecretSet: boolean;
  /** A test login succeeded with the provider settings the wizard edits (the draft's, while there is one). */
  testPassed: boolean;
  /**
   * Derived, never stored: the applied settings are complete, a connection test of exactly the
   * applied provider settings passed, and every rollout step is ticked.
   */
  live: boolean;
  /** A connection test of exactly the applied provider settings passed. */
  appliedTestPassed: boolean;
  /** Users sign in with this connection (complete, rollout confirmed), or a draft exists: a save goes to the draft. */
  editsGoToDraft: boolean;
  /** The connection's draft, while there is one: users still get the applied settings. */
  draft?: DraftStatus;
  completedSteps: WizardStep[];
  /** The step the overview suggests next. */
  nextStep: WizardStep;
  browserBinding: BrowserBindingStatus;
}

export interface DraftStatus {
  /** The connection's fields the draft changes (`providers.<id>.oidc.clientId`); names only, never values. */
  fields: string[];
  /** A connection test of exactly this draft passed, for every provider of the connection. */
  testPassed: boolean;
  /** Providers whose test of this draft has not passed. */
  untestedProviders: string[];
  /** The applied connection changed since the draft was started: it cannot be applied, only discarded. */
  stale: boolean;
}

/** What an admin types to apply a draft that has not passed a test (recorded as such in the audit trail). */
export const APPLY_UNTESTED_CONFIRMATION = 'APPLY UNTESTED';

export interface DraftApplyRequest extends ConnectionTarget {
  /** `APPLY_UNTESTED_CONFIRMATION`, typed by the admin, to apply a draft without a passing test. */
  confirmUntested?: string;
}

export type DraftApplyResponse =
  | { ok: true; untested: boolean; status: SetupStatus; connection: ConnectionSummary }
  | { ok: false; reason: 'no_draft' | 'untested' | 'incomplete' | 'stale' | 'conflict'; message: string; problems?: FieldProblem[] };

export type DraftDiscardResponse = { ok: true; status: SetupStatus; connection: ConnectionSummary } | { ok: false; reason: 'no_draft'; message: string };

export interface ConfigGetResponse {
  /** The connection and provider these settings are of. */
  connection: ConnectionSummary;
  providerId: string;
  /** Every connection. */
  connections: ConnectionSummary[];
  settings: AdminSettings;
  bridge: BridgeValues;
  status: SetupStatus;
  rollout: RolloutChecklist;
  /** Field help by dotted path, from the field table (`describeConfigFields`). */
  fieldHelp: Record<string, string>;
  /** Label, help, step and secrecy of every field and group by dotted path, from the field table. */
  fields: Record<string, ConfigFieldInfo>;
  /** Non-blocking remarks (e.g. an ACS URL that does not look like Atlassian's). */
  warnings: FieldProblem[];
  /** The latest connection test this admin started and can still read with `test/result`. */
  lastTestId?: string;
  /** The connection's signing certificates (`certificate/*`). */
  certificate: CertificateStatus;
}

export interface ConfigSaveRequest extends ConnectionTarget {
  /**
   * The connection's revision the page was showing; when the stored one is newer (another admin
   * saved meanwhile) nothing is written and the answer says `conflict`.
   */
  expectedRevision?: number;
  /**
   * Fields to change; omitted fields keep their saved value. Objects merge field by field,
   * except `oidc.endpoints`, which is replaced as a whole: `{}` (or all four empty) turns manual
   * mode off again. An empty string for an optional field (`oidc.endpoints.userinfoEndpoint`)
   * removes it. Arrays replace the saved array.
   */
  settings: AdminSettings;
  /** Write-only: a new client secret. Omitted or empty keeps the saved one. */
  clientSecret?: string;
  /** The step this save completes, for resumable progress. */
  step?: WizardStep;
}

export type ConfigSaveResponse =
  | { ok: true; status: SetupStatus; warnings: FieldProblem[]; connection: ConnectionSummary }
  | {
      ok: false;
      errors: FieldProblem[];
      warnings: FieldProblem[];
      conflict?: true;
      /** The SP Entity ID and ACS URL are Guard's two values the wrong way round: swapping them clears the errors (the wizard offers "Swap them"). */
      swapGuardValues?: true;
    };

export interface DiscoverRequest {
  issuer: string;
}

/** `egress_not_approved`: on Forge, the egress proxy refused the call (HTTP 403) because no
 * static remote covers the host and no admin has approved it through customer-managed egress. */
export type DiscoverFailure =
  | 'invalid_url'
  | 'unreachable'
  | 'timeout'
  | 'not_json'
  | 'issuer_mismatch'
  | 'missing_endpoints'
  | 'http_error'
  /** The host name does not resolve. */
  | 'dns_failure'
  /** The TLS handshake failed (an expired, self-signed or mismatched certificate). */
  | 'tls_failure'
  | 'egress_not_approved'
  /** Standalone: the issuer's host is (or resolves to) a private, link-local or internal address. */
  | 'private_address';

export type DiscoverResponse =
  | {
      ok: true;
      issuer: string;
      endpoints: { authorizationEndpoint: string; tokenEndpoint: string; userinfoEndpoint?: string; jwksUri: string };
      scopesSupported?: string[];
      tokenEndpointAuthMethods?: string[];
      /**
       * What was entered, when it was a discovery document's URL rather than the issuer
       * (Okta's "Metadata URI"): `issuer` is the one that document names, to use instead.
       */
      enteredDiscoveryUrl?: string;
    }
  | {
      ok: false;
      failure: DiscoverFailure;
      message: string;
      /** With `egress_not_approved`: the host the admin must approve (as `EgressPlan` names hosts). */
      blockedHost?: string;
    };

/** Which host runs the resolvers. Only Forge restricts which hosts the app may call. */
export type AdminHost = 'forge' | 'standalone';

/** `provider/egress`: the provider's URLs the app itself calls (the authorization endpoint,
 * opened by the user's browser, is accepted and ignored). */
export interface EgressRequest {
  issuer: string;
  endpoints?: { authorizationEndpoint?: string; tokenEndpoint?: string; userinfoEndpoint?: string; jwksUri?: string };
}

/**
 * Host names (lower case, no port) the app calls for this provider. On Forge, `covered` are
 * reachable through a static remote of the manifest and `needsApproval` only once an admin
 * approves them (customer-managed egress, early access on Forge); until then Forge answers
 * their calls with HTTP 403. The standalone server restricts nothing: all are `covered`.
 */
export type EgressPlan =
  | { host: 'forge'; covered: string[]; needsApproval: string[] }
  | { host: 'standalone'; covered: string[]; needsApproval: [] };

export interface ParseSpMetadataRequest {
  xml: string;
}

export type ParseSpMetadataResponse =
  | {
      ok: true;
      entityId: string;
      acsUrl: string;
      /** As for `config/save`: values that do not look like Atlassian Guard's. */
      warnings?: FieldProblem[];
    }
  | { ok: false; message: string; problem?: SpMetadataProblem };

/** Why SP metadata could not be read (the message says it for people). */
export type SpMetadataProblem =
  | 'empty'
  | 'too_large'
  | 'dtd'
  | 'not_xml'
  | 'not_metadata'
  | 'no_service_provider'
  | 'several_service_providers'
  | 'no_entity_id'
  | 'no_post_acs'
  | 'invalid_values';

export interface TestStartResponse {
  testId: string;
  /**
   * Open in a new tab: the bridge's `/test/start`, which sets the browser-binding cookie and
   * redirects to the provider's authorization URL, so the test measures whether the cookie comes
   * back through this host.
   */
  startUrl: string;
}

export interface TestResultRequest {
  testId: string;
}

export type TestResultResponse =
  | { state: 'pending' }
  | {
      state: 'succeeded';
      claims: Record<string, unknown>;
      /** Exactly what would be sent to Atlassian, without sending it. */
      nameId: string;
      nameIdFormat: string;
      attributes: { name: string; values: string[] }[];
      /** Checks the test could not make yet, e.g. `allowedEmailDomains` before step 7. */
      warnings?: FieldProblem[];
      /** Whether the binding cookie came back through this host (see `BrowserBindingStatus`). */
      bindingCookie?: 'seen' | 'not_seen';
    }
  | {
      state: 'failed';
      code: string;
      title: string;
      message: string;
      reference: string;
      /** For a failure an administrator's field explains (the provider's invalid_client, ...): what to check, and where. */
      advice?: TestAdvice;
      claims?: Record<string, unknown>;
      bindingCookie?: 'seen' | 'not_seen';
    };

export interface RolloutSaveRequest extends ConnectionTarget {
  rollout: Partial<RolloutChecklist>;
}

export interface RolloutSaveResponse {
  rollout: RolloutChecklist;
  status: SetupStatus;
}

/** Step 7: the user settings tried against the claims of the last connection test, unsaved. */
export interface UsersPreviewRequest extends ConnectionTarget {
  /** Candidate values of step 7's settings; omitted fields use the saved ones. */
  settings?: Pick<AdminSettings, SettingsKeyOfStep<'users'>>;
}

export type UsersPreviewResponse =
  /** No connection test has brought claims yet (or they have expired). */
  | { state: 'no_test' }
  /** The candidate settings themselves are not valid. */
  | { state: 'invalid'; errors: FieldProblem[] }
  | {
      state: 'accepted';
      claims: Record<string, unknown>;
      nameId: string;
      nameIdFormat: string;
      attributes: { name: string; values: string[] }[];
      /** Checks the preview could not make, e.g. no `allowedEmailDomains` yet. */
      warnings?: FieldProblem[];
      access?: AccessRulePreview;
    }
  /** This user would be refused at login (`code` as on the end-user page, e.g. user_domain_not_allowed). */
  | { state: 'refused'; claims: Record<string, unknown>; code: string; title: string; message: string; access?: AccessRulePreview };

/**
 * What the access rule (allowed groups) alone says of the test user, when the settings have one;
 * `message` is for the admin ("would be allowed because …"). Judged even when another check
 * refuses the user first.
 */
export type AccessRulePreview =
  | { verdict: 'allowed'; group: string; message: string }
  | { verdict: 'refused'; code: string; message: string }
  /** The test kept no usable copy of the groups claim (too large to store): the rule was not applied to the preview. */
  | { verdict: 'not_checked'; message: string };

/** Step 5: the IdP metadata XML to download and upload to Guard (or keep). */
export interface IdpMetadataResponse {
  xml: string;
  fileName: string;
}

/** Days before a signing certificate's expiry from which the admin page warns (Guard warns from 30). */
export const CERTIFICATE_WARNING_DAYS = 60;

/** One signing certificate as the admin page shows it: public values only. */
export interface CertificateSummary {
  /** SHA-256 of the DER certificate, `AA:BB:…`. */
  fingerprint: string;
  /** ISO time the certificate expires. */
  notAfter: string;
  /** Whole days until `notAfter` (negative once expired). */
  daysLeft: number;
  /** Exactly `-----BEGIN CERTIFICATE-----\n`, base64 in lines of 64, `\n-----END CERTIFICATE-----`. */
  certificatePem: string;
}

/** A connection's signing certificates: the active one, a next one being prepared, and undo. */
export interface CertificateStatus {
  active: CertificateSummary & {
    /** When it became active by a switch (absent for the first key). */
    activatedAt?: string;
    /** Within `CERTIFICATE_WARNING_DAYS` of expiry, or expired. */
    expiresSoon: boolean;
  };
  /** Prepared with `certificate/prepare`, published as a second signing key until activated or discarded. */
  next?: CertificateSummary & { preparedAt: string };
  /** The certificate `certificate/undo` restores, until when. */
  undo?: { fingerprint: string; notAfter: string; until: string };
}

/** `certificate/activate`, `certificate/undo`, `certificate/discard-next`: the fingerprint the page showed. */
export interface CertificateChangeRequest extends ConnectionTarget {
  fingerprint: string;
}

/** Why a certificate change was not made; the status is the current one either way. */
export type CertificateRefusalReason = 'conflict' | 'no_next' | 'next_changed' | 'no_previous' | 'previous_changed' | 'undo_expired';

export type CertificateChangeResponse =
  | { ok: true; certificate: CertificateStatus }
  | { ok: false; reason: CertificateRefusalReason; message: string; certificate: CertificateStatus };

/** A public key of a client key ring as a JWK (RFC 7517): RSA, RS256, its certificate in `x5c`. */
export interface PublicClientJwk {
  kty: 'RSA';
  n: string;
  e: string;
  kid: string;
  use: 'sig';
  alg: 'RS256';
  x5c: [string];
  'x5t#S256': string;
}

/** A provider's client keys (`private_key_jwt`): public values only, the ring as the signing certificates'. */
export interface ClientKeyStatus {
  /** Where the provider fetches the public keys (the active one, and the next one while prepared). */
  jwksUrl: string;
  /** The same JWKS, to paste or download. */
  jwks: { keys: PublicClientJwk[] };
  /** The certificates of the keys (Entra ID registers the certificate), with the active key's `kid`. */
  keys: CertificateStatus & { activeKid: string; nextKid?: string };
}

/** `client-key/get`: the status, or only the URL while the provider has no key yet. */
export type ClientKeyResponse = ({ exists: true } & ClientKeyStatus) | { exists: false; jwksUrl: string };

/** `client-key/activate`, `client-key/undo`, `client-key/discard-next`: the fingerprint the page showed. */
export interface ClientKeyChangeRequest extends ConnectionTarget {
  fingerprint: string;
}

export type ClientKeyChangeResponse =
  | { ok: true; clientKey: ClientKeyStatus }
  | { ok: false; reason: CertificateRefusalReason; message: string; clientKey?: ClientKeyStatus };

/** `connections/save`: a new connection (no `connectionId`; it gets one provider), or a new name. */
export interface ConnectionSaveRequest {
  connectionId?: string;
  name: string;
  expectedRevision?: number;
}

/** `providers/save`: a new provider of a connection (no `providerId`), or a new name. */
export interface ProviderSaveRequest {
  connectionId: string;
  providerId?: string;
  name: string;
  expectedRevision?: number;
}

export type ConnectionChangeResponse =
  | { ok: true; connection: ConnectionSummary; connections: ConnectionSummary[]; providerId?: string }
  | { ok: false; message: string; conflict?: true };

/** Deleting asks for the revision the admin confirmed, so a connection changed meanwhile is not deleted unseen. */
export interface ConnectionDeleteRequest {
  connectionId: string;
  expectedRevision: number;
}

export interface ProviderDeleteRequest {
  connectionId: string;
  providerId: string;
  expectedRevision: number;
}

export type ConnectionDeleteResponse = { ok: true; connections: ConnectionSummary[] } | { ok: false; message: string; conflict?: true };

/** The audit trail's filters (all optional, combined with AND); times in ms since the epoch. */
export interface AuditQueryRequest {
  reference?: string;
  email?: string;
  outcome?: 'ok' | 'refused';
  connectionId?: string;
  kind?: 'login' | 'change';
  from?: number;
  to?: number;
  limit?: number;
  cursor?: string;
}

/** One audit record as the admin page shows it (`audit-trail.ts`), with the code's public title. */
export interface AuditRecordView {
  kind: 'login' | 'change';
  reference: string;
  time: number;
  connectionId?: string;
  outcome: 'ok' | 'refused';
  code?: string;
  /** The end user's page title for `code`. */
  codeTitle?: string;
  flow?: 'sp' | 'test' | 'idp';
  providerId?: string;
  email?: string;
  subject?: string;
  samlRequestId?: string;
  samlResponseId?: string;
  durationMs?: number;
  actor?: string;
  action?: string;
  fields?: string[];
}

export interface AuditQueryResponse {
  records: AuditRecordView[];
  next?: string;
}

export interface AuditExportResponse {
  csv: string;
  fileName: string;
  /** More records matched than one export holds (`AUDIT_EXPORT_MAX`): narrow the filters. */
  truncated: boolean;
  rows: number;
}

/** A refusal the resolvers return instead of data (not an exception across the bridge). */
export interface AdminRefusal {
  /** `owner_required`: the call changes who signs in, or as whom, and the caller is not an SSO owner. */
  error: 'not_admin' | 'admin_check_failed' | 'bad_request' | 'unauthorized' | 'owner_required';
  message: string;
  /** With `bad_request` from `test/start`: what must be completed first. */
  problems?: FieldProblem[];
  /** With `bad_request` from `test/start` when the provider failed: the failure code. */
  code?: string;
  /** The reference written to the log for this refusal, when there is one. */
  reference?: string;
}

/** One SSO owner: an admin who may change what decides who signs in (`owners.ts`). */
export interface OwnerView {
  /** The Atlassian account id (Forge), or the admin token's identity (standalone). */
  id: string;
  addedAt: number;
  /** Who added this owner; `ownership-request` when a recovery request took effect. */
  addedBy: string;
}

/** A non-owner's request to become an owner: it takes effect at `dueAt` unless an owner cancels it. */
export interface OwnershipRequestView {
  requester: string;
  requestedAt: number;
  dueAt: number;
}

/** `owners/get` and the answer of every change to the owners. */
export interface OwnersResponse {
  owners: OwnerView[];
  /** Pending, shown to every admin from the moment it is made. */
  request?: OwnershipRequestView;
  /** The caller's identity, as an owner would be listed. */
  you: string;
  youAreOwner: boolean;
  /** No owner yet: the next change anyone saves makes its author the first owner. */
  unclaimed: boolean;
  /** How long a request waits before it takes effect. */
  requestDelayMs: number;
}

export interface OwnerChangeRequest {
  id: string;
}

export interface AdminResolverMap {
  'config/get': { request: ConnectionTarget; response: ConfigGetResponse };
  'config/save': { request: ConfigSaveRequest; response: ConfigSaveResponse };
  'provider/discover': { request: DiscoverRequest; response: DiscoverResponse };
  'provider/egress': { request: EgressRequest; response: EgressPlan };
  'sp/parse-metadata': { request: ParseSpMetadataRequest; response: ParseSpMetadataResponse };
  'test/start': { request: ConnectionTarget; response: TestStartResponse };
  'test/result': { request: TestResultRequest; response: TestResultResponse };
  'rollout/save': { request: RolloutSaveRequest; response: RolloutSaveResponse };
  'users/preview': { request: UsersPreviewRequest; response: UsersPreviewResponse };
  'idp/metadata': { request: ConnectionTarget; response: IdpMetadataResponse };
  'connections/save': { request: ConnectionSaveRequest; response: ConnectionChangeResponse };
  'connections/delete': { request: ConnectionDeleteRequest; response: ConnectionDeleteResponse };
  'providers/save': { request: ProviderSaveRequest; response: ConnectionChangeResponse };
  'providers/delete': { request: ProviderDeleteRequest; response: ConnectionDeleteResponse };
  'audit/query': { request: AuditQueryRequest; response: AuditQueryResponse };
  'audit/export': { request: Omit<AuditQueryRequest, 'cursor' | 'limit'>; response: AuditExportResponse };
  'owners/get': { request: Record<string, never>; response: OwnersResponse };
  'owners/add': { request: OwnerChangeRequest; response: OwnersResponse };
  'owners/remove': { request: OwnerChangeRequest; response: OwnersResponse };
  'ownership/request': { request: Record<string, never>; response: OwnersResponse };
  'ownership/cancel': { request: Record<string, never>; response: OwnersResponse };
  'draft/apply': { request: DraftApplyRequest; response: DraftApplyResponse };
  'draft/discard': { request: ConnectionTarget; response: DraftDiscardResponse };
  'certificate/prepare': { request: ConnectionTarget; response: CertificateChangeResponse };
  'certificate/activate': { request: CertificateChangeRequest; response: CertificateChangeResponse };
  'certificate/undo': { request: CertificateChangeRequest; response: CertificateChangeResponse };
  'certificate/discard-next': { request: CertificateChangeRequest; response: CertificateChangeResponse };
  'client-key/get': { request: ConnectionTarget; response: ClientKeyResponse };
  'client-key/prepare': { request: ConnectionTarget; response: ClientKeyChangeResponse };
  'client-key/activate': { request: ClientKeyChangeRequest; response: ClientKeyChangeResponse };
  'client-key/undo': { request: ClientKeyChangeRequest; response: ClientKeyChangeResponse };
  'client-key/discard-next': { request: ClientKeyChangeRequest; response: ClientKeyChangeResponse };
  'errors/explain': { request: ErrorsExplainRequest; response: ErrorsExplainResponse };
  'providers/health': { request: ProviderHealthRequest; response: ProviderHealthResponse };
  'backup/export': { request: BackupExportRequest; response: BackupExportResponse };
  'backup/export-sealed': { request: BackupExportRequest; response: BackupExportResponse };
  'backup/preview': { request: BackupImportRequest; response: BackupPreviewResponse };
  'backup/import': { request: BackupImportRequest; response: BackupImportResponse };
}

/** The facts of a connection an explained Atlassian error is checked against (`connection-checks.ts`). */
export type ConnectionCheckId =
  | 'clock_provider'
  | 'clock_browser'
  | 'assertion_window'
  | 'name_id_claim'
  | 'name_id_value'
  | 'rollout'
  | 'certificate_match'
  | 'certificate_expiry'
  | 'stable_id';

/** One check of one cause: `unknown` when the connection holds nothing to decide it by (no test yet, nothing pasted). */
export interface ConnectionCheck {
  id: ConnectionCheckId;
  label: string;
  result: 'ok' | 'problem' | 'unknown';
  /** One line, for the admin. */
  reason: string;
  /** Values the reason is about (both certificates' fingerprints, the NameID), shown as text. */
  values?: { label: string; value: string }[];
}

/** `errors/explain`: what an admin pasted from Atlassian's error page, and optionally the certificate in Guard. */
export interface ErrorsExplainRequest extends ConnectionTarget {
  /** The error page's URL or its message, at most 4096 characters. */
  text: string;
  /** The certificate now in Guard's "Public X509 certificate" field, to compare with the active one. */
  guardCertificate?: string;
  /** The admin's browser clock (ms since 1970) when the request left, to compare with the bridge's. */
  browserTime?: number;
}

export interface ErrorsExplainResponse {
  recognised: boolean;
  pasted: {
    kind: 'url' | 'text';
    host?: string;
    atlassian?: boolean;
    parameters: { name: string; value: string }[];
    reference?: string;
  };
  /** One per matching entry of the table (`atlassian-errors.ts`); the general checks when none matches. */
  explanations: {
    id: string;
    title: string;
    causes: string[];
    checks: ConnectionCheck[];
    nextStep: string;
    learnMore?: string;
  }[];
  /** The bridge's clock when it answered (ISO 8601). */
  bridgeTime: string;
}

/** `providers/health`: every provider of every stored connection, of one connection, or one provider of it. */
export interface ProviderHealthRequest {
  connectionId?: string;
  /** Only with `connectionId`. */
  providerId?: string;
  /** "Check again": fetch anew unless the last check is only seconds old (`HEALTH_RECHECK_SECONDS`). */
  recheck?: boolean;
}

/** Days before a client secret's expiry date from which provider health warns. */
export const SECRET_EXPIRY_WARNING_DAYS = 30;

/** Why a fetch of the discovery document or the JWKS failed: the discovery failures, and two of the JWKS's own. */
export type HealthFailure =
  | Exclude<DiscoverFailure, 'invalid_url'>
  /** The URL configured (or named by discovery) is not an https:// URL the bridge calls. */
  | 'invalid_url'
  /** The JWKS is JSON but no key set (`{"keys": [...]}`). */
  | 'not_a_key_set'
  /** The key set holds no key that can verify an ID token signed with the provider's algorithm. */
  | 'no_usable_key';

/** One check of one provider's endpoints, said in admin words. */
export type HealthCheck =
  | { status: 'ok' }
  | { status: 'failed'; failure: HealthFailure; message: string; blockedHost?: string }
  /** Discovery with endpoints entered by hand; or a JWKS left unchecked because discovery failed. */
  | { status: 'skipped'; message: string };

export interface ProviderHealth {
  connectionId: string;
  connectionName: string;
  providerId: string;
  providerName: string;
  /**
   * `checked`: the endpoints were read (now or up to a minute ago: `checkedAt`); `incomplete`: no
   * issuer saved yet; `rate_limited`: not read now, to spare the provider (the last result, if any, is shown).
   */
  state: 'checked' | 'incomplete' | 'rate_limited';
  /** When the endpoints were read (ISO 8601); an answer up to a minute old comes from the cache. */
  checkedAt?: string;
  discovery?: HealthCheck;
  jwks?: HealthCheck & { keys?: number; algorithms?: string[] };
  /** The newest successful and refused sign-in through this provider in the audit trail (connection tests left out). */
  lastSuccess?: { time: string; reference: string };
  lastFailure?: { time: string; reference: string; code?: string; codeTitle?: string };
  /** The audit trail was searched only so far back (its newest records), or there is none on this host. */
  loginsSearched: 'all' | 'recent' | 'none';
  /** From `oidc.clientSecretExpiresAt`, when the admin entered it. */
  clientSecret?: { expiresAt: string; daysLeft: number; state: 'ok' | 'expires_soon' | 'expired' };
}

export interface ProviderHealthResponse {
  providers: ProviderHealth[];
}
