import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ConfigGetResponse, ConnectionCheck, ConnectionCheckId, ErrorsExplainResponse, TestResultResponse, TestStartResponse } from '../../src/core/admin/admin-api-types.js';
import { PASTED_ERROR_MAX_CHARS } from '../../src/core/admin/atlassian-errors.js';
import { storageKeys } from '../../src/core/storage-keys.js';
import { createSigningKey } from '../../src/downstream-saml/signing-key.js';
import { demoUsers } from '../../dev/demo/demo-provider.js';
import { UserAgent } from '../support/user-agent.js';
import { configSave } from '../../src/core/admin/config-save.js';
import { errorsExplain } from '../../src/core/admin/errors-explain.js';
import { memoryAdmin } from './support/memory-ports.js';
import { ACS_URL, CLIENT_SECRET, leaks, privateKeyFingerprint, SP_ENTITY_ID, startAdminHarness, type AdminHarness } from './support/admin-harness.js';

/**
 * errors/explain over the standalone admin API: an Atlassian error an admin pasted, explained
 * and checked against a configured connection whose connection test passed (a real login at
 * the demo OpenID provider): the certificate pasted from Guard against the active one, the
 * bridge's clock against the provider's, the NameID and the stable id the bridge sends.
 */

const alice = demoUsers.find((u) => u.email === 'alice@example.com')!;
const EXPIRED_URL = 'https://id.atlassian.com/error?error=access_denied&error_description=assertion%20has%20expired';
const CERTIFICATE_URL = 'https://id.atlassian.com/error?error=access_denied&error_description=Certificate%20in%20SAML%20Response%20does%20not%20match';

/** Saves a complete configuration (provider, Guard's values, users) and passes the connection test as Alice. */
async function configureAndTest(harness: AdminHarness): Promise<void> {
  const saved = await harness.api('config/save', {
    settings: { ...harness.providerSettings(), serviceProvider: { entityId: SP_ENTITY_ID, acsUrl: ACS_URL }, allowedEmailDomains: ['example.com'] },
    clientSecret: CLIENT_SECRET,
  });
  expect(saved.body).toMatchObject({ ok: true });
  const { testId, startUrl } = (await harness.api<TestStartResponse>('test/start', {})).body;
  const agent = new UserAgent({ stopAt: (url) => url.href.startsWith('https://auth.atlassian.com/') });
  await agent.submit(await agent.get(startUrl), { fields: { email: alice.email, password: alice.password } });
  await expect(harness.api<TestResultResponse>('test/result', { testId })).resolves.toMatchObject({ body: { state: 'succeeded', nameId: alice.email } });
}

async function explain(harness: AdminHarness, payload: unknown): Promise<ErrorsExplainResponse> {
  const answer = await harness.api<ErrorsExplainResponse>('errors/explain', payload);
  expect(answer.status).toBe(200);
  return answer.body;
}

function check(answer: ErrorsExplainResponse, id: ConnectionCheckId): ConnectionCheck {
  const found = answer.explanations.flatMap((e) => e.checks).find((c) => c.id === id);
  if (!found) throw new Error(`no check ${id} in ${JSON.stringify(answer)}`);
  return found;
}

const value = (c: ConnectionCheck, label: string) => c.values?.find((v) => v.label === label)?.value;

async function otherCertificatePem(): Promise<string> {
  return (await createSigningKey({ now: () => Date.now() }, 'another-installation.example')).certificatePem;
}

describe('errors/explain against a connection whose test passed', () => {
  let harness: AdminHarness;
  let activePem: string;

  beforeAll(async () => {
    harness = await startAdminHarness();
    await configureAndTest(harness);
    activePem = (await harness.api<ConfigGetResponse>('config/get')).body.bridge.certificatePem;
  });

  afterAll(async () => {
    const key = await harness.app.store.getSecret<{ privateKeyPem: string }>(storageKeys.signingKey());
    expect(leaks(harness.answers, [CLIENT_SECRET, key ? privateKeyFingerprint(key.privateKeyPem) : ''])).toEqual([]);
    await harness.close();
  });

  it('explains an expired assertion: the clocks agree, and the validity window is stated', async () => {
    const answer = await explain(harness, { text: EXPIRED_URL, browserTime: Date.now() });
    expect(answer).toMatchObject({ recognised: true, pasted: { kind: 'url', host: 'id.atlassian.com', atlassian: true } });
    expect(answer.explanations.map((e) => e.id)).toEqual(['assertion_expired']);
    expect(answer.explanations[0]!.checks.map((c) => c.id)).toEqual(['clock_provider', 'clock_browser', 'assertion_window']);
    expect(check(answer, 'clock_provider')).toMatchObject({ result: 'ok' });
    expect(check(answer, 'clock_browser')).toMatchObject({ result: 'ok' });
    expect(check(answer, 'assertion_window')).toMatchObject({ result: 'ok', reason: expect.stringContaining('180 s before it is issued until 300 s after') });
  });

  it('finds the browser\'s clock off when it is', async () => {
    const answer = await explain(harness, { text: 'assertion has expired', browserTime: Date.now() - 10 * 60_000 });
    expect(check(answer, 'clock_browser')).toMatchObject({ result: 'problem', reason: expect.stringContaining('10 min ahead of') });
  });

  it('confirms the certificate in Guard when it is the active one, showing both fingerprints', async () => {
    const answer = await explain(harness, { text: CERTIFICATE_URL, guardCertificate: activePem });
    expect(answer.explanations.map((e) => e.id)).toEqual(['certificate_mismatch']);
    const match = check(answer, 'certificate_match');
    expect(match.result).toBe('ok');
    expect(value(match, 'Certificate in Guard (SHA-256)')).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(value(match, 'Certificate in Guard (SHA-256)')).toBe(value(match, 'Active certificate (SHA-256)'));
    expect(check(answer, 'certificate_expiry')).toMatchObject({ result: 'ok' });
  });

  it('accepts the active certificate pasted as bare base64, with other line breaks', async () => {
    const base64 = activePem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
    const answer = await explain(harness, { text: CERTIFICATE_URL, guardCertificate: `  ${base64.match(/.{1,40}/g)!.join('\r\n')}  ` });
    expect(check(answer, 'certificate_match')).toMatchObject({ result: 'ok' });
  });

  it('finds another certificate in Guard, and shows both fingerprints', async () => {
    const answer = await explain(harness, { text: CERTIFICATE_URL, guardCertificate: await otherCertificatePem() });
    const match = check(answer, 'certificate_match');
    expect(match.result).toBe('problem');
    expect(value(match, 'Certificate in Guard (SHA-256)')).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(value(match, 'Active certificate (SHA-256)')).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(value(match, 'Certificate in Guard (SHA-256)')).not.toBe(value(match, 'Active certificate (SHA-256)'));
  });

  it('finds the active certificate pasted with literal \\n (ACCESS-1498) a problem', async () => {
    const answer = await explain(harness, { text: CERTIFICATE_URL, guardCertificate: activePem.replace(/\n/g, '\\n') });
    const match = check(answer, 'certificate_match');
    expect(match.result).toBe('problem');
    expect(value(match, 'Certificate in Guard (SHA-256)')).toBe(value(match, 'Active certificate (SHA-256)'));
  });

  it('says what was pasted is not a certificate, and asks for one when nothing was', async () => {
    for (const guardCertificate of ['-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----', 'QUJDRA==', '-----BEGIN CERTIFICATE-----\nMIIB']) {
      expect(check(await explain(harness, { text: CERTIFICATE_URL, guardCertificate }), 'certificate_match')).toMatchObject({ result: 'problem' });
    }
    const unknown = check(await explain(harness, { text: CERTIFICATE_URL }), 'certificate_match');
    expect(unknown.result).toBe('unknown');
    expect(value(unknown, 'Active certificate (SHA-256)')).toMatch(/^([0-9A-F]{2}:){31}/);
  });

  it('shows the NameID the last test sends for "email can\'t be used", and that the rollout is not ticked', async () => {
    const answer = await explain(harness, { text: 'The email address you entered can’t be used to log in here.' });
    expect(answer.explanations.map((e) => e.id)).toEqual(['email_cannot_log_in']);
    expect(check(answer, 'name_id_claim')).toMatchObject({ result: 'ok' });
    const nameId = check(answer, 'name_id_value');
    expect(nameId).toMatchObject({ result: 'ok' });
    expect(value(nameId, 'NameID')).toBe(alice.email);
    expect(check(answer, 'rollout')).toMatchObject({ result: 'problem' });
    await harness.api('rollout/save', { rollout: { domainLinked: true, testPolicyCreated: true } });
    expect(check(await explain(harness, { text: 'authentication-policy-strategy-mismatch' }), 'rollout')).toMatchObject({ result: 'ok' });
  });

  it('checks the stable id: the sub of the last test, not the email', async () => {
    const answer = await explain(harness, { text: 'https://id.atlassian.com/error?error=update-linked-primary-user-email-failed' });
    const stable = check(answer, 'stable_id');
    expect(stable).toMatchObject({ result: 'ok' });
    expect(value(stable, 'Stable id (sub)')).toBe(alice.sub);
  });

  it('answers an error it does not know honestly, with the general checks', async () => {
    const answer = await explain(harness, { text: 'Something went wrong. Try again later.' });
    expect(answer.recognised).toBe(false);
    expect(answer.explanations.map((e) => e.id)).toEqual(['not_recognised']);
    expect(answer.explanations[0]!.checks.map((c) => c.id)).toEqual(expect.arrayContaining(['certificate_match', 'clock_provider', 'name_id_value', 'stable_id']));
  });

  it.each([
    ['no text', {}],
    ['text that is not a string', { text: 42 }],
    ['an array of text', { text: ['assertion has expired'] }],
    ['blank text', { text: '   ' }],
    ['text over the limit', { text: 'a'.repeat(PASTED_ERROR_MAX_CHARS + 1) }],
    ['a certificate that is not a string', { text: 'x', guardCertificate: { pem: 'x' } }],
    ['a certificate over the limit', { text: 'x', guardCertificate: 'A'.repeat(16 * 1024 + 1) }],
    ['a browser time that is not a number', { text: 'x', browserTime: '2030-01-01' }],
    ['an unknown field', { text: 'x', html: true }],
  ])('refuses %s as bad_request', async (_name, payload) => {
    const answer = await harness.api<{ error: string }>('errors/explain', payload);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('bad_request');
  });

  it('returns pasted HTML only inside JSON strings, as text', async () => {
    const html = '<script>alert(1)</script>';
    const answer = await harness.api<ErrorsExplainResponse>('errors/explain', { text: `https://id.atlassian.com/error?error_description=${encodeURIComponent(html)}` });
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    expect(answer.body.pasted.parameters).toEqual([{ name: 'error_description', value: html }]);
    expect(answer.body.recognised).toBe(false);
  });
});

describe('errors/explain with the bridge\'s clock off', () => {
  let harness: AdminHarness;
  const AHEAD_MS = 5 * 60_000;

  beforeAll(async () => {
    // The bridge's clock runs five minutes ahead of the provider's (which is the system's).
    harness = await startAdminHarness({ standalone: { clock: { now: () => Date.now() + AHEAD_MS } } });
    await configureAndTest(harness);
  });

  afterAll(() => harness.close());

  it('shows the skew between the bridge and the provider from the last test\'s ID token', async () => {
    const answer = await explain(harness, { text: EXPIRED_URL });
    const clock = check(answer, 'clock_provider');
    expect(clock).toMatchObject({ result: 'problem', reason: expect.stringMatching(/^The bridge's clock was 5 min( \d+ s)? ahead of the provider's/) });
    expect(Date.parse(value(clock, 'Bridge received it at')!) - Date.parse(value(clock, 'Provider issued the ID token at')!)).toBeGreaterThanOrEqual(AHEAD_MS - 1000);
  });
});

describe('errors/explain without a connection test', () => {
  it('answers unknown where a check needs the test, and still checks the settings', async () => {
    const admin = memoryAdmin({ actor: 'admin-2' });
    const before = JSON.stringify([...admin.store.entries]);
    const answer = (await errorsExplain(admin.ctx, { text: 'update-linked-primary-user-email-failed' })) as ErrorsExplainResponse;
    expect(check(answer, 'stable_id')).toMatchObject({ result: 'unknown', reason: expect.stringContaining('"sub"') });
    expect(check(answer, 'name_id_value')).toMatchObject({ result: 'unknown' });
    const expired = (await errorsExplain(admin.ctx, { text: 'assertion has expired' })) as ErrorsExplainResponse;
    expect(check(expired, 'clock_provider')).toMatchObject({ result: 'unknown' });
    expect(check(expired, 'clock_browser')).toMatchObject({ result: 'unknown' });
    // Nothing was written or recorded: the call reads only.
    expect(JSON.stringify([...admin.store.entries])).toBe(before);
    expect(admin.audit.size).toBe(0);
  });

  it('finds a stable id claim that is the email a problem', async () => {
    const admin = memoryAdmin();
    await configSave(admin.ctx, { settings: { attributeClaims: { stableId: 'email' } } });
    const answer = (await errorsExplain(admin.ctx, { text: 'Hang on, we need to verify a few things' })) as ErrorsExplainResponse;
    expect(check(answer, 'stable_id')).toMatchObject({ result: 'problem', reason: expect.stringContaining('"email"') });
  });

  it('finds a NameID claim other than email a problem', async () => {
    const admin = memoryAdmin();
    await configSave(admin.ctx, { settings: { nameIdClaim: 'upn' } });
    const answer = (await errorsExplain(admin.ctx, { text: 'authentication-policy-strategy-mismatch' })) as ErrorsExplainResponse;
    expect(check(answer, 'name_id_claim')).toMatchObject({ result: 'problem', reason: expect.stringContaining('"upn"') });
  });
});
