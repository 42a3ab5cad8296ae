import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, type RawConfig } from '../core/config.js';
import { configProblemLines, parseConfigText } from './config-report.js';
import { secretKeyFromEnv } from './sqlite-store.js';
import { startStandalone, type StandaloneApp } from './standalone-app.js';
import { parseNamedTokens } from './admin-token.js';

/**
 * `npm start`: the standalone server. Environment:
 * - `PORT` (default 8080), `HOST` (default 127.0.0.1)
 * - `BRIDGE_CONFIG`: path of a JSON config file (see README); without it, demo mode
 * - `BRIDGE_DEMO=0`: no config file and no demo: start unconfigured, with the setup wizard at /admin
 * - `BRIDGE_BASE_URL`: the public URL when it is not http://HOST:PORT (a reverse proxy)
 * - `BRIDGE_ADMIN_TOKEN`: the token /admin asks for; unset, one is generated, printed once and
 *   written to `<data dir>/admin-token` (mode 0600)
 * - `BRIDGE_ADMIN_TOKENS`: named admin tokens, `identity=token` separated by commas or line
 *   breaks, one per admin: each acts as its identity (SSO owners are identities); with only
 *   these, no token is generated
 * - `BRIDGE_RESET_ADMIN_TOKEN=1`: replace the stored admin token with a new one, printed once
 * - `BRIDGE_DATA_DIR`: where the embedded store lives (default ./.data; demo mode ./.data/demo)
 * - `BRIDGE_ALLOW_PRIVATE_NETWORK=1`: let provider calls reach private, link-local and metadata
 *   addresses (loopback is always allowed)
 * - `BRIDGE_SECRET_KEY`: 32-byte base64 key for secrets at rest (default: a 0600 key file)
 */

/** A token an admin chose: long enough that guessing it over HTTP is hopeless. */
const MIN_ADMIN_TOKEN_CHARS = 16;

/** The configuration file's content, so that a report of its problems can leave its values out. */
let loadedConfig: unknown;

async function main(): Promise<StandaloneApp> {
  const env = process.env;
  const port = Number(env.PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new StartupError(`PORT must be a port number, not "${env.PORT}"`);
  const adminToken = env.BRIDGE_ADMIN_TOKEN || undefined;
  if (adminToken !== undefined && adminToken.trim().length < MIN_ADMIN_TOKEN_CHARS) {
    throw new StartupError(`BRIDGE_ADMIN_TOKEN must have at least ${MIN_ADMIN_TOKEN_CHARS} characters (or leave it unset to have one generated).`);
  }
  let adminTokens: { identity: string; token: string }[] | undefined;
  try {
    adminTokens = env.BRIDGE_ADMIN_TOKENS ? parseNamedTokens(env.BRIDGE_ADMIN_TOKENS, MIN_ADMIN_TOKEN_CHARS) : undefined;
  } catch (error) {
    throw new StartupError((error as Error).message);
  }
  const wizard = { adminToken, adminTokens, resetAdminToken: env.BRIDGE_RESET_ADMIN_TOKEN === '1' };
  const secretKey = secretKeyFromEnv(env.BRIDGE_SECRET_KEY);
  const allowPrivateNetwork = env.BRIDGE_ALLOW_PRIVATE_NETWORK === '1';

  if (env.BRIDGE_CONFIG) {
    // Untrusted shape: parseConfig validates every field before anything starts.
    const raw = readConfigFile(env.BRIDGE_CONFIG) as RawConfig;
    loadedConfig = raw;
    const app = await startStandalone({ port, host: env.HOST, dataDir: dataDir('./.data'), secretKey, allowPrivateNetwork, config: raw });
    console.log(`OIDC→SAML bridge listening on ${app.serverUrl}; IdP metadata at ${app.baseUrl}/saml/metadata`);
    console.log('The configuration comes from BRIDGE_CONFIG, so the setup wizard (/admin) is off.');
    return app;
  }
  if (env.BRIDGE_DEMO === '0') {
    const app = await startStandalone({ port, host: env.HOST, dataDir: dataDir('./.data'), secretKey, allowPrivateNetwork, baseUrl: env.BRIDGE_BASE_URL || undefined, ...wizard });
    console.log(
      [
        `OIDC→SAML bridge listening on ${app.serverUrl}, configured through the setup wizard (no BRIDGE_CONFIG).`,
        `  Setup wizard:                ${app.admin!.url}`,
        ...adminTokenLines(app),
        `  SSO URL (until set up, it answers "not set up yet"): ${app.baseUrl}/saml/sso`,
        '',
      ].join('\n'),
    );
    return app;
  }
  const { demoMounts, demoSeed } = await loadDemo();
  const demoBase = (serverUrl: string) => serverUrl.replace('127.0.0.1', 'localhost');
  const app = await startStandalone({
    port,
    host: env.HOST,
    // Its own directory: the demo writes its configuration to the store at every start, which
    // must not end up in a real setup's store.
    dataDir: dataDir('./.data/demo'),
    secretKey,
    allowPrivateNetwork,
    baseUrl: demoBase,
    seed: demoSeed,
    mounts: (context) => demoMounts({ ...context, baseUrl: demoBase(context.serverUrl) }),
    ...wizard,
  });
  console.log(
    [
      '',
      'OIDC→SAML bridge: demo mode (no BRIDGE_CONFIG).',
      `  Open ${app.baseUrl}/ and start a demo login.`,
      `  Demo OpenID provider:        ${app.baseUrl}/demo-op`,
      `  Demo Atlassian (SAML SP):    ${app.baseUrl}/demo-sp/`,
      `  Bridge IdP metadata:         ${app.baseUrl}/saml/metadata`,
      `  Setup wizard (demo values, reset at every start): ${app.admin!.url}`,
      ...adminTokenLines(app),
      '',
    ].join('\n'),
  );
  return app;

  function dataDir(fallback: string): string {
    return path.resolve(env.BRIDGE_DATA_DIR ?? fallback);
  }
}

/**
 * The demo peers (dev/demo: oidc-provider, node-saml) are dev dependencies, loaded only in demo
 * mode: a configured server never carries them in memory, and a production install
 * (`npm install --omit=dev`) does not have them at all, which is said in one line.
 */
async function loadDemo() {
  try {
    return await import('../../dev/demo/demo-mode.js');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    throw new StartupError(
      'No configuration given, and demo mode needs the dev dependencies (oidc-provider, @node-saml/node-saml), which this install leaves out: set BRIDGE_CONFIG to a config file, or BRIDGE_DEMO=0 to set up in the wizard at /admin, or install the dev dependencies (npm install).',
    );
  }
}

/** How to get into the wizard. A generated token is printed here, once, and nowhere else. */
function adminTokenLines(app: StandaloneApp): string[] {
  switch (app.admin?.tokenSource) {
    case 'generated':
      return [
        `  Admin token (shown only now; keep it): ${app.admin.generatedToken}`,
        `  (Also in ${app.admin.tokenFile}, readable by this user only. Lost it? Start once with BRIDGE_RESET_ADMIN_TOKEN=1 for a new one.)`,
      ];
    case 'stored':
      return [
        `  Admin token: the one printed when it was generated${app.admin.tokenFile ? `, kept in ${app.admin.tokenFile}` : ''}. Lost it? Start once with BRIDGE_RESET_ADMIN_TOKEN=1 for a new one, or set BRIDGE_ADMIN_TOKEN.`,
      ];
    case 'given':
      return ['  Admin token: the value of BRIDGE_ADMIN_TOKEN.', ...(process.env.BRIDGE_ADMIN_TOKENS ? ['  Named admin tokens: those of BRIDGE_ADMIN_TOKENS.'] : [])];
    case 'named':
      return ['  Admin tokens: those of BRIDGE_ADMIN_TOKENS, one per identity.'];
    default:
      return [];
  }
}

function readConfigFile(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new StartupError(`Cannot read BRIDGE_CONFIG file ${file}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`);
  }
  const parsed = parseConfigText(text);
  if (!parsed.ok) throw new StartupError(`BRIDGE_CONFIG file ${file} ${parsed.message}`);
  return parsed.value;
}

class StartupError extends Error {}

main().then(
  (app) => {
    // Ctrl-C under `npm start` delivers SIGINT more than once (from the terminal and passed on
    // by npm and scripts/start.mjs): the first one stops the server, the others are ignored
    // rather than killing it halfway through closing.
    let stopping = false;
    const stop = () => {
      if (stopping) return;
      stopping = true;
      void app.close().then(() => process.exit(0));
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  },
  (error: unknown) => {
    if (error instanceof ConfigError) {
      console.error(`The configuration is not valid; nothing was started. Problems:\n${configProblemLines(error.problems, loadedConfig).join('\n')}`);
    } else if (error instanceof StartupError) {
      console.error(error.message);
    } else {
      console.error(`Could not start: ${(error as Error)?.message ?? error}`);
    }
    process.exit(1);
  },
);
