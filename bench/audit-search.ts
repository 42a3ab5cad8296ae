/**
 * `npm run bench:audit`: how fast the audit trail finds records among 100,000 (issue 9). Fills
 * each store that runs here with the same records, written one `record` call at a time as
 * logins write them, then times the admin page's searches. Not a test: nothing here fails.
 *
 * Records: 100,000 over 30 days, 20 connections, 5,000 people (some sign in far more often
 * than others), 10% refused, and one configuration change per 500 logins.
 *
 *   npm run bench:audit                 SQLite, memory and the Forge fake
 *   npm run bench:audit -- --quick      20,000 records, to try changes
 *   npm run bench:audit -- --no-forge   without the Forge fake (the slowest to fill)
 *
 * The Forge figures run our code and the real @forge/kvs SDK against the in-memory fake of the
 * storage service (test/support/forge-kvs-transport.ts): their milliseconds say nothing about
 * Forge's latency. What carries over is the number of service requests per search, each of
 * which on Forge is one round trip and one billed read.
 */
import os from 'node:os';
import { auditCsv } from '../src/core/audit/audit-csv.js';
import { AUDIT_RETENTION_MS, type AuditQuery, type AuditRecord, type AuditTrail } from '../src/core/audit/audit-trail.js';
import { auditTrailFactories, type AuditTrailHarness } from '../test/support/audit-trails.js';

const args = new Set(process.argv.slice(2));
const RECORDS = args.has('--quick') ? 20_000 : 100_000;
const ROUNDS = args.has('--quick') ? 20 : 50;
const CONNECTIONS = 20;
const PEOPLE = 5_000;
const PAGE = 50;
const NOW = Date.UTC(2026, 0, 31, 12, 0, 0);
const DAY = 86_400_000;

/** A small seeded generator (mulberry32), so every store and every run gets the same records. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const reference = (n: number) => {
  const digits = n.toString(36).toUpperCase().padStart(8, '0');
  return `R-${digits.slice(0, 4)}-${digits.slice(4)}`;
};
const email = (person: number) => `user${person}@customer${person % 40}.example.com`;
const connection = (n: number) => `conn-${String(n).padStart(2, '0')}`;

function generate(): AuditRecord[] {
  const next = random(9);
  const records: AuditRecord[] = [];
  for (let n = 0; n < RECORDS; n += 1) {
    const time = NOW - 60_000 - Math.floor(next() * (AUDIT_RETENTION_MS - 3_600_000));
    const connectionId = connection(Math.floor(next() * CONNECTIONS));
    if (n % 500 === 499) {
      records.push({ kind: 'change', reference: reference(n), time, connectionId, actor: '557058:f00d-admin', action: 'connection.update', fields: ['oidc.issuer', 'oidc.clientSecret'], outcome: 'ok' });
      continue;
    }
    // Skewed: a few people sign in many times a day, most now and then.
    const person = Math.floor(PEOPLE * next() ** 2);
    const refused = next() < 0.1;
    records.push({
      kind: 'login',
      reference: reference(n),
      time,
      connectionId,
      flow: 'sp',
      providerId: 'okta',
      outcome: refused ? 'refused' : 'ok',
      ...(refused ? { code: next() < 0.5 ? 'user_domain_not_allowed' : 'oidc_access_denied' } : {}),
      email: email(person),
      subject: `00u${person.toString(36)}x9d7`,
      samlRequestId: `_${n.toString(16).padStart(32, '0')}`,
      samlResponseId: `_r${n.toString(16).padStart(32, '0')}`,
      durationMs: 300 + Math.floor(next() * 2_000),
    });
  }
  // Written as they happen: oldest first.
  return records.sort((a, b) => a.time - b.time);
}

interface Timing {
  p50: number;
  p95: number;
  /** Forge only: storage service requests per operation (mean). */
  requests?: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function time(rounds: number, operation: (round: number) => Promise<unknown>, countRequests?: () => number): Promise<Timing> {
  const samples: number[] = [];
  await operation(-1); // warm the statement cache and the JIT
  const before = countRequests?.() ?? 0;
  for (let round = 0; round < rounds; round += 1) {
    const start = performance.now();
    await operation(round);
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p95: percentile(samples, 95), ...(countRequests ? { requests: (countRequests() - before) / rounds } : {}) };
}

type Search = [name: string, run: (trail: AuditTrail, round: number) => Promise<unknown>];

function searches(records: AuditRecord[]): Search[] {
  const pick = random(77);
  const people = Array.from({ length: ROUNDS + 1 }, () => email(Math.floor(PEOPLE * pick() ** 2)));
  const references = Array.from({ length: ROUNDS + 1 }, () => records[Math.floor(pick() * records.length)]!.reference);
  const windows = Array.from({ length: ROUNDS + 1 }, () => NOW - Math.floor(pick() * 27 * DAY));
  const at = <T>(list: T[], round: number) => list[round + 1]!;
  const query = (trail: AuditTrail, q: Omit<AuditQuery, 'limit'>) => trail.query({ ...q, limit: PAGE });
  return [
    ['newest page (50)', (trail) => query(trail, {})],
    ['by email', (trail, round) => query(trail, { email: at(people, round) })],
    ['refused, 3-day range', (trail, round) => query(trail, { outcome: 'refused', from: at(windows, round) - 3 * DAY, to: at(windows, round) })],
    ['by connection', (trail, round) => query(trail, { connectionId: connection((round + CONNECTIONS) % CONNECTIONS) })],
    ['by reference', (trail, round) => trail.get(at(references, round))],
    ['CSV, 1,000 rows', (trail) => auditCsv(trail, {}, { maxRows: 1_000 })],
  ];
}

const fmt = (value: number, digits = 2) => value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

async function main(): Promise<void> {
  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
  console.log(`Audit search benchmark on ${os.availableParallelism()} × ${cpu}, Node ${process.version}: ${fmt(RECORDS, 0)} records, ${ROUNDS} rounds per search`);
  const records = generate();
  const refused = records.filter((r) => r.outcome === 'refused').length;
  console.log(`Records: ${CONNECTIONS} connections, ${PEOPLE} people, ${fmt((100 * refused) / records.length, 1)}% refused, ${records.filter((r) => r.kind === 'change').length} changes, over 30 days`);
  const loadBefore = os.loadavg()[0]!;

  const clock = { now: () => NOW };
  const rows: string[][] = [];
  const plan = searches(records);
  for (const [name, factory] of auditTrailFactories) {
    if (name.startsWith('Forge') && args.has('--no-forge')) continue;
    console.log(`… ${name}: filling`);
    const harness: AuditTrailHarness = await factory(clock);
    try {
      const fillStart = performance.now();
      for (const record of records) await harness.trail.record(record);
      const fillMs = performance.now() - fillStart;
      // The fake keeps every request for the tests; the bench only counts the ones after this.
      if (harness.transport) harness.transport.requests.length = 0;
      const requests = harness.transport ? () => harness.transport!.requests.length : undefined;
      const cells = [name.startsWith('Forge') ? 'Forge entities (SDK + fake service)' : name, `${fmt(fillMs / 1000, 1)} s (${fmt((1000 * fillMs) / records.length, 1)} µs each)`];
      for (const [search, run] of plan) {
        console.log(`… ${name}: ${search}`);
        const t = await time(ROUNDS, (round) => run(harness.trail, round), requests);
        cells.push(`${fmt(t.p50)} / ${fmt(t.p95)}${t.requests !== undefined ? ` (${fmt(t.requests, 1)} req)` : ''}`);
      }
      rows.push(cells);
    } finally {
      harness.close();
    }
  }

  const header = ['store', 'fill', ...plan.map(([name]) => name)];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((cells) => cells[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  console.log('');
  console.log('p50 / p95 ms per search; Forge: mean storage service requests per search in brackets');
  console.log([line(header), `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`, ...rows.map(line)].join('\n'));
  console.log(`\nThe Forge row times our code, the SDK and an in-memory stand-in that sorts the whole index on every request: not Forge's latency.`);
  console.log(`Load average (1 min) before ${loadBefore.toFixed(2)}, after ${os.loadavg()[0]!.toFixed(2)}, on ${os.availableParallelism()} cores.`);
}

await main();
