import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { LoginAuditRecord } from '../../src/core/audit/audit-trail.js';
import { demoUsers, type DemoUser } from '../../dev/demo/demo-provider.js';
import { UserAgent } from '../support/user-agent.js';
import { ACS_URL, readAutoPost, startHarness, stopAtAcs, type Harness } from '../support/login-harness.js';
import { expectRefusal, loginAs, loginUpToCallback, mark } from '../support/refusals.js';

/**
 * The access rule in whole logins (issue 13, item 4) against the real peers: `oidc-provider`
 * sends a `groups` claim for the `groups` scope (as an Okta authorization server with a groups
 * claim does), node-saml verifies the response. A member of an allowed group signs in; everyone
 * else is refused with the rule's own code, and the refusal is in the audit trail under the
 * page's reference, with no group name in any log line.
 */

const ALLOWED = 'Jira-Users';
const base = demoUsers.find((u) => u.email === 'alice@example.com')!;
const account = (name: string, extra: Partial<DemoUser>): DemoUser => ({
  ...base,
  sub: `00u1${name}`.padEnd(21, '0'),
  email: `${name}@example.com`,
  password: `${name}-demo`,
  given_name: name,
  name,
  ...extra,
});
const member = account('member', { groups: ['Everyone', ALLOWED] });
const outsider = account('outsider', { groups: ['Everyone', 'jira-users', `${ALLOWED} `] });
const groupless = account('groupless', {});
const overage = account('overage', { groupsOverage: true });

const loginRecord = async (harness: Harness, reference: string) => (await harness.app.audit.get(reference)) as LoginAuditRecord | undefined;

describe('allowed groups, in whole logins against oidc-provider', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness({
      users: [member, outsider, groupless, overage],
      config: (raw) => ({ ...raw, oidc: { ...raw.oidc, scopes: ['openid', 'email', 'profile', 'groups'] }, allowedGroups: [ALLOWED] }),
    });
  });
  afterAll(async () => harness.close());

  it('signs in a member of an allowed group, with a response node-saml accepts', async () => {
    const agent = new UserAgent({ stopAt: stopAtAcs });
    const { callback, sp } = await loginUpToCallback(harness, agent, member);
    const page = await agent.get(callback);
    expect(page.status).toBe(200);
    const post = readAutoPost(page);
    expect(post.action).toBe(ACS_URL);
    const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: post.SAMLResponse!, RelayState: post.RelayState! });
    expect(profile?.nameID).toBe(member.email);
    const records = (await harness.app.audit.query({ kind: 'login', outcome: 'ok', limit: 5 })).records as LoginAuditRecord[];
    expect(records.find((r) => r.email === member.email)).toMatchObject({ outcome: 'ok' });
  });

  it('refuses a user in none of the allowed groups (differing case and a trailing space are other groups), and records it', async () => {
    const since = mark(harness);
    const page = await loginAs(harness, new UserAgent({ stopAt: stopAtAcs }), outsider);
    const reference = expectRefusal(page, since, { status: 403, code: 'user_not_in_allowed_group' });
    expect(page.$('h1').text()).toBeTruthy();
    expect(await loginRecord(harness, reference)).toMatchObject({ outcome: 'refused', code: 'user_not_in_allowed_group', email: outsider.email, reference });
  });

  it('refuses a user whose provider sends no groups claim (user_groups_missing), and records it', async () => {
    const since = mark(harness);
    const page = await loginAs(harness, new UserAgent({ stopAt: stopAtAcs }), groupless);
    const reference = expectRefusal(page, since, { status: 403, code: 'user_groups_missing' });
    expect(await loginRecord(harness, reference)).toMatchObject({ outcome: 'refused', code: 'user_groups_missing', email: groupless.email });
  });

  it('refuses an Entra-style group overage (user_groups_overage) without calling the endpoint it names', async () => {
    const since = mark(harness);
    const page = await loginAs(harness, new UserAgent({ stopAt: stopAtAcs }), overage);
    const reference = expectRefusal(page, since, { status: 403, code: 'user_groups_overage' });
    expect(since.calls().filter((url) => url.includes('graph.windows.net'))).toEqual([]);
    expect(await loginRecord(harness, reference)).toMatchObject({ outcome: 'refused', code: 'user_groups_overage' });
  });

  it('writes no group name to any log line', () => {
    const logged = JSON.stringify(harness.logs);
    expect(logged).not.toContain(ALLOWED);
    expect(logged).not.toContain('Everyone');
    expect(logged).not.toContain('jira-users');
  });
});
