import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, type RawConfig } from '../core/config.js';
import { secretKeyFromEnv } from './sqlite-store.js';
import { startStandalone, type StandaloneApp } from './standalone-app.js';
import { demoMounts, demoConfig } from './demo-mode.js';

/**
 * `npm start`: the standalone server. Environment:
 * - `PORT` (default 8080), `HOST` (default 127.0.0.1)
 * - `BRIDGE_CONFIG`: path of a JSON config file (see README); without it, demo mode
 * - `BRIDGE_DEMO=0`: no config file and no demo: start unconfigured
 * - `BRIDGE_DATA_DIR`: where the embedded store lives (default ./.data)
 * - `BRIDGE_SECRET_KEY`: 32-byte base64 key for secrets at rest (default: a 0600 key file)
 */
async function main(): Promise<StandaloneApp> {
  const env = process.env;
  const port = Number(env.PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, not "${env.PORT}"`);
  const dataDir = path.resolve(env.BRIDGE_DATA_DIR ?? './.data');
  const common = { port, host: env.HOST, dataDir, secretKey: secretKeyFromEnv(env.BRIDGE_SECRET_KEY) };

  if (env.BRIDGE_CONFIG) {
    // Untrusted shape: parseConfig validates every field before anything starts.
    const raw = readConfigFile(env.BRIDGE_CONFIG) as RawConfig;
    const app = await startStandalone({ ...common, config: raw });
    console.log(`OIDC→SAML bridge listening on ${app.serverUrl}; IdP metadata at ${app.baseUrl}/saml/metadata`);
    return app;
  }
  if (env.BRIDGE_DEMO === '0') {
    const app = await startStandalone(common);
    console.log(`OIDC→SAML bridge listening on ${app.serverUrl}, not configured (no BRIDGE_CONFIG).`);
    return app;
  }
  const demoBase = (serverUrl: string) => serverUrl.replace('127.0.0.1', 'localhost');
  const app = await startStandalone({
    ...common,
    config: (serverUrl) => demoConfig(demoBase(serverUrl)),
    mounts: (context) => demoMounts({ ...context, baseUrl: demoBase(context.serverUrl) }),
  });
  console.log(
    [
      '',
      'OIDC→SAML bridge: demo mode (no BRIDGE_CONFIG).',
      `  Open ${demoBase(app.serverUrl)}/ and start a demo login.`,
      `  Demo OpenID provider:        ${demoBase(app.serverUrl)}/demo-op`,
      `  Demo Atlassian (SAML SP):    ${demoBase(app.serverUrl)}/demo-sp/`,
      `  Bridge IdP metadata:         ${app.baseUrl}/saml/metadata`,
      '',
    ].join('\n'),
  );
  return app;
}

function readConfigFile(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new StartupError(`Cannot read BRIDGE_CONFIG file ${file}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new StartupError(`BRIDGE_CONFIG file ${file} is not valid JSON: ${(error as Error).message}`);
  }
}

class StartupError extends Error {}

main().then(
  (app) => {
    const stop = () => {
      void app.close().then(() => process.exit(0));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  },
  (error: unknown) => {
    if (error instanceof ConfigError) {
      console.error(`The configuration is not valid; nothing was started. Problems:\n${error.problems.map((p) => `  - ${p.path || '(root)'}: ${p.message}`).join('\n')}`);
    } else if (error instanceof StartupError) {
      console.error(error.message);
    } else {
      console.error(`Could not start: ${(error as Error)?.message ?? error}`);
    }
    process.exit(1);
  },
);
