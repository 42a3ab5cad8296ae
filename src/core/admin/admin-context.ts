import type { z } from 'zod';
import type { SigningCredentials, SigningKey } from '../../downstream-saml/signing-key.js';
import type { Clock } from '../ports.js';
import type { ProviderConfigurationCache } from '../../upstream-oidc/upstream-oidc.js';
import type { Ports } from '../ports.js';
import type { AuditTrail } from '../audit/audit-trail.js';
import type { AdminHost, AdminRefusal, FieldProblem } from './admin-api-types.js';

/**
 * What every admin resolver gets from its host. The host has already decided that the caller
 * is an admin (Forge: the product's ADMINISTER permission; standalone: the admin token); the
 * payload has not been checked by anyone.
 */
export interface AdminContext {
  ports: Ports;
  /** The bridge's public URL (Forge: the web trigger URL). */
  baseUrl: string;
  /** Accept `http://` on loopback hosts (standalone only, never Forge). */
  allowLoopbackHttp: boolean;
  /** Which host this is: on Forge, provider calls go through the egress proxy (`provider/egress`). */
  host: AdminHost;
  /** A connection's signing credentials (default: the first connection's); only the certificate ever leaves a resolver. */
  signingCredentials(connectionId?: string): Promise<SigningCredentials>;
  /** Where login attempts and configuration changes are recorded, and searched. */
  audit?: AuditTrail;
  /** Who is calling, for the audit log and to keep one admin's tests apart from another's. */
  actor: string;
  /** Makes a signing key for the key ring; absent, `createSigningKey` (tests pass a faster one). */
  createSigningKey?: (clock: Clock, commonName: string) => Promise<SigningKey>;
  /** Provider discovery shared with the bridge when the host has one; else a fresh one per call. */
  providerCache?: ProviderConfigurationCache;
}

/** A resolver answers its response type, or a refusal. */
export type AdminAnswer<T> = T | AdminRefusal;

export function badRequest(message: string, extra: Omit<AdminRefusal, 'error' | 'message'> = {}): AdminRefusal {
  return { error: 'bad_request', message, ...extra };
}

export function isRefusal(value: unknown): value is AdminRefusal {
  return typeof value === 'object' && value !== null && 'error' in value && typeof (value as { error: unknown }).error === 'string';
}

/** Describes zod issues of a payload in one line, naming each path. */
function describeIssues(error: z.ZodError): string {
  const parts = error.issues.slice(0, 5).map((issue) => {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') return `unknown field ${[path, issue.keys[0]].filter(Boolean).join('.')}`;
    return `${path || 'payload'}: ${issue.message}`;
  });
  return `The request is not valid (${parts.join('; ')}).`;
}

/** Checks an untrusted payload; garbage becomes a `bad_request` refusal. */
export function parsePayload<S extends z.ZodType>(schema: S, payload: unknown): { ok: true; value: z.output<S> } | { ok: false; refusal: AdminRefusal } {
  const parsed = schema.safeParse(payload ?? {});
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, refusal: badRequest(describeIssues(parsed.error)) };
}

export function fieldProblems(problems: readonly { path: string; message: string }[]): FieldProblem[] {
  return problems.map(({ path, message }) => ({ path, message }));
}
