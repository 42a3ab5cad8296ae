import { beforeAll, describe, expect, it } from '@jest/globals';
import { runConnectionChecks, readCertificate, type ConnectionFacts } from '../../../src/core/admin/connection-checks.js';
import type { ConnectionCheckId } from '../../../src/core/admin/admin-api-types.js';
import { createSigningKey } from '../../../src/downstream-saml/signing-key.js';

/** The checks of an explained Atlassian error, one fact at a time, each against a control that passes. */

const NOW = Date.parse('2030-01-01T12:00:00Z');
let certificatePem: string;

beforeAll(async () => {
  // Issued a day before NOW, valid ten years (signing-key.ts).
  certificatePem = (await createSigningKey({ now: () => NOW }, 'bridge.example.net')).certificatePem;
});

function facts(change: Partial<ConnectionFacts> = {}): ConnectionFacts {
  return {
    now: NOW,
    nameIdClaim: 'email',
    stableIdClaim: 'sub',
    timing: { clockSkewSeconds: 180, assertionLifetimeSeconds: 300 },
    checksDomains: true,
    activeCertificatePem: certificatePem,
    rollout: { domainLinked: true, testPolicyCreated: true, adminOutsideSso: true, enforced: true },
    lastTest: {
      finishedAt: NOW - 60_000,
      claims: { sub: 'u-1', email: 'alice@example.com', iat: (NOW - 62_000) / 1000 },
      mapped: { state: 'accepted', claims: {}, nameId: 'alice@example.com', nameIdFormat: 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress', attributes: [] },
    },
    ...change,
  };
}

const result = (id: ConnectionCheckId, change: Partial<ConnectionFacts> = {}) => runConnectionChecks([id], facts(change))[0]!;

describe('the checks against a connection', () => {
  it('passes every check of a healthy connection (the control)', () => {
    const ids: ConnectionCheckId[] = ['clock_provider', 'clock_browser', 'assertion_window', 'name_id_claim', 'name_id_value', 'rollout', 'certificate_match', 'certificate_expiry', 'stable_id'];
    const checks = runConnectionChecks(ids, facts({ browserTime: NOW - 2_000, guardCertificate: certificatePem }));
    expect(checks.map((c) => [c.id, c.result])).toEqual(ids.map((id) => [id, 'ok']));
    for (const c of checks) expect(c.label.length && c.reason.length).toBeGreaterThan(0);
  });

  it('finds the provider\'s clock ahead of the bridge\'s', () => {
    const lastTest = { ...facts().lastTest!, claims: { sub: 'u-1', iat: (NOW - 60_000 + 120_000) / 1000 } };
    expect(result('clock_provider', { lastTest })).toMatchObject({ result: 'problem', reason: expect.stringContaining('2 min behind') });
  });

  it('finds too short a validity window', () => {
    expect(result('assertion_window', { timing: { clockSkewSeconds: 0, assertionLifetimeSeconds: 300 } }).result).toBe('problem');
    expect(result('assertion_window', { timing: { clockSkewSeconds: 180, assertionLifetimeSeconds: 60 } }).result).toBe('problem');
    expect(result('assertion_window').values).toEqual([
      { label: 'NotBefore of an assertion issued now', value: '2030-01-01T11:57:00.000Z' },
      { label: 'NotOnOrAfter of an assertion issued now', value: '2030-01-01T12:05:00.000Z' },
    ]);
  });

  it('finds a NameID that is not the email, a refused user, and unchecked domains', () => {
    const base = facts().lastTest!;
    expect(result('name_id_value', { lastTest: { ...base, mapped: { ...base.mapped, nameId: 'alice@corp.example' } as typeof base.mapped } }).result).toBe('problem');
    const refused = { state: 'refused' as const, claims: {}, code: 'user_domain_not_allowed', title: 'Not allowed', message: 'm' };
    expect(result('name_id_value', { lastTest: { ...base, mapped: refused } })).toMatchObject({ result: 'problem', reason: expect.stringContaining('user_domain_not_allowed') });
    expect(result('name_id_value', { checksDomains: false }).result).toBe('problem');
  });

  it('finds the rollout unfinished', () => {
    const rollout = facts().rollout;
    expect(result('rollout', { rollout: { ...rollout, domainLinked: false } }).result).toBe('problem');
    expect(result('rollout', { rollout: { ...rollout, testPolicyCreated: false, enforced: false } }).result).toBe('problem');
  });

  it('finds the active certificate expired or about to', () => {
    const read = readCertificate(certificatePem);
    if (!read.ok) throw new Error('the certificate does not read');
    const day = 24 * 3600_000;
    expect(result('certificate_expiry', { now: read.validToMs + day })).toMatchObject({ result: 'problem', reason: expect.stringContaining('has expired') });
    expect(result('certificate_expiry', { now: read.validToMs - 29 * day }).result).toBe('problem');
    expect(result('certificate_expiry', { now: read.validToMs - 31 * day }).result).toBe('ok');
  });

  it('finds a stable id that is missing from the test or holds an email', () => {
    const base = facts().lastTest!;
    expect(result('stable_id', { lastTest: { ...base, claims: { email: 'a@example.com' } } }).result).toBe('problem');
    expect(result('stable_id', { stableIdClaim: 'oid', lastTest: { ...base, claims: { oid: 'a@example.com' } } }).result).toBe('problem');
    expect(result('stable_id', { stableIdClaim: 'preferred_username' }).result).toBe('problem');
    expect(result('stable_id', { stableIdClaim: 'upn' }).result).toBe('problem');
  });

  it('reads a pasted certificate defensively', () => {
    expect(readCertificate('x'.repeat(16 * 1024 + 1))).toMatchObject({ ok: false, reason: expect.stringContaining('too long') });
    // Node's base64 decoder skips characters it does not know; a stray one is reported, not read past.
    const lines = certificatePem.split('\n');
    lines[3] = `${lines[3]!.slice(0, 10)}*${lines[3]!.slice(10)}`;
    expect(readCertificate(lines.join('\n'))).toMatchObject({ ok: false, reason: expect.stringContaining('base64') });
    expect(readCertificate('<script>alert(1)</script>')).toMatchObject({ ok: false });
    expect(readCertificate(certificatePem.replace(/\n/g, '\\n'))).toMatchObject({ ok: true, literalNewlines: true });
    expect(readCertificate(certificatePem)).toMatchObject({ ok: true, literalNewlines: false, validTo: '2040-01-01T12:00:00.000Z' });
  });
});
