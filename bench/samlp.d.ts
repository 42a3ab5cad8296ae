/** The part of Auth0's samlp (no published types) the benchmark's peer mint uses. */
declare module 'samlp' {
  import type { KeyObject } from 'node:crypto';

  interface ProfileMap {
    getClaims(options: unknown): Record<string, string | string[]>;
    getNameIdentifier(options: unknown): { nameIdentifier: string; nameIdentifierFormat?: string };
  }

  interface SamlResponseOptions {
    issuer: string;
    cert: string | Buffer;
    key: string | Buffer | KeyObject;
    audience: string;
    destination?: string;
    recipient?: string;
    inResponseTo?: string;
    signResponse?: boolean;
    signatureAlgorithm?: 'rsa-sha256' | 'rsa-sha1';
    digestAlgorithm?: 'sha256' | 'sha1';
    lifetimeInSeconds?: number;
    sessionIndex?: string;
    authnContextClassRef?: string;
    profileMapper?: (user: unknown) => ProfileMap;
  }

  const samlp: {
    getSamlResponse(options: SamlResponseOptions, user: unknown, callback: (error: Error | null, samlResponse: string) => void): void;
  };
  export default samlp;
}
