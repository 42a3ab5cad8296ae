import { describe, expect, it } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { idTokenAlgorithms, jwksVerdict, keyUsableFor, secretExpiry } from '../../../../src/core/admin/provider-health.js';
import { isCalendarDay } from '../../../../src/core/config-fields.js';

/**
 * The pure parts of provider health (src/core/admin/provider-health.ts): the client secret's
 * expiry against the clock, which algorithms an ID token may be signed with, and whether a key
 * set holds a key that can verify one (loaded by Node's crypto, not judged by its members alone).
 */

const rsa = () => ({ ...generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' }), kid: 'r1' }) as Record<string, unknown>;
const p256 = () => ({ ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }), kid: 'e1' }) as Record<string, unknown>;
const NOW = Date.parse('2027-03-01T15:30:00Z');

describe('the client secret expiry date', () => {
  it('accepts only calendar days as YYYY-MM-DD', () => {
    expect(isCalendarDay('2027-03-31')).toBe(true);
    expect(isCalendarDay('2028-02-29')).toBe(true);
    for (const value of ['2027-02-29', '2027-13-01', '2027-3-1', '27-03-01', '2027-03-01T00:00:00Z', '', '2027/03/01']) expect(isCalendarDay(value)).toBe(false);
  });

  it.each([
    ['2027-06-01', 92, 'ok'],
    ['2027-03-31', 30, 'expires_soon'],
    ['2027-04-01', 31, 'ok'],
    ['2027-03-01', 0, 'expires_soon'],
    ['2027-02-28', -1, 'expired'],
  ] as const)('%s is %i days away: %s', (expiresAt, daysLeft, state) => {
    expect(secretExpiry(expiresAt, NOW)).toEqual({ expiresAt, daysLeft, state });
  });

  it('shows nothing for a missing or malformed date', () => {
    expect(secretExpiry(undefined, NOW)).toBeUndefined();
    expect(secretExpiry('2027-02-30', NOW)).toBeUndefined();
  });
});

describe('the ID token algorithms', () => {
  it('are the asymmetric ones discovery lists, RS256 when it lists none, any asymmetric one without discovery', () => {
    expect(idTokenAlgorithms({ id_token_signing_alg_values_supported: ['HS256', 'ES256', 'none', 7] })).toEqual(['ES256']);
    expect(idTokenAlgorithms({})).toEqual(['RS256']);
    expect(idTokenAlgorithms(undefined)).toEqual(expect.arrayContaining(['RS256', 'PS256', 'ES256', 'EdDSA']));
  });
});

describe('a key usable for the ID token', () => {
  it('is a signing key of the algorithm\'s type and curve that Node loads', () => {
    expect(keyUsableFor(rsa(), 'RS256')).toBe(true);
    expect(keyUsableFor({ ...rsa(), use: 'sig', alg: 'RS256', key_ops: ['verify'] }, 'RS256')).toBe(true);
    expect(keyUsableFor(p256(), 'ES256')).toBe(true);
  });

  it.each([
    ['an encryption key', { ...rsa(), use: 'enc' }, 'RS256'],
    ['a key for another algorithm', { ...rsa(), alg: 'RS512' }, 'RS256'],
    ['a key not for verifying', { ...rsa(), key_ops: ['encrypt'] }, 'RS256'],
    ['an RSA key for ES256', rsa(), 'ES256'],
    ['a P-256 key for ES384', p256(), 'ES384'],
    ['a symmetric key', { kty: 'oct', k: 'c2VjcmV0' }, 'RS256'],
    ['an RSA key with a broken modulus', { kty: 'RSA', n: '!!', e: 'AQAB' }, 'RS256'],
    ['an RSA key under 2048 bits', generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' }), 'RS256'],
    ['an RSA key without its exponent', { kty: 'RSA', n: String(rsa().n) }, 'RS256'],
    ['an unknown algorithm', rsa(), 'HS256'],
  ])('is not %s', (_name, jwk, alg) => {
    expect(keyUsableFor(jwk as Record<string, unknown>, alg)).toBe(false);
  });

  it('judges a set by its keys: size, usable algorithms, or why none is usable', () => {
    expect(jwksVerdict({ keys: [{ ...rsa(), use: 'enc' }, rsa()] }, ['RS256'])).toEqual({ status: 'ok', keys: 2, algorithms: ['RS256'] });
    expect(jwksVerdict({ keys: [rsa()] }, ['ES256'])).toMatchObject({ status: 'failed', failure: 'no_usable_key', keys: 1, algorithms: ['ES256'] });
    expect(jwksVerdict({ keys: [] }, ['RS256'])).toMatchObject({ status: 'failed', failure: 'no_usable_key', keys: 0 });
    for (const notASet of [null, [], { keys: 'x' }, 'text', { key: [] }]) expect(jwksVerdict(notASet, ['RS256'])).toMatchObject({ status: 'failed', failure: 'not_a_key_set' });
  });
});
