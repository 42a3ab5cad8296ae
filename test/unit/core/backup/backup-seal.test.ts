import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { APP_VERSION } from '../../../../src/core/app-version.js';
import { MAX_BACKUP_CHARS, readBackupFile } from '../../../../src/core/backup/backup-file.js';
import { OPEN_FAILED, PASSPHRASE_TOO_SHORT, openBackup, passphraseProblem, sealBackup, type SealedFile } from '../../../../src/core/backup/backup-seal.js';

/**
 * The sealed backup (src/core/backup/backup-seal.ts) and the file reader (backup-file.ts): a
 * round trip, every tampered byte of ciphertext, tag or authenticated header refused with the
 * one message, a wrong passphrase likewise, the KDF parameters a file may name bounded, and the
 * file's strict schema.
 */

const PASSPHRASE = 'correct horse battery staple';
const META = { exportedAt: '2026-12-03T12:00:00.000Z', appVersion: APP_VERSION };
// The lowest cost the reader accepts keeps these tests fast; the default is 2^15.
const FAST = { logN: 14 };

const contents = {
  connections: [{ id: 'default', name: 'Atlassian', providers: [{ id: 'default', name: 'Okta', oidc: { issuer: 'https://idp.example.com', clientId: 'bridge' } }] }],
  certificates: [],
  secrets: { clientSecrets: [{ connectionId: 'default', providerId: 'default', secret: 'the-client-secret-value' }], signingKeys: [] },
};

const seal = () => sealBackup(JSON.stringify(contents), PASSPHRASE, META, FAST);

/** The file with one base64 field's decoded byte `index` flipped. */
function flipByte(file: SealedFile, field: 'ciphertext' | 'tag', index: number): SealedFile {
  const bytes = Buffer.from(file[field], 'base64');
  bytes[index] = bytes[index]! ^ 0x01;
  return { ...file, [field]: bytes.toString('base64') };
}

describe('the sealed backup', () => {
  it('opens with the passphrase it was sealed with, and holds nothing in clear but the header', async () => {
    const file = await seal();
    expect(file).toMatchObject({ format: 'oidc-saml-bridge-backup', version: 1, encrypted: true, kdf: { name: 'scrypt', N: 2 ** 14, r: 8, p: 1 }, cipher: { name: 'aes-256-gcm' } });
    expect(JSON.stringify(file)).not.toContain('the-client-secret-value');
    expect(JSON.stringify(file)).not.toContain('idp.example.com');
    await expect(openBackup(file, PASSPHRASE)).resolves.toEqual({ ok: true, plaintext: JSON.stringify(contents) });
  });

  it('uses a new salt and IV for every file, and scrypt 2^15 by default', async () => {
    const [a, b] = [await seal(), await sealBackup('x', PASSPHRASE, META)];
    expect(a.kdf.salt).not.toBe(b.kdf.salt);
    expect(a.cipher.iv).not.toBe(b.cipher.iv);
    expect(b.kdf.N).toBe(2 ** 15);
  });

  it('refuses a wrong passphrase with the one message', async () => {
    await expect(openBackup(await seal(), `${PASSPHRASE}!`)).resolves.toEqual({ ok: false, message: OPEN_FAILED });
  });

  it('refuses every flipped byte of the ciphertext and of the tag', async () => {
    const file = await seal();
    const length = Buffer.from(file.ciphertext, 'base64').length;
    // Every 5th byte and the last: each is one AES-GCM block position or another.
    for (const index of [...Array(length).keys()].filter((i) => i % 5 === 0 || i === length - 1)) {
      await expect(openBackup(flipByte(file, 'ciphertext', index), PASSPHRASE)).resolves.toEqual({ ok: false, message: OPEN_FAILED });
    }
    for (let index = 0; index < 16; index += 1) {
      await expect(openBackup(flipByte(file, 'tag', index), PASSPHRASE)).resolves.toEqual({ ok: false, message: OPEN_FAILED });
    }
  }, 120_000);

  it('authenticates the header: a changed export time, app version, salt or IV is refused', async () => {
    const file = await seal();
    const otherBase64 = (value: string) => Buffer.from(Buffer.from(value, 'base64').map((b, i) => (i === 0 ? b ^ 1 : b))).toString('base64');
    const tampered: SealedFile[] = [
      { ...file, exportedAt: '2026-12-04T12:00:00.000Z' },
      { ...file, appVersion: '9.9.9' },
      { ...file, kdf: { ...file.kdf, salt: otherBase64(file.kdf.salt) } },
      { ...file, cipher: { ...file.cipher, iv: otherBase64(file.cipher.iv) } },
    ];
    for (const candidate of tampered) await expect(openBackup(candidate, PASSPHRASE)).resolves.toEqual({ ok: false, message: OPEN_FAILED });
  });

  it('bounds the KDF parameters a file may name: N 2^14..2^16 only, r 8, p 1', async () => {
    const file = await seal();
    for (const kdf of [
      { ...file.kdf, N: 2 ** 20 },
      { ...file.kdf, N: 2 ** 18 },
      { ...file.kdf, N: 2 ** 13 },
      { ...file.kdf, N: 2 ** 15 + 1 },
      { ...file.kdf, r: 64 },
      { ...file.kdf, p: 16 },
    ]) {
      const started = Date.now();
      await expect(openBackup({ ...file, kdf } as SealedFile, PASSPHRASE)).resolves.toEqual({ ok: false, message: OPEN_FAILED });
      // Refused before any key is derived.
      expect(Date.now() - started).toBeLessThan(50);
    }
    await expect(sealBackup('x', PASSPHRASE, META, { logN: 20 })).rejects.toThrow(TypeError);
  });

  it('asks for a passphrase of at least 12 characters', async () => {
    expect(passphraseProblem('short pass')).toBe(PASSPHRASE_TOO_SHORT);
    expect(passphraseProblem('twelve chars')).toBeUndefined();
    await expect(sealBackup('x', 'elevenchars', META)).rejects.toThrow(TypeError);
  });
});

describe('the backup file reader', () => {
  const plain = {
    format: 'oidc-saml-bridge-backup',
    version: 1,
    exportedAt: META.exportedAt,
    appVersion: APP_VERSION,
    encrypted: false,
    connections: contents.connections,
    certificates: [],
    omittedSecrets: ['providers.default.oidc.clientSecret'],
  };

  it('reads a plain file and a sealed one (with its passphrase)', async () => {
    await expect(readBackupFile(JSON.stringify(plain), undefined)).resolves.toMatchObject({ ok: true, contents: { encrypted: false, secrets: undefined } });
    const sealed = JSON.stringify(await seal());
    await expect(readBackupFile(sealed, undefined)).resolves.toMatchObject({ ok: false, needsPassphrase: true });
    await expect(readBackupFile(sealed, PASSPHRASE)).resolves.toMatchObject({ ok: true, contents: { encrypted: true, secrets: contents.secrets } });
    await expect(readBackupFile(sealed, 'not the passphrase')).resolves.toEqual({ ok: false, message: OPEN_FAILED });
  });

  it('refuses an unknown field, a wrong format or version, too many bytes, and garbage', async () => {
    for (const file of [
      { ...plain, extra: 1 },
      { ...plain, format: 'other' },
      { ...plain, version: 2 },
      { ...plain, connections: [{ ...plain.connections[0], revision: 4 }] },
      { ...plain, connections: [{ ...plain.connections[0], id: '../x' }] },
      { ...plain, connections: [plain.connections[0], plain.connections[0]] },
    ]) {
      await expect(readBackupFile(JSON.stringify(file), undefined)).resolves.toMatchObject({ ok: false, message: expect.stringContaining('not a backup file') });
    }
    // Refused by its size before it is parsed at all.
    const oversized = JSON.stringify({ ...plain, padding: 'x'.repeat(MAX_BACKUP_CHARS) });
    await expect(readBackupFile(oversized, undefined)).resolves.toEqual({ ok: false, message: 'A backup file is at most 400 KB.' });
    await expect(readBackupFile('{', undefined)).resolves.toMatchObject({ ok: false });
  });

  it('keeps the app version equal to package.json', () => {
    expect(APP_VERSION).toBe((JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version);
  });
});
