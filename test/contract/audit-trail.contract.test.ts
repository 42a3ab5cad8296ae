import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import {
  AUDIT_KEY_TEXT_MAX,
  AUDIT_TEXT_MAX,
  AuditQueryError,
  encodeAuditCursor,
} from '../../src/core/audit/audit-query.js';
import {
  AUDIT_PAGE_MAX,
  AUDIT_RETENTION_MS,
  type AuditQuery,
  type AuditRecord,
  type LoginAuditRecord,
} from '../../src/core/audit/audit-trail.js';
import { auditRecordFactory } from '../support/audit-records.js';
import { auditTrailFactories, type AuditTrailHarness } from '../support/audit-trails.js';

// One contract, every store: in memory, SQLite, Forge custom entities through the real SDK.
// Expected results are computed here from the records the test wrote, never by a store.

const START = Date.UTC(2026, 0, 15, 12, 0, 0);
const MINUTE = 60_000;
const DAY = 86_400_000;

const reference = (n: number) => `R-${String(n).padStart(4, '0')}-${String(n * 7 % 10_000).padStart(4, '0')}`;

const { login, change } = auditRecordFactory({ start: START, stepMs: MINUTE, reference, full: true });

const newestFirst = (records: AuditRecord[]) =>
  [...records].sort((a, b) => b.time - a.time || (a.reference < b.reference ? 1 : a.reference > b.reference ? -1 : 0));
const refs = (records: AuditRecord[]) => records.map((r) => r.reference);

describe.each(auditTrailFactories)('audit trail contract: %s', (_name, factory) => {
  let time: number;
  const clock = { now: () => time };
  let harness: AuditTrailHarness;

  beforeEach(async () => {
    time = START;
    harness = await factory(clock);
  });
  afterEach(() => harness.close());

  const trail = () => harness.trail;
  const recordAll = async (records: AuditRecord[]) => {
    for (const record of records) await trail().record(record);
  };
  /** Every page of a query, following `next`. */
  const allPages = async (query: Omit<AuditQuery, 'cursor'>) => {
    const pages: AuditRecord[][] = [];
    let cursor: string | undefined;
    do {
      const page = await trail().query({ ...query, ...(cursor ? { cursor } : {}) });
      pages.push(page.records);
      cursor = page.next;
      if (pages.length > 100) throw new Error('query does not end');
    } while (cursor);
    return pages;
  };

  describe('record and get', () => {
    it('returns a login record as recorded', async () => {
      const record = login(1, { outcome: 'refused', code: 'user_domain_not_allowed' });
      await trail().record(record);
      await expect(trail().get(record.reference)).resolves.toEqual(record);
    });

    it('returns a change record as recorded', async () => {
      const record = change(1);
      await trail().record(record);
      await expect(trail().get(record.reference)).resolves.toEqual(record);
    });

    it('keeps only the optional fields that were given', async () => {
      const record: LoginAuditRecord = { kind: 'login', reference: 'R-AAAA-0001', time: START, flow: 'sp', outcome: 'refused', code: 'saml_request_missing', durationMs: 3 };
      await trail().record(record);
      const stored = await trail().get(record.reference);
      expect(stored).toEqual(record);
      expect(Object.keys(stored!).sort()).toEqual(Object.keys(record).sort());
    });

    it('drops properties the port does not define', async () => {
      await trail().record({ ...login(1), password: 'hunter2', extra: { nested: true } } as unknown as AuditRecord);
      await expect(trail().get(reference(1))).resolves.toEqual(login(1));
    });

    it('finds a reference typed in lower case or with spaces', async () => {
      await trail().record(login(1));
      await expect(trail().get(`  ${reference(1).toLowerCase()} `)).resolves.toEqual(login(1));
    });

    it('returns undefined for an unknown reference', async () => {
      await trail().record(login(1));
      await expect(trail().get(reference(2))).resolves.toBeUndefined();
    });

    it('keeps the first record of a reference and ignores a second one', async () => {
      const first = login(1, { outcome: 'refused', code: 'oidc_timeout' });
      await trail().record(first);
      await trail().record(login(1, { outcome: 'ok', email: 'mallory@example.com', time: START }));
      await expect(trail().get(first.reference)).resolves.toEqual(first);
      expect(refs((await trail().query({ limit: 10 })).records)).toEqual([first.reference]);
      expect((await trail().query({ email: 'mallory@example.com', limit: 10 })).records).toEqual([]);
    });

    it('refuses a malformed record as a programming error', async () => {
      await expect(trail().record(login(1, { reference: 'not a reference' }))).rejects.toBeInstanceOf(TypeError);
      await expect(trail().record(login(1, { time: 1.5 }))).rejects.toBeInstanceOf(TypeError);
      await expect(trail().record(login(1, { durationMs: Number.NaN }))).rejects.toBeInstanceOf(TypeError);
      await expect(trail().record({ ...login(1), kind: 'other' } as unknown as AuditRecord)).rejects.toBeInstanceOf(TypeError);
      await expect(trail().record(change(1, { fields: 'oidc.issuer' as unknown as string[] }))).rejects.toBeInstanceOf(TypeError);
      expect((await trail().query({ limit: 10 })).records).toEqual([]);
    });
  });

  describe('email', () => {
    it('is stored in lower case and matched without regard to case', async () => {
      await trail().record(login(1, { email: 'Alice.Smith@Example.COM' }));
      await trail().record(login(2, { email: 'ÉLODIE@EXAMPLE.FR' }));
      expect((await trail().get(reference(1)))).toMatchObject({ email: 'alice.smith@example.com' });
      expect(refs((await trail().query({ email: 'ALICE.smith@example.com', limit: 10 })).records)).toEqual([reference(1)]);
      expect(refs((await trail().query({ email: ' alice.smith@example.com ', limit: 10 })).records)).toEqual([reference(1)]);
      expect(refs((await trail().query({ email: 'élodie@Example.fr', limit: 10 })).records)).toEqual([reference(2)]);
    });

    it('is an exact match: quotes, percent and underscore are plain characters', async () => {
      const emails = ["o'brien@example.com", 'a%b@example.com', 'a_b@example.com', 'axb@example.com', 'a"b@example.com', 'a\\b@example.com'];
      await recordAll(emails.map((email, i) => login(i + 1, { email })));
      for (const [i, email] of emails.entries()) {
        expect(refs((await trail().query({ email, limit: 10 })).records)).toEqual([reference(i + 1)]);
      }
      for (const pattern of ['a%', '%', '_', 'a_b@example.co_', "' OR '1'='1", 'a%b@example.com%']) {
        expect((await trail().query({ email: pattern, limit: 10 })).records).toEqual([]);
      }
    });

    it('filters nothing when left empty', async () => {
      await recordAll([login(1), login(2, { email: 'bob@example.com' })]);
      expect((await trail().query({ email: '', limit: 10 })).records).toHaveLength(2);
    });
  });

  describe('filters', () => {
    // 48 records: every combination of 3 emails, 2 outcomes, 2 connections, 2 kinds, 2 each,
    // plus logins refused before their connection or email was known.
    const emails = ['alice@example.com', 'bob@example.com', 'carol@example.com'];
    const seeded: AuditRecord[] = [];
    let n = 0;
    for (const email of emails) {
      for (const outcome of ['ok', 'refused'] as const) {
        for (const connectionId of ['conn-a', 'conn-b']) {
          for (let copy = 0; copy < 2; copy += 1) {
            n += 1;
            seeded.push(login(n, { email, outcome, connectionId, ...(outcome === 'refused' ? { code: 'user_domain_not_allowed' } : {}) }));
            n += 1;
            seeded.push(change(n, { outcome, connectionId, actor: email }));
          }
        }
      }
    }
    const { connectionId: _c, email: _e, ...unknownUser } = login(++n, { outcome: 'refused', code: 'saml_request_malformed' });
    seeded.push(unknownUser as LoginAuditRecord);

    const expected = (q: Partial<AuditQuery>) =>
      refs(
        newestFirst(
          seeded.filter(
            (r) =>
              (q.kind === undefined || r.kind === q.kind) &&
              (q.outcome === undefined || r.outcome === q.outcome) &&
              (q.connectionId === undefined || r.connectionId === q.connectionId) &&
              (q.email === undefined || (r.kind === 'login' && r.email === q.email)),
          ),
        ),
      );

    const cases: Partial<AuditQuery>[] = [
      {},
      { email: 'bob@example.com' },
      { outcome: 'refused' },
      { outcome: 'ok' },
      { connectionId: 'conn-b' },
      { kind: 'change' },
      { kind: 'login' },
      { email: 'bob@example.com', outcome: 'refused' },
      { email: 'carol@example.com', connectionId: 'conn-a' },
      { connectionId: 'conn-a', outcome: 'refused' },
      { kind: 'change', outcome: 'refused' },
      { kind: 'change', connectionId: 'conn-b', outcome: 'ok' },
      { kind: 'login', email: 'alice@example.com', connectionId: 'conn-b', outcome: 'refused' },
      { kind: 'change', email: 'alice@example.com' },
      { email: 'nobody@example.com' },
      { connectionId: 'conn-z' },
    ];

    it.each(cases)('%o', async (q) => {
      await recordAll(seeded);
      const result = await trail().query({ ...q, limit: AUDIT_PAGE_MAX });
      expect(refs(result.records)).toEqual(expected(q));
      expect(result.next).toBeUndefined();
    });

    it('each filter narrows the result (the seed is not degenerate)', () => {
      const all = expected({}).length;
      for (const q of cases.slice(1)) expect(expected(q).length).toBeLessThan(all);
      expect(expected({ kind: 'login', email: 'alice@example.com', connectionId: 'conn-b', outcome: 'refused' })).toHaveLength(2);
    });

    it('pages through a filtered query with a small limit', async () => {
      await recordAll(seeded);
      const pages = await allPages({ outcome: 'refused', connectionId: 'conn-a', limit: 2 });
      expect(pages.flat().map((r) => r.reference)).toEqual(expected({ outcome: 'refused', connectionId: 'conn-a' }));
      expect(pages.slice(0, -1).every((page) => page.length === 2)).toBe(true);
    });
  });

  describe('date range', () => {
    it('includes `from` and excludes `to`', async () => {
      const at = (n: number, t: number) => login(n, { time: t });
      await recordAll([at(1, START - 10), at(2, START - 20), at(3, START - 30), at(4, START - 40)]);
      expect(refs((await trail().query({ from: START - 30, to: START - 10, limit: 10 })).records)).toEqual([reference(2), reference(3)]);
      expect(refs((await trail().query({ from: START - 30, limit: 10 })).records)).toEqual([reference(1), reference(2), reference(3)]);
      expect(refs((await trail().query({ to: START - 30, limit: 10 })).records)).toEqual([reference(4)]);
      expect(refs((await trail().query({ from: START - 20, to: START - 19, limit: 10 })).records)).toEqual([reference(2)]);
      expect((await trail().query({ from: START - 20, to: START - 20, limit: 10 })).records).toEqual([]);
      expect((await trail().query({ from: START - 10, to: START - 40, limit: 10 })).records).toEqual([]);
    });

    it('treats fractional bounds as the whole ms that they admit', async () => {
      await recordAll([login(1, { time: START - 10 }), login(2, { time: START - 11 })]);
      expect(refs((await trail().query({ from: START - 10.5, limit: 10 })).records)).toEqual([reference(1)]);
      expect(refs((await trail().query({ to: START - 10.5, limit: 10 })).records)).toEqual([reference(2)]);
    });

    it('combines with filters and paging', async () => {
      const records = Array.from({ length: 30 }, (_, i) => login(i + 1, { outcome: i % 3 === 0 ? 'refused' : 'ok' }));
      await recordAll(records);
      const from = START - 25 * MINUTE;
      const to = START - 4 * MINUTE;
      const want = refs(newestFirst(records.filter((r) => r.time >= from && r.time < to && r.outcome === 'ok')));
      expect(want.length).toBeGreaterThan(6);
      const pages = await allPages({ outcome: 'ok', from, to, limit: 4 });
      expect(pages.flat().map((r) => r.reference)).toEqual(want);
    });

    it('refuses bounds that are not times', async () => {
      await expect(trail().query({ from: Number.NaN, limit: 10 })).rejects.toMatchObject({ field: 'from' });
      await expect(trail().query({ to: '2026-01-01' as unknown as number, limit: 10 })).rejects.toMatchObject({ field: 'to' });
    });
  });

  describe('order and paging', () => {
    it('returns the newest first, ties in time by reference', async () => {
      const records = [login(3, { time: START - 5 }), login(1, { time: START - 5 }), login(2, { time: START - 1 }), change(4, { time: START - 5 }), login(5, { time: START - 9 })];
      await recordAll(records);
      expect(refs((await trail().query({ limit: 10 })).records)).toEqual([reference(2), reference(4), reference(3), reference(1), reference(5)]);
    });

    it('pages with a cursor, every record once, across ties in time', async () => {
      // 45 records over 9 ms, 5 in each: pages of 7 end in the middle of a tie.
      const records = Array.from({ length: 45 }, (_, i) => login(i + 1, { time: START - Math.floor(i / 5) }));
      await recordAll([...records].reverse());
      const pages = await allPages({ limit: 7 });
      expect(pages.map((p) => p.length)).toEqual([7, 7, 7, 7, 7, 7, 3]);
      expect(pages.flat().map((r) => r.reference)).toEqual(refs(newestFirst(records)));
    });

    it('says there is no next page when the last one is exactly full', async () => {
      await recordAll(Array.from({ length: 6 }, (_, i) => login(i + 1)));
      const first = await trail().query({ limit: 3 });
      expect(first.next).toBeDefined();
      const second = await trail().query({ limit: 3, cursor: first.next! });
      expect(second.records).toHaveLength(3);
      expect(second.next).toBeUndefined();
    });

    it('continues after the cursor when newer records arrive between pages', async () => {
      await recordAll(Array.from({ length: 6 }, (_, i) => login(i + 1)));
      const first = await trail().query({ limit: 3 });
      time += MINUTE;
      await trail().record(login(100, { time: START + 1 }));
      const second = await trail().query({ limit: 3, cursor: first.next! });
      expect(refs(second.records)).toEqual([reference(4), reference(5), reference(6)]);
    });

    it('caps the limit at AUDIT_PAGE_MAX', async () => {
      const records = Array.from({ length: AUDIT_PAGE_MAX + 5 }, (_, i) => login(i + 1, { time: START - i }));
      await recordAll(records);
      const first = await trail().query({ limit: 10_000 });
      expect(first.records).toHaveLength(AUDIT_PAGE_MAX);
      const rest = await trail().query({ limit: 10_000, cursor: first.next! });
      expect(refs(rest.records)).toEqual(refs(records.slice(AUDIT_PAGE_MAX)));
      expect(rest.next).toBeUndefined();
    });

    it('rounds a fractional limit down and refuses one below 1', async () => {
      await recordAll([login(1), login(2), login(3)]);
      expect((await trail().query({ limit: 2.9 })).records).toHaveLength(2);
      for (const limit of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
        const error = await trail().query({ limit }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(AuditQueryError);
        expect((error as AuditQueryError).field).toBe('limit');
      }
    });
  });

  describe('retention', () => {
    it('forgets a record after AUDIT_RETENTION_MS, in get and in every query', async () => {
      const old = login(1, { time: START, outcome: 'refused', email: 'old@example.com', connectionId: 'conn-old' });
      const oldChange = change(2, { time: START + 1, connectionId: 'conn-old' });
      await recordAll([old, oldChange]);
      time = START + AUDIT_RETENTION_MS - 1;
      await trail().record(login(3, { time, email: 'old@example.com', connectionId: 'conn-old', outcome: 'refused' }));
      await expect(trail().get(old.reference)).resolves.toEqual(old);

      time = START + AUDIT_RETENTION_MS;
      await expect(trail().get(old.reference)).resolves.toBeUndefined();
      await expect(trail().get(oldChange.reference)).resolves.toEqual(oldChange);
      for (const q of [{}, { email: 'old@example.com' }, { outcome: 'refused' as const }, { connectionId: 'conn-old' }, { kind: 'login' as const }, { from: 0 }]) {
        expect(refs((await trail().query({ ...q, limit: 10 })).records)).not.toContain(old.reference);
      }
      expect(refs((await trail().query({ limit: 10 })).records)).toEqual([reference(3), reference(2)]);

      time = START + AUDIT_RETENTION_MS + 1;
      expect(refs((await trail().query({ kind: 'change', limit: 10 })).records)).toEqual([]);
    });

    it('does not keep a record that is already past retention', async () => {
      await trail().record(login(1, { time: START - AUDIT_RETENTION_MS }));
      await trail().record(login(2, { time: START - AUDIT_RETENTION_MS + 1 }));
      await expect(trail().get(reference(1))).resolves.toBeUndefined();
      expect(refs((await trail().query({ limit: 10 })).records)).toEqual([reference(2)]);
    });

    it('records a reference again once its first record has expired', async () => {
      await trail().record(login(1, { time: START }));
      time = START + AUDIT_RETENTION_MS + DAY;
      const again = login(1, { time: time - MINUTE, email: 'later@example.com' });
      await trail().record(again);
      await expect(trail().get(reference(1))).resolves.toEqual(again);
      expect(refs((await trail().query({ email: 'later@example.com', limit: 10 })).records)).toEqual([reference(1)]);
    });

    it('does not continue a cursor into expired records', async () => {
      await recordAll([login(1, { time: START }), login(2, { time: START - DAY }), login(3, { time: START - 2 * DAY })]);
      const first = await trail().query({ limit: 1 });
      time = START - DAY + AUDIT_RETENTION_MS;
      const second = await trail().query({ limit: 1, cursor: first.next! });
      expect(second.records).toEqual([]);
      expect(second.next).toBeUndefined();
    });
  });

  describe('hostile input', () => {
    it('cuts over-long text instead of losing the record', async () => {
      const long = login(1, { email: `${'a'.repeat(5000)}@example.com`, subject: 's'.repeat(100_000), samlRequestId: `_${'r'.repeat(5000)}` });
      await trail().record(long);
      const stored = (await trail().get(reference(1))) as LoginAuditRecord;
      expect(stored.email).toBe('a'.repeat(AUDIT_KEY_TEXT_MAX));
      expect(stored.subject).toBe('s'.repeat(AUDIT_TEXT_MAX));
      expect(stored.samlRequestId).toHaveLength(AUDIT_TEXT_MAX);
      expect(refs((await trail().query({ email: 'a'.repeat(AUDIT_KEY_TEXT_MAX), limit: 10 })).records)).toEqual([reference(1)]);
    });

    it('keeps characters that need escaping in SQL, JSON or keys', async () => {
      const odd = login(1, { subject: "'; DROP TABLE audit; --\u0000\n\"\\#:%_😀", connectionId: "conn'\"#%_ \u00e9", samlRequestId: '\uD800 lone' });
      await trail().record(odd);
      const stored = (await trail().get(reference(1))) as LoginAuditRecord;
      expect(stored.subject).toBe(odd.subject);
      expect(stored.samlRequestId).toBe('\uFFFD lone');
      expect(refs((await trail().query({ connectionId: odd.connectionId!, limit: 10 })).records)).toEqual([reference(1)]);
      expect((await trail().query({ connectionId: 'conn%', limit: 10 })).records).toEqual([]);
    });

    it('refuses a filter longer than any stored value', async () => {
      await expect(trail().query({ email: `${'a'.repeat(AUDIT_KEY_TEXT_MAX + 1)}`, limit: 10 })).rejects.toMatchObject({ field: 'email' });
      await expect(trail().query({ connectionId: 'c'.repeat(AUDIT_KEY_TEXT_MAX + 1), limit: 10 })).rejects.toMatchObject({ field: 'connectionId' });
    });

    it('refuses an unknown kind or outcome', async () => {
      await expect(trail().query({ kind: 'admin' as 'login', limit: 10 })).rejects.toMatchObject({ field: 'kind' });
      await expect(trail().query({ outcome: "ok' OR 1=1" as 'ok', limit: 10 })).rejects.toMatchObject({ field: 'outcome' });
    });

    it('refuses a cursor it did not hand out, and still answers afterwards', async () => {
      await recordAll([login(1), login(2), login(3)]);
      const good = (await trail().query({ limit: 1 })).next!;
      const [, body, check] = good.split('.');
      const forged = [
        'garbage',
        `${good}x`,
        good.slice(0, -2),
        `a1.${body}`,
        `a1.${body!.slice(0, -2)}.${check}`,
        `a1.${Buffer.from(`${Number(Buffer.from(body!, 'base64url').toString().split(':')[0]) - 1}:R-0001-0007`).toString('base64url')}.${check}`,
        `a2.${body}.${check}`,
        `a1.${'A'.repeat(5000)}.${check}`,
        42 as unknown as string,
      ];
      for (const cursor of forged) {
        const error = await trail().query({ limit: 1, cursor }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(AuditQueryError);
        expect((error as AuditQueryError).field).toBe('cursor');
      }
      expect(refs((await trail().query({ limit: 1, cursor: good })).records)).toEqual([reference(2)]);
    });

    it('follows a well-formed cursor to any position, as a position only', async () => {
      await recordAll([login(1), login(2), login(3)]);
      const cursor = encodeAuditCursor({ time: login(2).time, reference: reference(2) });
      expect(refs((await trail().query({ limit: 10, cursor })).records)).toEqual([reference(3)]);
      const beforeAll = encodeAuditCursor({ time: START + DAY, reference: 'R-ZZZZ-ZZZZ' });
      expect((await trail().query({ limit: 10, cursor: beforeAll })).records).toHaveLength(3);
    });

    it('answers undefined for a reference that cannot be one', async () => {
      await trail().record(login(1));
      for (const typed of ["' OR '1'='1", '%', '', 'R-'.repeat(300), 'R-0001-0007; DROP TABLE audit', '../../etc', '\u0000']) {
        await expect(trail().get(typed)).resolves.toBeUndefined();
      }
    });
  });
});
