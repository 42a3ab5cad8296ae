import { createPrivateKey, generateKeyPair, randomBytes, webcrypto, X509Certificate, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import type { Clock } from '../ports.js';

/**
 * An RSA key with its self-signed certificate, as a key ring keeps it in secret storage: the SAML
 * signing keys (`downstream-saml/signing-key-ring.ts`) and each OpenID provider's client keys
 * (`upstream-oidc/client-key-ring.ts`) are both made and checked here.
 */

/** A key and its certificate, as kept in secret storage. */
export interface SigningKey {
  privateKeyPem: string;
  certificatePem: string;
  createdAt: string;
}

/** The public half plus the parsed forms the signer needs; never carries the PEM outward. */
export interface SigningCredentials {
  /** Parsed once: signing with a PEM string would parse it again for every signature. */
  privateKey: KeyObject;
  certificatePem: string;
  /** Base64 DER of the certificate, as it goes into KeyInfo and metadata. */
  certificateBase64: string;
  /** SHA-256 of the DER certificate (`AA:BB:…`), what the key ring names a key by. */
  fingerprint: string;
}

export const SIGNING_KEY_BITS = 2048;
const CERTIFICATE_YEARS = 10;

/** Creates an RSA key (Node's crypto) and a self-signed X.509 certificate (node-forge). */
export async function createSigningKey(clock: Clock, commonName: string): Promise<SigningKey> {
  // node-forge only builds the certificate, once per installation: loaded here, it stays out of
  // every other cold start (on Forge, its own chunk of the bundle). Loading starts at once, in
  // parallel with the key generation.
  const forgeLoading = import('node-forge');
  const { privateKey, publicKey } = await promisify(generateKeyPair)('rsa', {
    modulusLength: SIGNING_KEY_BITS,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const { default: forge } = await forgeLoading;
  const certificate = forge.pki.createCertificate();
  certificate.publicKey = forge.pki.publicKeyFromPem(publicKey);
  // A positive serial number (RFC 5280 §4.1.2.2): clear the top bit of 16 random bytes.
  const serial = randomBytes(16);
  serial[0]! &= 0x7f;
  certificate.serialNumber = serial.toString('hex');
  const now = new Date(clock.now());
  certificate.validity.notBefore = new Date(now.getTime() - 24 * 3600 * 1000);
  certificate.validity.notAfter = new Date(now.getTime());
  certificate.validity.notAfter.setFullYear(now.getFullYear() + CERTIFICATE_YEARS);
  const subject = [
    { name: 'commonName', value: commonName.slice(0, 64) },
    { name: 'organizationName', value: 'OIDC SAML Bridge' },
  ];
  certificate.setSubject(subject);
  certificate.setIssuer(subject);
  certificate.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, nonRepudiation: true },
  ]);
  certificate.sign(forge.pki.privateKeyFromPem(privateKey), forge.md.sha256.create());
  return {
    privateKeyPem: privateKey,
    certificatePem: forge.pki.certificateToPem(certificate),
    createdAt: now.toISOString(),
  };
}

/** Checks the pair belongs together, so a mismatched secret fails loudly instead of minting
 * responses no service provider can verify. */
export function toCredentials(key: SigningKey): SigningCredentials {
  const certificate = new X509Certificate(key.certificatePem);
  const privateKey = createPrivateKey(key.privateKeyPem);
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new TypeError('The stored signing certificate does not match the stored private key');
  }
  return {
    privateKey,
    certificatePem: normalizePem(key.certificatePem),
    certificateBase64: certificate.raw.toString('base64'),
    fingerprint: certificate.fingerprint256,
  };
}

/**
 * PEM with the exact line layout admins paste into Guard (RFC 7468 §2): the BEGIN line, base64 in
 * lines of 64, the END line, `\n` between them and nothing after. Stray whitespace in a pasted
 * certificate is a known cause of Guard's "certificate does not match" (PLATFORM.md).
 */
export function normalizePem(pem: string): string {
  const body = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  const lines = body.match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----`;
}

/** The private key as a WebCrypto RS256 key (what openid-client and xmldsigjs sign with); not extractable, for signing only. */
export function toWebCryptoSigningKey(privateKey: KeyObject): Promise<webcrypto.CryptoKey> {
  return webcrypto.subtle.importKey('pkcs8', privateKey.export({ type: 'pkcs8', format: 'der' }), { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['sign']);
}
