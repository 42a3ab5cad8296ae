import { createHash } from 'node:crypto';
import { KEY_AUTH_METHOD } from '../config-fields.js';
import { ConfigError, type BridgeConfig, type ConfigParseOptions, type ConfigProblem } from '../config.js';
import { BridgeError } from '../errors.js';
import { loggableValue } from '../log-text.js';
import type { KeyValueStore, SecretStore } from '../ports.js';
import { DEFAULT_ID, storageKeys } from '../storage-keys.js';
import { evaluateSettings, testConfigFrom } from '../stored-config.js';
import { draftSecretOf, draftTestConfig, readDraft } from './connection-draft.js';
import type { TestConfig } from '../test-login.js';
import { readConnections, settingsOf, type ConnectionRecord, type ConnectionsDocument } from './connections-document.js';

/**
 * What the bridge serves: every connection that is ready for logins, found by its service
 * provider's entity ID (the AuthnRequest's Issuer) or by id (a login transaction, a metadata
 * URL), each with its providers. Built from the stored connections or from a configuration
 * file, once per revision; a provider's client secret is read only when a login uses it.
 */
export interface BridgeDirectory {
  /** Identifies what it was built from (absent for a configuration file). */
  revision?: string;
  connections: readonly ConnectionEntry[];
  /** Connections that are not ready: why, by id and (when set) by SP entity ID. */
  unready: readonly UnreadyConnection[];
}

export interface ConnectionEntry {
  id: string;
  name: string;
  spEntityId: string;
  acsUrl: string;
  idpEntityId: string;
  metadataUrl: string;
  /** The bridge's SSO URL, as shown to the service provider: an AuthnRequest's Destination must be it. */
  ssoUrl: string;
  /** The Atlassian site the connection names (`atlassianSiteUrl`), for "Try again" on its error pages. */
  siteUrl?: string;
  /** Sign-in from the connection's start URL (`idpInitiated`): whether it is on, and the RelayState as stored. */
  idpInitiated: { enabled: boolean; relayState?: string };
  /** How old and how far ahead an AuthnRequest's IssueInstant may be. */
  requestLimits: { maxAgeSeconds: number; maxFutureSeconds: number };
  /**
   * The key ring revision the stored record announces (see `activeSigningKey` in `bridge.ts`);
   * 0 for a stored record that announces none yet (rings are revision 1 up); absent for a
   * connection from a configuration file, whose ring is read on every login.
   */
  signingKeyRevision?: number;
  providers: readonly ProviderEntry[];
}

export interface ProviderEntry {
  id: string;
  name: string;
  /** The email domains this provider may vouch for (normalized); no other provider of the connection has them. */
  domains: readonly string[];
  /** The whole login configuration through this provider; reads the client secret once. */
  config(): Promise<BridgeConfig>;
}

export interface UnreadyConnection {
  id: string;
  spEntityId?: string;
  /** `missing`: a value not given yet; `invalid`: a stored value is wrong. */
  state: 'missing' | 'invalid';
  problems: ConfigProblem[];
}

/** Where the bridge gets its directory; `hint.revision` lets a cached directory answer without storage. */
export type DirectorySource = (hint?: { revision?: string | null }) => Promise<BridgeDirectory>;

/** The configuration of one provider's connection test (`test-login.ts`); undefined while incomplete. */
export type TestConfigSource = (connectionId: string, providerId: string) => Promise<TestConfig | undefined>;

/** The connection a login is for, by the AuthnRequest's Issuer; throws the code the end user sees. */
export function connectionForIssuer(directory: BridgeDirectory, issuer: string): ConnectionEntry {
  const found = directory.connections.find((c) => c.spEntityId === issuer);
  if (found) return found;
  const unready = directory.unready.find((c) => c.spEntityId === issuer);
  if (unready) throw unreadyError(unready);
  throw new BridgeError('saml_unknown_sp', `Issuer ${loggableValue(issuer)} matches no connection`);
}

/** The provider of a connection by id (a login transaction names both). */
export function providerById(directory: BridgeDirectory, connectionId: string, providerId: string): ProviderEntry {
  const connection = directory.connections.find((c) => c.id === connectionId);
  if (!connection) {
    const unready = directory.unready.find((c) => c.id === connectionId);
    throw unready ? unreadyError(unready) : new BridgeError('login_unknown', 'the connection of this login no longer exists');
  }
  const provider = connection.providers.find((p) => p.id === providerId);
  if (!provider) throw new BridgeError('login_unknown', 'the provider of this login no longer exists');
  return provider;
}

/**
 * Before anything else of a request is read: a bridge with no connection ready says so (the
 * "not set up yet" page), as the single-configuration release did.
 */
export function requireAnyConnection(directory: BridgeDirectory): void {
  if (directory.connections.length) return;
  const invalid = directory.unready.find((c) => c.state === 'invalid');
  if (invalid) throw unreadyError(invalid);
  throw new BridgeError('config_missing');
}

function unreadyError(unready: UnreadyConnection): BridgeError {
  const detail = unready.problems.map((p) => `${p.path}: ${p.message}`).join('; ').slice(0, 500);
  return new BridgeError(unready.state === 'invalid' ? 'config_invalid' : 'config_missing', `connection ${unready.id}: ${detail}`);
}

/** A configuration file's single connection and provider. */
export function directoryFromConfig(config: BridgeConfig): BridgeDirectory {
  return {
    connections: [
      {
        id: config.connectionId,
        name: 'Atlassian',
        spEntityId: config.serviceProvider.entityId,
        acsUrl: config.serviceProvider.acsUrl,
        idpEntityId: config.idpEntityId,
        metadataUrl: config.urls.metadata,
        ssoUrl: config.urls.sso,
        ...siteUrlOf(config),
        idpInitiated: idpInitiatedOf(config),
        requestLimits: requestLimits(config),
        providers: [{ id: config.providerId, name: 'Identity provider', domains: config.allowedEmailDomains, config: async () => config }],
      },
    ],
    unready: [],
  };
}

/** Identifies a stored document: the hash of its JSON, which covers each secret's revision too. */
function documentRevision(document: ConnectionsDocument): string {
  return createHash('sha256').update(JSON.stringify(document)).digest('base64url').slice(0, 22);
}

/** A placeholder for the secret while the directory is built: a secret is read only when a login needs it. */
const SECRET_NOT_READ_YET = 'secret-not-read-yet';

export interface StoredDirectoryOptions {
  store: KeyValueStore;
  secrets: SecretStore;
  /** The host's public URL (Forge: the web trigger URL); a stored value never overrides it. */
  baseUrl: string;
  allowLoopbackHttp: boolean;
  /**
   * Read storage at most once for the lifetime of these sources. Right for a source built per
   * invocation (Forge); a long-lived source (standalone) must read per request, so that a
   * configuration saved through the wizard applies from the next login on.
   */
  once?: boolean;
  /**
   * Where the last directory built is kept, by revision (`BridgeCaches`): a document whose
   * revision is unchanged is not checked again and its secrets not read again, and a callback
   * whose login started under a cached revision reads nothing at all.
   */
  cache?: { directory: BridgeDirectory | undefined };
}

/** The bridge's directory and connection tests on the stored connections. */
export function createStoredDirectorySources(options: StoredDirectoryOptions): { directory: DirectorySource; test: TestConfigSource } {
  const parseOptions = { allowLoopbackHttp: options.allowLoopbackHttp };
  const memo = <T,>(read: () => Promise<T>): (() => Promise<T>) => {
    if (!options.once) return read;
    let result: Promise<T> | undefined;
    return () => (result ??= read());
  };
  const readDocument = memo(() => readConnections(options.store));

  const build: DirectorySource = async (hint) => {
    const cached = options.cache?.directory;
    if (cached && hint?.revision && cached.revision === hint.revision) return cached;
    const read = await readDocument();
    if (read.state === 'absent') return { connections: [], unready: [] };
    if (read.state === 'unreadable') throw new ConfigError(read.problems);
    const revision = documentRevision(read.document);
    if (cached?.revision === revision) return cached;
    const built = directoryOf(read.document, options, revision);
    if (options.cache) options.cache.directory = built;
    return built;
  };

  // Per invocation (`once`), concurrent requests share one build, and so one read of each secret.
  let once: Promise<BridgeDirectory> | undefined;
  const directory: DirectorySource = options.once ? (hint) => (once ??= build(hint)) : build;

  const test: TestConfigSource = async (connectionId, providerId) => {
    // A connection with a draft is tested as the draft: that is what the admin is about to apply.
    const draft = await readDraft(options.store, connectionId);
    if (draft?.connection.providers.some((p) => p.id === providerId)) {
      const { secret } = await draftSecretOf(options.secrets, connectionId, providerId);
      const checked = draftTestConfig(draft, providerId, secret, options.baseUrl, parseOptions);
      if (checked.ok) return checked.test;
      const invalid = checked.problems.filter((p) => !p.absent);
      if (invalid.length) throw new ConfigError(invalid.map(({ path, message }) => ({ path, message })));
      return undefined;
    }
    const read = await readDocument();
    if (read.state === 'unreadable') throw new ConfigError(read.problems);
    const connection = read.state === 'ok' ? read.document.connections.find((c) => c.id === connectionId) : undefined;
    const settings = connection ? settingsOf(connection, providerId) : undefined;
    if (!settings) return undefined;
    const clientSecret = await options.secrets.getSecret(storageKeys.clientSecret(connectionId, providerId));
    const checked = testConfigFrom(settings, clientSecret, options.baseUrl, { ...parseOptions, scope: { connectionId, providerId } });
    if (checked.ok) return checked.test;
    const invalid = checked.problems.filter((p) => !p.absent);
    if (invalid.length) throw new ConfigError(invalid.map(({ path, message }) => ({ path, message })));
    return undefined;
  };

  return { directory, test };
}

/**
 * The directory of a stored document. Reads nothing: a provider's secret is read when a login
 * first asks for its configuration. The admin page uses it to tell which connections are ready.
 */
export function directoryOf(
  document: ConnectionsDocument,
  options: Pick<StoredDirectoryOptions, 'secrets' | 'baseUrl' | 'allowLoopbackHttp'>,
  revision?: string,
): BridgeDirectory {
  const parseOptions = { allowLoopbackHttp: options.allowLoopbackHttp };
  const connections: ConnectionEntry[] = [];
  const unready: UnreadyConnection[] = [];
  const claimedEntityIds = new Set<string>();
  for (const record of document.connections) {
    const built = buildConnection(record, options, parseOptions);
    if ('state' in built) {
      unready.push(built);
    } else if (claimedEntityIds.has(built.spEntityId)) {
      // Two connections for one service provider: which one a login is for would be a guess.
      unready.push({ id: record.id, spEntityId: built.spEntityId, state: 'invalid', problems: [{ path: 'serviceProvider.entityId', message: 'Another connection has the same SP Entity ID.' }] });
    } else {
      claimedEntityIds.add(built.spEntityId);
      connections.push(built);
    }
  }
  return { ...(revision ? { revision } : {}), connections, unready };
}

function buildConnection(
  record: ConnectionRecord,
  options: Pick<StoredDirectoryOptions, 'secrets' | 'baseUrl'>,
  parseOptions: Pick<ConfigParseOptions, 'allowLoopbackHttp'>,
): ConnectionEntry | UnreadyConnection {
  const spEntityId = record.serviceProvider?.entityId?.trim() || undefined;
  const providers: ProviderEntry[] = [];
  const domainOwner = new Map<string, string>();
  let first: BridgeConfig | undefined;
  for (const provider of record.providers) {
    const scope = { connectionId: record.id, providerId: provider.id };
    const settings = settingsOf(record, provider.id)!;
    const evaluated = evaluateSettings(settings, SECRET_NOT_READ_YET, options.baseUrl, { ...parseOptions, scope });
    if (!evaluated.ok) {
      const invalid = evaluated.problems.filter((p) => !p.absent);
      const problems = (invalid.length ? invalid : evaluated.problems).map(({ path, message }) => ({ path: `providers.${provider.id}.${path}`, message }));
      return { id: record.id, ...(spEntityId ? { spEntityId } : {}), state: invalid.length ? 'invalid' : 'missing', problems };
    }
    const withoutSecret = evaluated.config;
    for (const domain of withoutSecret.allowedEmailDomains) {
      const owner = domainOwner.get(domain);
      if (owner !== undefined) {
        return {
          id: record.id,
          ...(spEntityId ? { spEntityId } : {}),
          state: 'invalid',
          problems: [{ path: `providers.${provider.id}.allowedEmailDomains`, message: `The domain ${domain} belongs to provider ${owner} as well.` }],
        };
      }
      domainOwner.set(domain, provider.id);
    }
    first ??= withoutSecret;
    providers.push({ id: provider.id, name: provider.name, domains: withoutSecret.allowedEmailDomains, config: completeWithSecret(withoutSecret, options) });
  }
  return {
    id: record.id,
    name: record.name,
    spEntityId: first!.serviceProvider.entityId,
    acsUrl: first!.serviceProvider.acsUrl,
    idpEntityId: first!.idpEntityId,
    metadataUrl: first!.urls.metadata,
    ssoUrl: first!.urls.sso,
    ...siteUrlOf(first!),
    // Connection-level settings: every provider's configuration has the same.
    idpInitiated: idpInitiatedOf(first!),
    requestLimits: requestLimits(first!),
    signingKeyRevision: record.signingKeyRevision ?? 0,
    providers,
  };
}

/** Known without the client secret, so an error page never reads secret storage for it. */
function siteUrlOf(config: BridgeConfig): Pick<ConnectionEntry, 'siteUrl'> {
  return config.atlassianSiteUrl ? { siteUrl: config.atlassianSiteUrl } : {};
}

function idpInitiatedOf(config: BridgeConfig): ConnectionEntry['idpInitiated'] {
  const { enabled, relayState } = config.idpInitiated;
  return { enabled, ...(relayState !== undefined ? { relayState } : {}) };
}

function requestLimits(config: BridgeConfig): ConnectionEntry['requestLimits'] {
  return { maxAgeSeconds: config.loginTimeoutSeconds, maxFutureSeconds: config.clockSkewSeconds };
}

/**
 * The provider's configuration with its client secret, read once per directory. A provider that
 * signs with its client key (`private_key_jwt`) has none: nothing is read, and a secret stored
 * from an earlier method stays out of its configuration.
 */
function completeWithSecret(withoutSecret: BridgeConfig, options: Pick<StoredDirectoryOptions, 'secrets'>): () => Promise<BridgeConfig> {
  if (withoutSecret.oidc.clientAuthMethod === KEY_AUTH_METHOD) return () => Promise.resolve(withoutSecret);
  let complete: Promise<BridgeConfig> | undefined;
  const read = async (): Promise<BridgeConfig> => {
    const secret = await options.secrets.getSecret(storageKeys.clientSecret(withoutSecret.connectionId, withoutSecret.providerId));
    if (typeof secret !== 'string' || secret === '') {
      throw new BridgeError('config_missing', `connection ${withoutSecret.connectionId}: the client secret of provider ${withoutSecret.providerId} is not set`);
    }
    return Object.freeze({ ...withoutSecret, oidc: Object.freeze({ ...withoutSecret.oidc, clientSecret: secret }) });
  };
  return () => {
    complete ??= read();
    // A failed read (storage down) must not be remembered.
    complete.catch(() => (complete = undefined));
    return complete;
  };
}

export { DEFAULT_ID };
