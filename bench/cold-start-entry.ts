import fs from 'node:fs';
import { createRequire } from 'node:module';
import { installForgePlatform, TEST_WEB_TRIGGER_URL } from '../test/forge/forge-platform.js';
import { storageKeys } from '../src/core/storage-keys.js';
import type { WebTriggerEvent, WebTriggerResponse } from '../src/forge/web-trigger.js';

/**
 * One cold start, in a fresh Node process: the Forge platform stand-ins are installed and KVS
 * holds what an installed app has (the settings, the client secret, the signing key); then the
 * handler file Forge's bundler wrote is loaded (as the Forge runtime does, with `require`: it is
 * CommonJS) and answers one `/saml/metadata` request, its first call loading the chunks. Prints
 * the times as JSON. Bundled by itself, so nothing of the bridge is loaded before the import.
 */

const [bundle, seedFile] = process.argv.slice(2);
const seed = JSON.parse(fs.readFileSync(seedFile!, 'utf8')) as { settings: unknown; clientSecret: string; signingKey: unknown };
const platform = installForgePlatform();
const at = Date.now();
platform.kvs.data.set(storageKeys.config(), { value: { v: seed.settings }, createdAt: at, updatedAt: at });
platform.kvs.secrets.set(storageKeys.clientSecret(), { value: { v: seed.clientSecret }, createdAt: at, updatedAt: at });
platform.kvs.secrets.set(storageKeys.signingKey(), { value: { v: seed.signingKey }, createdAt: at, updatedAt: at });

const event: WebTriggerEvent = {
  method: 'GET',
  headers: { accept: ['application/samlmetadata+xml'] },
  body: '',
  queryParameters: {},
  path: `${new URL(TEST_WEB_TRIGGER_URL).pathname}/saml/metadata`,
  userPath: '/saml/metadata',
};

const started = performance.now();
const cpuStarted = process.cpuUsage();
const module = createRequire(import.meta.url)(bundle!) as {
  bridgeTrigger(event: WebTriggerEvent, context: { installContext: string }): Promise<WebTriggerResponse>;
};
const imported = performance.now();
const response = await module.bridgeTrigger(event, { installContext: 'ari:cloud:jira::site/22222222-2222-2222-2222-222222222222' });
const answered = performance.now();
const cpu = process.cpuUsage(cpuStarted);
process.stdout.write(
  `${JSON.stringify({
    status: response.statusCode,
    hasCertificate: response.body.includes('X509Certificate'),
    importMs: imported - started,
    answerMs: answered - imported,
    // CPU time of the import and the answer: what the wall-clock time would be on an idle machine.
    cpuMs: (cpu.user + cpu.system) / 1000,
    // performance.now() counts from the start of the process.
    bootMs: started,
    sinceProcessStartMs: answered,
  })}\n`,
);
