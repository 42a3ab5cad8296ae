import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { jsonLogger } from '../../src/core/default-ports.js';
import type { LoginAuditRecord } from '../../src/core/audit/audit-trail.js';
import { demoUsers } from '../../dev/demo/demo-provider.js';
import { startHarness, stopAtAcs, type Harness } from '../support/login-harness.js';
import { loginAs } from '../support/refusals.js';
import { installSecretWatch, type SecretWatch } from '../support/secret-watch-core.js';
import { forgeBridge, type ForgeBridge } from '../support/forge-bridge.js';
import { stubAlice } from '../support/stub-provider.js';
import { UserAgent } from '../support/user-agent.js';

/**
 * Log lines carry references and codes, never who signed in: on Forge the app's logs leave the
 * customer's site (Atlassian's log service, the developer console), while the audit trail stays
 * in the customer's own storage and is where the email and subject go. Whole logins, that
 * succeed and that the bridge refuses after the provider vouched for someone (unverified email,
 * domain not allowed), on the standalone server with its real JSON logger and every console
 * line captured, and on Forge with the adapter's logger; then every line is searched for each
 * user's email (in any case) and subject, and each attempt's audit record for them.
 */

interface PersonalData {
  email: string;
  subject: string;
}

function lineMentions(line: string, user: PersonalData): string | undefined {
  if (line.toLowerCase().includes(user.email.toLowerCase())) return 'email';
  if (line.includes(user.subject)) return 'subject';
  // The address's local part on its own (a "user" field, a NameID split at the @).
  const local = user.email.slice(0, user.email.indexOf('@'));
  if (local.length >= 5 && new RegExp(`["'=: ]${local}["'@, ]`, 'i').test(line)) return 'local part';
  return undefined;
}

function expectNoPersonalData(lines: { source: string; line: string }[], users: PersonalData[]): void {
  const found = lines.flatMap(({ source, line }) =>
    users.flatMap((user) => {
      const what = lineMentions(line, user);
      return what ? [`${source}: ${what} of ${user.email} in ${line.slice(0, 300)}`] : [];
    }),
  );
  expect(found).toEqual([]);
}

describe('no email or subject in any log line (standalone, real peers)', () => {
  let watch: SecretWatch;
  let harness: Harness;
  const users = demoUsers.map((user) => ({ ...user, subject: user.sub }));

  beforeAll(async () => {
    watch = installSecretWatch();
    const logger = jsonLogger((line, level) => watch.lines.push({ source: `jsonLogger ${level}`, line }));
    harness = await startHarness({ standalone: { logger } });
  });
  afterAll(async () => {
    await harness?.close();
    watch?.uninstall();
  });

  it('logs references and codes for a login that succeeds and logins refused for an unverified email and a domain not allowed; the audit trail has the emails', async () => {
    const outcomes: { email: string; status: number }[] = [];
    for (const user of demoUsers) {
      const page = await loginAs(harness, new UserAgent({ stopAt: stopAtAcs }), user);
      outcomes.push({ email: user.email, status: page.status });
    }
    // The logins really ran to their ends (one of each kind at least).
    expect(outcomes.filter((o) => o.status === 200).length).toBeGreaterThan(0);
    const bridgeLines = watch.lines.filter((l) => l.source.startsWith('jsonLogger'));
    const records = bridgeLines.map((l) => JSON.parse(l.line) as { event: string; code?: string; reference?: string });
    const codes = records.filter((r) => r.event === 'request.failed').map((r) => r.code);
    expect(codes).toEqual(expect.arrayContaining(['user_email_unverified', 'user_domain_not_allowed']));

    expectNoPersonalData(watch.lines, users);

    // Each attempt's record in the customer's audit trail names who it was.
    const references = records.filter((r) => r.event === 'login.succeeded' || r.event === 'request.failed').map((r) => String(r.reference));
    expect(references).toHaveLength(demoUsers.length);
    const recorded = await Promise.all(references.map((reference) => harness.app.audit.get(reference)));
    const emails = recorded.map((record) => (record as LoginAuditRecord | undefined)?.email);
    for (const user of demoUsers) expect(emails).toContain(user.email.toLowerCase());
    expect(recorded.every((record) => typeof (record as LoginAuditRecord | undefined)?.subject === 'string')).toBe(true);
  });
});

describe('no email or subject in any log line (Forge)', () => {
  let forge: ForgeBridge;
  beforeAll(async () => {
    forge = await forgeBridge();
  });
  afterAll(() => forge.uninstall());

  const users = [
    { ...stubAlice, subject: stubAlice.sub },
    { ...stubAlice, sub: '00u1unverified00stub02', email: 'unverified.user@example.com', email_verified: false, subject: '00u1unverified00stub02' },
    { ...stubAlice, sub: '00u1elsewhere000stub03', email: 'elsewhere.user@other.example', subject: '00u1elsewhere000stub03' },
  ];

  it('logs references and codes for a login that succeeds and logins the bridge refuses', async () => {
    const statuses: number[] = [];
    for (const user of users) {
      const started = await forge.sso('https://start.atlassian.com');
      expect(started.statusCode).toBe(302);
      const location = started.headers.Location![0]!;
      const cookie = started.headers['Set-Cookie']?.[0]?.split(';')[0];
      const { subject: _subject, ...claims } = user;
      const answered = await forge.callback(forge.provider.authorize(location, claims), cookie);
      statuses.push(answered.statusCode);
    }
    expect(statuses).toEqual([200, 403, 403]);
    const codes = forge.logger.records.filter((r) => r.event === 'request.failed').map((r) => r.fields.code);
    expect(codes).toEqual(['user_email_unverified', 'user_domain_not_allowed']);
    expectNoPersonalData(
      forge.logger.records.map((record) => ({ source: 'forge logger', line: JSON.stringify(record) })),
      users.map((user) => ({ email: user.email!, subject: user.subject })),
    );
  });
});
