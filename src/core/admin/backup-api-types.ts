/**
 * The backup resolvers' part of the admin API contract (`admin-api-types.ts` names the keys).
 * Nothing here carries a secret: a file with secrets is sealed before it leaves the resolver,
 * and a preview says of a secret only whether the file changes it.
 */

import type { FieldProblem } from './admin-api-types.js';
import type { ConnectionSummary } from './admin-api-types.js';

/** `backup/export` (plain) and `backup/export-sealed` (with secrets, under a passphrase). */
export interface BackupExportRequest {
  /** One connection (with its providers); absent: every connection. */
  connectionId?: string;
  /** `backup/export-sealed` only: at least 12 characters; never stored or logged. */
  passphrase?: string;
}

export type BackupExportResponse =
  | {
      ok: true;
      /** A name to save the file under. */
      fileName: string;
      /** The file's text (JSON). */
      file: string;
      /** Where the secrets left out of a plain file are (`connections.<id>.providers.<id>.oidc.clientSecret`, `connections.<id>.providers.<id>.oidc.clientKey`, `connections.<id>.signingKey`). */
      omittedSecrets: string[];
    }
  | { ok: false; message: string };

/** `backup/preview` and `backup/import`: the file's text and, for a sealed file, its passphrase. */
export interface BackupImportRequest {
  file: string;
  passphrase?: string;
}

/** One field the import changes; values are settings (never secrets), JSON-encoded. */
export interface BackupDiffRow {
  /** A connection path (`serviceProvider.acsUrl`, `providers.<id>.oidc.issuer`). */
  path: string;
  change: 'added' | 'removed' | 'changed';
  before?: string;
  after?: string;
}

/** A client secret of the file against the stored one: only whether it changes. */
export interface BackupSecretRow {
  path: string;
  secret: 'changed' | 'unchanged' | 'not-in-file';
}

/**
 * What an import does with a connection's signing key: `same` (the file's is the active one),
 * `prepared` (already the prepared next one), `prepare` (it becomes the prepared next
 * certificate, activated by an owner as in a rotation), `not-in-file` (a plain file).
 */
export type BackupSigningKeyPlan = 'same' | 'prepared' | 'prepare' | 'not-in-file';

/**
 * What an import does with a `private_key_jwt` provider's client key, by the signing key's rule:
 * a key of the file becomes the prepared next client key (served in the JWKS at once, activated
 * by an owner with `client-key/activate`); without one (`not-in-file`), the installation makes
 * its own key for the provider, to register there.
 */
export interface BackupClientKeyPlan {
  providerId: string;
  clientKey: BackupSigningKeyPlan;
  /** The fingerprint of the file's client key certificate, to compare with the one registered at the provider. */
  fingerprint?: string;
}

export interface BackupConnectionPreview {
  connectionId: string;
  name: string;
  /** The installation has this connection already (else the import creates it, empty, then the draft). */
  exists: boolean;
  /** The connection has a draft now, which the import replaces. */
  replacesDraft: boolean;
  rows: BackupDiffRow[];
  secrets: BackupSecretRow[];
  signingKey: BackupSigningKeyPlan;
  /** One per provider of the file that signs with a client key (`private_key_jwt`). */
  clientKeys: BackupClientKeyPlan[];
  /** The fingerprint of the file's certificate, to compare with the one saved in Guard. */
  certificateFingerprint?: string;
  /** Per provider, the field errors config/save would refuse these settings with. */
  problems: { providerId: string; errors: FieldProblem[] }[];
}

export type BackupPreviewResponse =
  | { ok: true; encrypted: boolean; exportedAt: string; appVersion: string; valid: boolean; connections: BackupConnectionPreview[] }
  | { ok: false; message: string; needsPassphrase?: true };

export type BackupImportResponse =
  | { ok: true; connections: ConnectionSummary[]; imported: { connectionId: string; draft: boolean; signingKey: BackupSigningKeyPlan; clientKeys: BackupClientKeyPlan[] }[] }
  | { ok: false; message: string; needsPassphrase?: true; preview?: Extract<BackupPreviewResponse, { ok: true }> };
