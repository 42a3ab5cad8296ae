import { describe, expect, it } from '@jest/globals';
import {
  AuditQueryError,
  auditIndexFor,
  auditRetentionStart,
  decodeAuditCursor,
  encodeAuditCursor,
  normaliseAuditQuery,
} from '../../../../src/core/audit/audit-query.js';
import { AUDIT_RETENTION_MS } from '../../../../src/core/audit/audit-trail.js';

// The shared query normalisation the three stores rely on; their behaviour is in
// test/contract/audit-trail.contract.test.ts.

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);

describe('audit cursor', () => {
  it('round-trips a position', () => {
    const position = { time: NOW - 123, reference: 'R-4F7K-2M9Q' };
    expect(decodeAuditCursor(encodeAuditCursor(position))).toEqual(position);
  });

  it('refuses every single-character change', () => {
    const cursor = encodeAuditCursor({ time: NOW, reference: 'R-4F7K-2M9Q' });
    for (let i = 0; i < cursor.length; i += 1) {
      const changed = cursor.slice(0, i) + (cursor[i] === 'A' ? 'B' : 'A') + cursor.slice(i + 1);
      expect(() => decodeAuditCursor(changed)).toThrow(AuditQueryError);
    }
  });
});

describe('normaliseAuditQuery', () => {
  it('applies the retention period to the lower bound', () => {
    expect(normaliseAuditQuery({ limit: 5 }, NOW)).toEqual({ from: NOW - AUDIT_RETENTION_MS + 1, limit: 5, empty: false });
    expect(normaliseAuditQuery({ from: NOW - 10, limit: 5 }, NOW).from).toBe(NOW - 10);
    expect(auditRetentionStart(NOW)).toBe(NOW - AUDIT_RETENTION_MS + 1);
  });

  it('keeps only the tighter of `to` and the cursor', () => {
    const cursor = encodeAuditCursor({ time: NOW - 100, reference: 'R-0001-0001' });
    expect(normaliseAuditQuery({ to: NOW - 50, cursor, limit: 5 }, NOW)).toMatchObject({ after: { time: NOW - 100 } });
    expect(normaliseAuditQuery({ to: NOW - 50, cursor, limit: 5 }, NOW)).not.toHaveProperty('to');
    expect(normaliseAuditQuery({ to: NOW - 200, cursor, limit: 5 }, NOW)).toMatchObject({ to: NOW - 200 });
    expect(normaliseAuditQuery({ to: NOW - 200, cursor, limit: 5 }, NOW)).not.toHaveProperty('after');
  });

  it('says when the bounds leave nothing to find', () => {
    expect(normaliseAuditQuery({ from: NOW, to: NOW, limit: 5 }, NOW).empty).toBe(true);
    expect(normaliseAuditQuery({ to: NOW - AUDIT_RETENTION_MS, limit: 5 }, NOW).empty).toBe(true);
    expect(normaliseAuditQuery({ from: NOW - 5, cursor: encodeAuditCursor({ time: NOW - 6, reference: 'R-1' }), limit: 5 }, NOW).empty).toBe(true);
    expect(normaliseAuditQuery({ from: NOW - 5, to: NOW - 4, limit: 5 }, NOW).empty).toBe(false);
  });

  it('names the index of the most selective filter', () => {
    const index = (q: Parameters<typeof normaliseAuditQuery>[0]) => auditIndexFor(normaliseAuditQuery(q, NOW));
    expect(index({ limit: 1 })).toBe('time');
    expect(index({ outcome: 'ok', kind: 'login', connectionId: 'c', email: 'a@b', limit: 1 })).toBe('email');
    expect(index({ outcome: 'ok', kind: 'change', connectionId: 'c', limit: 1 })).toBe('connectionId');
    expect(index({ outcome: 'refused', kind: 'change', limit: 1 })).toBe('kind');
    expect(index({ outcome: 'refused', kind: 'login', limit: 1 })).toBe('outcome');
    expect(index({ kind: 'login', limit: 1 })).toBe('kind');
  });
});
