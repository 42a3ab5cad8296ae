import { describe, expect, it } from '@jest/globals';
import type { AdminSettings, ConfigGetResponse, ConfigSaveResponse, UsersPreviewResponse } from '../../src/core/admin/admin-api-types.js';
import type { ChangeAuditRecord } from '../../src/core/audit/audit-trail.js';
import { runAdminResolver, type AdminOutcome } from '../../src/core/admin/admin-resolvers.js';
import { finishTest, COMPLETE_SETTINGS as COMPLETE, memoryAdmin, servedConnection, type MemoryAdmin } from './support/memory-ports.js';

/**
 * The access rule through the admin API (issue 13, item 4): `config/save` keeps it on the
 * provider, owner-only and recorded without values; `users/preview` applies unsaved rules to
 * the last test's claims with the login's own decision and says why, for any admin.
 */

const tester = { sub: 'u1', email: 'user@example.com', email_verified: true };

async function call<T>(admin: MemoryAdmin, key: string, payload: unknown): Promise<T> {
  const outcome: AdminOutcome = await runAdminResolver(key, admin.ctx, payload);
  if (outcome.kind === 'failed') throw new Error(`resolver failed: ${outcome.code}`);
  return outcome.body as T;
}
const save = (admin: MemoryAdmin, settings: AdminSettings) => call<ConfigSaveResponse>(admin, 'config/save', { settings, ...(settings.oidc ? { clientSecret: 'unit-secret-3e8b1a' } : {}) });
const as = (admin: MemoryAdmin, actor: string): MemoryAdmin => ({ ...admin, ctx: { ...admin.ctx, actor } });
const preview = (admin: MemoryAdmin, settings: AdminSettings) => call<UsersPreviewResponse>(admin, 'users/preview', { settings });

async function configured(): Promise<MemoryAdmin> {
  const admin = memoryAdmin({ actor: 'owner-a' });
  expect(await save(admin, COMPLETE)).toMatchObject({ ok: true });
  return admin;
}

/** The configuration the login pipeline runs for the default provider. */
async function servedConfig(admin: MemoryAdmin) {
  return (await servedConnection(admin))!.providers.find((p) => p.id === 'default')!.config();
}

describe('config/save: the access rule', () => {
  it('has no rule until an owner sets one; the wizard labels both fields in the users step', async () => {
    const admin = await configured();
    expect(await servedConfig(admin)).toMatchObject({ groupsClaim: 'groups', allowedGroups: [] });
    const got = await call<ConfigGetResponse>(admin, 'config/get', {});
    expect(got.fields['allowedGroups']).toMatchObject({ step: 'users', label: 'Allowed groups' });
    expect(got.fields['groupsClaim']).toMatchObject({ step: 'users', label: 'Groups claim' });
  });

  it('is kept on the provider the login reads, recorded as changed fields and never as values', async () => {
    const admin = await configured();
    admin.clock.now += 1000;
    expect(await save(admin, { groupsClaim: 'roles', allowedGroups: ['Jira-Secret-Team', '/eng/platform'] })).toMatchObject({ ok: true });
    expect(await servedConfig(admin)).toMatchObject({ groupsClaim: 'roles', allowedGroups: ['Jira-Secret-Team', '/eng/platform'] });
    const changes = (await admin.audit.query({ kind: 'change', limit: 50 })).records as ChangeAuditRecord[];
    const latest = changes.find((r) => r.action === 'connection.update')!;
    expect(latest).toMatchObject({ actor: 'owner-a', connectionId: 'default' });
    expect(latest.fields).toEqual(expect.arrayContaining(['providers.default.groupsClaim', 'providers.default.allowedGroups']));
    expect(JSON.stringify(changes)).not.toContain('Jira-Secret-Team');
  });

  it('is refused to an admin who is not an owner (owner_required), and nothing changes', async () => {
    const admin = await configured();
    await expect(call(as(admin, 'admin-b'), 'config/save', { settings: { allowedGroups: ['Everyone'] } })).resolves.toMatchObject({ error: 'owner_required' });
    await expect(call(as(admin, 'admin-b'), 'config/save', { settings: { allowedGroups: [] } })).resolves.toMatchObject({ error: 'owner_required' });
    expect(await servedConfig(admin)).toMatchObject({ allowedGroups: [] });
  });

  it('cannot be removed by a non-owner once set', async () => {
    const admin = await configured();
    expect(await save(admin, { allowedGroups: ['Engineering'] })).toMatchObject({ ok: true });
    await expect(call(as(admin, 'admin-b'), 'config/save', { settings: { allowedGroups: [] } })).resolves.toMatchObject({ error: 'owner_required' });
    expect(await servedConfig(admin)).toMatchObject({ allowedGroups: ['Engineering'] });
  });

  it('refuses a group name that could never match as typed, at its own path', async () => {
    const admin = await configured();
    const answer = await save(admin, { allowedGroups: ['Engineering', 'Sales '] });
    expect(answer.ok ? [] : answer.errors.map((e) => e.path)).toEqual(['allowedGroups.1']);
    expect(await servedConfig(admin)).toMatchObject({ allowedGroups: [] });
  });
});

describe('users/preview: the access rule on the last test', () => {
  it('says the test user would be allowed, and through which group', async () => {
    const admin = await configured();
    await finishTest(admin, 'owner-a', { ...tester, groups: ['Everyone', 'Engineering'] });
    const answer = await preview(admin, { allowedGroups: ['Engineering'] });
    expect(answer).toMatchObject({ state: 'accepted', access: { verdict: 'allowed', group: 'Engineering', message: expect.stringContaining('would be allowed') } });
  });

  it('applies the unsaved rule: a user in none of the typed groups would be refused (user_not_in_allowed_group)', async () => {
    const admin = await configured();
    await finishTest(admin, 'owner-a', { ...tester, groups: ['Everyone', 'engineering'] });
    const answer = await preview(admin, { allowedGroups: ['Engineering'] });
    expect(answer).toMatchObject({ state: 'refused', code: 'user_not_in_allowed_group', access: { verdict: 'refused', code: 'user_not_in_allowed_group' } });
    expect(await servedConfig(admin)).toMatchObject({ allowedGroups: [] });
  });

  it('reads the typed groups claim', async () => {
    const admin = await configured();
    await finishTest(admin, 'owner-a', { ...tester, groups: ['Engineering'], roles: ['Admin'] });
    expect(await preview(admin, { groupsClaim: 'roles', allowedGroups: ['Engineering'] })).toMatchObject({ state: 'refused', code: 'user_not_in_allowed_group' });
    expect(await preview(admin, { groupsClaim: 'roles', allowedGroups: ['Admin'] })).toMatchObject({ state: 'accepted', access: { verdict: 'allowed', group: 'Admin' } });
  });

  it('explains an Entra ID group overage: groups assigned to the application, never the Graph endpoint', async () => {
    const admin = await configured();
    await finishTest(admin, 'owner-a', { ...tester, _claim_names: { groups: 'src1' }, _claim_sources: { src1: { endpoint: 'https://graph.windows.net/x/users/y/getMemberObjects' } } });
    const answer = await preview(admin, { allowedGroups: ['0b9a7c1e-1111-4000-8000-000000000001'] });
    expect(answer).toMatchObject({ state: 'refused', code: 'user_groups_overage', access: { verdict: 'refused', code: 'user_groups_overage' } });
    expect(answer.state === 'refused' && answer.access?.message).toContain('Groups assigned to the application');
  });

  it.each([
    ['missing', {}, 'user_groups_missing'],
    ['a single string', { groups: 'Engineering' }, 'user_groups_claim_invalid'],
    ['a list with a number', { groups: ['Engineering', 7] }, 'user_groups_claim_invalid'],
  ])('refuses a groups claim that is %s, with the code a login gets', async (_name, extra, code) => {
    const admin = await configured();
    await finishTest(admin, 'owner-a', { ...tester, ...extra });
    expect(await preview(admin, { allowedGroups: ['Engineering'] })).toMatchObject({ state: 'refused', code, access: { verdict: 'refused', code } });
  });

  it('says when the test kept no usable groups claim (too large to store), rather than guessing', async () => {
    const admin = await configured();
    await finishTest(admin, 'owner-a', { ...tester, groups: Array.from({ length: 300 }, (_, i) => `group-${i}-0b9a7c1e-1111-4000`) });
    const answer = await preview(admin, { allowedGroups: ['group-1-0b9a7c1e-1111-4000'] });
    expect(answer).toMatchObject({ state: 'accepted', access: { verdict: 'not_checked' }, warnings: [expect.objectContaining({ path: 'allowedGroups' })] });
  });

  it('has nothing to say without a rule', async () => {
    const admin = await configured();
    await finishTest(admin, 'owner-a', { ...tester, groups: 'whatever' });
    const answer = await preview(admin, {});
    expect(answer).toMatchObject({ state: 'accepted' });
    expect(answer).not.toHaveProperty('access');
  });

  it('is open to an admin who is not an owner, on their own test', async () => {
    const admin = await configured();
    await finishTest(admin, 'admin-b', { ...tester, groups: ['Engineering'] });
    expect(await preview(as(admin, 'admin-b'), { allowedGroups: ['Engineering'] })).toMatchObject({ state: 'accepted', access: { verdict: 'allowed' } });
  });
});
