import { describe, expect, it } from '@jest/globals';
import type { AdminSettings, ConfigGetResponse, ConfigSaveResponse } from '../../src/core/admin/admin-api-types.js';
import type { ChangeAuditRecord } from '../../src/core/audit/audit-trail.js';
import { runAdminResolver, type AdminOutcome } from '../../src/core/admin/admin-resolvers.js';
import { COMPLETE_SETTINGS as COMPLETE, memoryAdmin, servedConnection, type MemoryAdmin } from './support/memory-ports.js';

/**
 * The IdP-initiated settings through the admin API (`config/save`, owner-only, audited): off by
 * default, turned on by an owner, refused to anyone else; the landing page is judged against the
 * connection's own site at the save, whichever of the two the save changes; `config/get` names
 * the start URL; the directory the login reads carries what was saved.
 */

const SITE = 'https://acme.atlassian.net';

async function call<T>(admin: MemoryAdmin, key: string, payload: unknown): Promise<T> {
  const outcome: AdminOutcome = await runAdminResolver(key, admin.ctx, payload);
  if (outcome.kind === 'failed') throw new Error(`resolver failed: ${outcome.code}`);
  return outcome.body as T;
}
const save = (admin: MemoryAdmin, settings: AdminSettings) => call<ConfigSaveResponse>(admin, 'config/save', { settings, ...(settings.oidc ? { clientSecret: 'unit-secret-3e8b1a' } : {}) });
const errors = (answer: ConfigSaveResponse) => (answer.ok ? [] : answer.errors.map((e) => e.path));

async function configured(): Promise<MemoryAdmin> {
  const admin = memoryAdmin({ actor: 'owner-a' });
  expect(await save(admin, COMPLETE)).toMatchObject({ ok: true });
  return admin;
}

/** What the login pipeline reads of the default connection. */
const served = (admin: MemoryAdmin) => servedConnection(admin);

describe('IdP-initiated settings', () => {
  it('are off by default, and config/get names the start URL to copy', async () => {
    const admin = await configured();
    expect((await served(admin))?.idpInitiated).toEqual({ enabled: false });
    const got = await call<ConfigGetResponse>(admin, 'config/get', {});
    expect(got.bridge.idpInitiatedStartUrl).toBe('https://bridge.example.net/saml/start/default');
    expect(got.fields['idpInitiated.enabled']).toMatchObject({ step: 'sp-values', label: expect.stringContaining('IdP-initiated') });
  });

  it('are turned on by an owner, recorded in the audit trail with the changed paths and never a value', async () => {
    const admin = await configured();
    // A second later, so the trail's newest-first order is the order of the saves.
    admin.clock.now += 1000;
    const answer = await save(admin, { atlassianSiteUrl: SITE, idpInitiated: { enabled: true, relayState: `${SITE}/jira/your-work` } });
    expect(answer).toMatchObject({ ok: true });
    expect((await served(admin))?.idpInitiated).toEqual({ enabled: true, relayState: `${SITE}/jira/your-work` });
    const changes = (await admin.audit.query({ kind: 'change', limit: 50 })).records as ChangeAuditRecord[];
    const latest = changes.find((r) => r.action === 'connection.update')!;
    expect(latest).toMatchObject({ actor: 'owner-a', connectionId: 'default' });
    expect(latest.fields).toEqual(expect.arrayContaining(['atlassianSiteUrl', 'idpInitiated.enabled', 'idpInitiated.relayState']));
    expect(JSON.stringify(changes)).not.toContain('your-work');
  });

  it('go to the draft on a live connection: users keep the applied settings until it is applied', async () => {
    const admin = await configured();
    await call(admin, 'rollout/save', { rollout: { domainLinked: true, testPolicyCreated: true, adminOutsideSso: true, enforced: true } });
    const answer = await save(admin, { idpInitiated: { enabled: true } });
    expect(answer.ok && answer.status.draft?.fields).toEqual(['idpInitiated.enabled']);
    expect((await served(admin))?.idpInitiated).toEqual({ enabled: false });
    const changes = (await admin.audit.query({ kind: 'change', limit: 50 })).records as ChangeAuditRecord[];
    expect(changes.find((r) => r.action === 'connection.draft-update')?.fields).toEqual(['idpInitiated.enabled']);
  });

  it('are refused to an admin who is not an owner, and nothing changes', async () => {
    const admin = await configured();
    // The same installation (store, trail), another admin.
    const asOther = { ...admin, ctx: { ...admin.ctx, actor: 'admin-b' } };
    await expect(call(asOther, 'config/save', { settings: { idpInitiated: { enabled: true } } })).resolves.toMatchObject({ error: 'owner_required' });
    expect((await served(admin))?.idpInitiated).toEqual({ enabled: false });
  });

  it.each([
    ['another Atlassian site', { atlassianSiteUrl: SITE, idpInitiated: { enabled: true, relayState: 'https://evil.atlassian.net/jira' } }],
    ['a site page while the connection names no site', { idpInitiated: { enabled: true, relayState: `${SITE}/jira` } }],
  ])('refuse a landing page on %s, at idpInitiated.relayState', async (_name, settings) => {
    const admin = await configured();
    expect(errors(await save(admin, settings as AdminSettings))).toEqual(['idpInitiated.relayState']);
    expect((await served(admin))?.idpInitiated).toEqual({ enabled: false });
  });

  it.each([
    ['plain http', 'http://acme.atlassian.net/jira'],
    ['a user name', 'https://user@acme.atlassian.net/jira'],
    ['another port', 'https://acme.atlassian.net:8443/jira'],
    ['a host outside Atlassian', 'https://evil.example/jira'],
  ])('refuse a landing page with %s (the schema)', async (_name, relayState) => {
    const admin = await configured();
    expect(errors(await save(admin, { atlassianSiteUrl: SITE, idpInitiated: { enabled: true, relayState } }))).toEqual(['idpInitiated.relayState']);
  });

  it('refuse a change of the site URL that would leave the saved landing page on another site', async () => {
    const admin = await configured();
    expect(await save(admin, { atlassianSiteUrl: SITE, idpInitiated: { enabled: true, relayState: `${SITE}/wiki` } })).toMatchObject({ ok: true });
    expect(errors(await save(admin, { atlassianSiteUrl: 'https://other.atlassian.net' }))).toEqual(['idpInitiated.relayState']);
    expect((await served(admin))?.siteUrl).toBe(SITE);
    // Back to the default landing page, the site may change.
    expect(await save(admin, { atlassianSiteUrl: 'https://other.atlassian.net', idpInitiated: { relayState: '' } })).toMatchObject({ ok: true });
    expect((await served(admin))?.idpInitiated).toEqual({ enabled: true });
  });
});
