import { z } from 'zod';
import { AUDIT_PAGE_MAX, type AuditQuery, type AuditRecord } from '../audit/audit-trail.js';
import { ID_PATTERN } from '../connections/connections-document.js';
import { bridgeErrorCodes, publicError, type BridgeErrorCode } from '../errors.js';
import type { AuditExportResponse, AuditQueryResponse, AuditRecordView } from './admin-api-types.js';
import { auditCsv } from '../audit/audit-csv.js';
import { AuditQueryError } from '../audit/audit-query.js';
import { badRequest, parsePayload, type AdminAnswer, type AdminContext } from './admin-context.js';

/**
 * `audit/query`: the audit trail newest first, filtered by reference id, email, outcome,
 * connection and date. The records are the customer's own: emails and subjects are shown to
 * the admin here (and nowhere in the logs).
 */

const REFERENCE = /^R-[A-Z0-9]{4}-[A-Z0-9]{4}$/;

export const auditFilterFields = {
  reference: z.string().trim().toUpperCase().regex(REFERENCE, 'A reference looks like R-AB12-CD34.').optional(),
  email: z.string().trim().min(1).max(320).optional(),
  outcome: z.enum(['ok', 'refused']).optional(),
  connectionId: z.string().regex(ID_PATTERN).optional(),
  kind: z.enum(['login', 'change']).optional(),
  from: z.number().int().min(0).optional(),
  to: z.number().int().min(0).optional(),
};

const querySchema = z.strictObject({
  ...auditFilterFields,
  limit: z.number().int().min(1).max(AUDIT_PAGE_MAX).optional(),
  cursor: z.string().max(2000).optional(),
});

export type AuditFilters = z.output<z.ZodObject<typeof auditFilterFields>>;

export function auditQueryOf(filters: AuditFilters, limit: number, cursor?: string): AuditQuery {
  return {
    limit,
    ...(cursor ? { cursor } : {}),
    ...(filters.kind ? { kind: filters.kind } : {}),
    ...(filters.email ? { email: filters.email } : {}),
    ...(filters.outcome ? { outcome: filters.outcome } : {}),
    ...(filters.connectionId ? { connectionId: filters.connectionId } : {}),
    ...(filters.from !== undefined ? { from: filters.from } : {}),
    ...(filters.to !== undefined ? { to: filters.to } : {}),
  };
}

export async function auditQuery(ctx: AdminContext, payload: unknown): Promise<AdminAnswer<AuditQueryResponse>> {
  const parsed = parsePayload(querySchema, payload);
  if (!parsed.ok) return parsed.refusal;
  if (!ctx.audit) return badRequest('This host keeps no audit trail.');
  const { reference, limit, cursor, ...filters } = parsed.value;
  if (reference) {
    // The reference an end user read out: one record, whatever the other filters say.
    const found = await ctx.audit.get(reference);
    return { records: found ? [viewOf(found)] : [] };
  }
  try {
    const page = await ctx.audit.query(auditQueryOf(filters, limit ?? 50, cursor));
    return { records: page.records.map(viewOf), ...(page.next ? { next: page.next } : {}) };
  } catch (error) {
    if (error instanceof AuditQueryError) return badRequest(error.message);
    throw error;
  }
}

const exportSchema = z.strictObject(auditFilterFields);

/** Rows one export holds: the resolver answers within Forge's 25 s and its 5 MB payload. */
export const AUDIT_EXPORT_MAX = 5_000;

/** `audit/export`: the records the filters select, as CSV, newest first. */
export async function auditExport(ctx: AdminContext, payload: unknown): Promise<AdminAnswer<AuditExportResponse>> {
  const parsed = parsePayload(exportSchema, payload);
  if (!parsed.ok) return parsed.refusal;
  if (!ctx.audit) return badRequest('This host keeps no audit trail.');
  const { reference, ...filters } = parsed.value;
  if (reference) return badRequest('Export by date, email, outcome or connection; a reference is one record.');
  try {
    const { limit: _limit, ...query } = auditQueryOf(filters, 1);
    const exported = await auditCsv(ctx.audit, query, { maxRows: AUDIT_EXPORT_MAX });
    const day = new Date(ctx.ports.clock.now()).toISOString().slice(0, 10);
    return { csv: exported.csv, rows: exported.rows, truncated: exported.truncated, fileName: `sso-audit-${day}.csv` };
  } catch (error) {
    if (error instanceof AuditQueryError) return badRequest(error.message);
    throw error;
  }
}

function isBridgeErrorCode(code: string | undefined): code is BridgeErrorCode {
  return code !== undefined && (bridgeErrorCodes as string[]).includes(code);
}

/** A record for the admin page, with the title the end user saw for a refusal. */
export function viewOf(record: AuditRecord): AuditRecordView {
  if (record.kind === 'change') {
    const { kind, reference, time, connectionId, outcome, actor, action, fields } = record;
    return { kind, reference, time, outcome, actor, action, fields: [...fields], ...(connectionId ? { connectionId } : {}) };
  }
  const code = record.code;
  return {
    ...record,
    ...(isBridgeErrorCode(code) ? { codeTitle: publicError(code).title } : {}),
  };
}
