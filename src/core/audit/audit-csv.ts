import { AUDIT_PAGE_MAX, type AuditQuery, type AuditRecord, type AuditTrail, type ChangeAuditRecord, type LoginAuditRecord } from './audit-trail.js';

/**
 * The audit trail as CSV (RFC 4180: CRLF line ends, a header row, fields with a comma, quote,
 * CR or LF quoted, quotes doubled), for the admin page's export. Pages through the port's
 * `query`, newest first, with the same filters as the list.
 *
 * Emails, subjects and error codes come from identity providers and end users, and the file is
 * meant to be opened in a spreadsheet: a cell that starts with `=`, `+`, `-`, `@`, tab or CR
 * would be read as a formula (OWASP "CSV injection"), so it gets a leading apostrophe, which
 * spreadsheets show as text and do not evaluate.
 */

type Cell = string | number | undefined;
const login = (read: (record: LoginAuditRecord) => Cell) => (record: AuditRecord) => (record.kind === 'login' ? read(record) : undefined);
const change = (read: (record: ChangeAuditRecord) => Cell) => (record: AuditRecord) => (record.kind === 'change' ? read(record) : undefined);

/** Each column and its value, in their order; a login leaves the change columns empty and the reverse. */
const COLUMNS: readonly (readonly [string, (record: AuditRecord) => Cell])[] = [
  ['time', (record) => new Date(record.time).toISOString()],
  ['reference', (record) => record.reference],
  ['kind', (record) => record.kind],
  ['outcome', (record) => record.outcome],
  ['code', login((record) => record.code)],
  ['connectionId', (record) => record.connectionId],
  ['providerId', login((record) => record.providerId)],
  ['flow', login((record) => record.flow)],
  ['email', login((record) => record.email)],
  ['subject', login((record) => record.subject)],
  ['samlRequestId', login((record) => record.samlRequestId)],
  ['samlResponseId', login((record) => record.samlResponseId)],
  ['durationMs', login((record) => record.durationMs)],
  ['actor', change((record) => record.actor)],
  ['action', change((record) => record.action)],
  ['fields', change((record) => record.fields.join(' '))],
];

export const AUDIT_CSV_COLUMNS: readonly string[] = COLUMNS.map(([name]) => name);

/** Most rows one export holds unless the caller asks for fewer. */
export const AUDIT_CSV_MAX_ROWS = 10_000;

export interface AuditCsv {
  csv: string;
  /** Data rows, the header not counted. */
  rows: number;
  /** More records matched than the export holds. */
  truncated: boolean;
}

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

/** One cell: neutralised against formulas, then quoted if RFC 4180 requires it. */
export function csvCell(value: Cell): string {
  if (value === undefined) return '';
  let text = String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The records matching `filters`, newest first, at most `maxRows` of them, as one CSV text. */
export async function auditCsv(
  trail: AuditTrail,
  filters: Omit<AuditQuery, 'limit' | 'cursor'>,
  options: { maxRows?: number } = {},
): Promise<AuditCsv> {
  const maxRows = options.maxRows ?? AUDIT_CSV_MAX_ROWS;
  if (!Number.isInteger(maxRows) || maxRows < 1) throw new TypeError('maxRows must be a whole number from 1');
  const lines = [AUDIT_CSV_COLUMNS.join(',')];
  let cursor: string | undefined;
  let truncated = false;
  do {
    const wanted = maxRows - (lines.length - 1);
    const page = await trail.query({ ...filters, limit: Math.min(AUDIT_PAGE_MAX, wanted), ...(cursor !== undefined ? { cursor } : {}) });
    for (const record of page.records) lines.push(COLUMNS.map(([, read]) => csvCell(read(record))).join(','));
    cursor = page.next;
    if (cursor !== undefined && lines.length - 1 >= maxRows) truncated = true;
  } while (cursor !== undefined && !truncated);
  return { csv: `${lines.join('\r\n')}\r\n`, rows: lines.length - 1, truncated };
}
