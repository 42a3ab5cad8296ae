import type { ChangeAuditRecord, LoginAuditRecord } from '../../src/core/audit/audit-trail.js';

/**
 * Audit records for the trail's tests: record `n` is `n` steps older than `start`, with a
 * reference of its own. `full` adds what a finished login carries (provider, subject, SAML ids).
 */
export function auditRecordFactory(options: { start: number; stepMs: number; reference?: (n: number) => string; full?: boolean }) {
  const reference = options.reference ?? ((n: number) => `R-${String(n).padStart(4, '0')}-AAAA`);
  const login = (n: number, overrides: Partial<LoginAuditRecord> = {}): LoginAuditRecord => ({
    kind: 'login',
    reference: reference(n),
    time: options.start - n * options.stepMs,
    connectionId: 'conn-a',
    flow: 'sp',
    ...(options.full ? { providerId: 'okta' } : {}),
    outcome: 'ok',
    email: 'alice@example.com',
    ...(options.full ? { subject: `sub-${n}`, samlRequestId: `_req${n}`, samlResponseId: `_resp${n}` } : {}),
    durationMs: 250,
    ...overrides,
  });
  const change = (n: number, overrides: Partial<ChangeAuditRecord> = {}): ChangeAuditRecord => ({
    kind: 'change',
    reference: reference(n),
    time: options.start - n * options.stepMs,
    connectionId: 'conn-a',
    actor: '557058:admin',
    action: 'connection.update',
    fields: ['oidc.clientSecret', 'oidc.issuer'],
    outcome: 'ok',
    ...overrides,
  });
  return { login, change, reference };
}
