import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import type { AuditExportResponse } from '../../src/core/admin/admin-api-types.js';
import { demoUsers } from '../../dev/demo/demo-provider.js';
import { UserAgent } from '../support/user-agent.js';
import { ACS_URL, SP_ENTITY_ID } from '../admin/support/admin-harness.js';
import { addConnection, choose, columnTexts, configureDefaultConnection, eventually, guardFor, loginThrough, startAdminBrowser, type AdminBrowser } from './support/admin-browser.js';

/**
 * The audit trail on the admin page ("Sign-in activity"), in Chromium against the standalone
 * server (SQLite trail): real logins through two connections configured over the admin API,
 * verified by node-saml playing Guard, one of them refused; the page lists them newest first,
 * pages, filters, finds the refused one by the reference its error page showed, exports CSV,
 * and lists the configuration changes.
 */

const SANDBOX_SP = 'https://auth.atlassian.com/saml/5f1b2c3d-0000-4000-8000-0000000sandbx';
const SANDBOX_ACS = 'https://auth.atlassian.com/login/callback?connection=saml-5f1b2c3d-0000-4000-8000-0000000sandbx';
const alice = demoUsers.find((u) => u.email === 'alice@example.com')!;
/** A demo user of another domain than the connections allow. */
const eve = demoUsers.find((u) => u.email === 'eve@other.example')!;
/** AuthnRequests from service providers no connection has: older records, to page through. */
const STRANGERS = 30;
const PAGE_SIZE = 25;

let admin: AdminBrowser;
let refusedReference: string;

/** The admin's calendar day, as a date input takes it. */
function day(offsetDays = 0): string {
  const date = new Date();
  date.setDate(date.getDate() + offsetDays);
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}-${String(date.getDate()).padStart(2, '0')}`;
}

beforeAll(async () => {
  admin = await startAdminBrowser({ artifacts: 'audit-trail' });
  const { harness } = admin;
  await configureDefaultConnection(harness, { name: 'Production', entityId: SP_ENTITY_ID, acsUrl: ACS_URL, domains: ['example.com'] });
  const sandboxId = await addConnection(harness, { name: 'Sandbox', entityId: SANDBOX_SP, acsUrl: SANDBOX_ACS, domains: ['example.com'] });

  const stranger = await guardFor(harness, {
    entityId: 'https://auth.atlassian.com/saml/unknown',
    acsUrl: 'https://auth.atlassian.com/login/callback?connection=saml-unknown',
    metadataUrl: `${harness.app.baseUrl}/saml/metadata`,
  });
  for (let i = 0; i < STRANGERS; i++) {
    const page = await new UserAgent().get(await stranger.getAuthorizeUrlAsync('relay', undefined, {}));
    expect(page.headers.get('x-bridge-error')).toBe('saml_unknown_sp');
  }
  const sandbox = await guardFor(harness, { entityId: SANDBOX_SP, acsUrl: SANDBOX_ACS, metadataUrl: `${harness.app.baseUrl}/saml/metadata/${sandboxId}` });
  await expect(loginThrough(sandbox, alice)).resolves.toEqual({ nameId: alice.email });
  const production = await guardFor(harness, { entityId: SP_ENTITY_ID, acsUrl: ACS_URL, metadataUrl: `${harness.app.baseUrl}/saml/metadata` });
  const refused = await loginThrough(production, eve);
  expect(refused).toMatchObject({ code: 'user_domain_not_allowed', reference: expect.stringMatching(/^R-/) });
  refusedReference = (refused as { reference: string }).reference;
}, 60_000);

afterAll(async () => {
  await admin?.close();
});

const signIns = () => admin.page.getByRole('table', { name: 'Sign-ins, newest first' });

async function applyFilters(): Promise<void> {
  await admin.page.getByRole('button', { name: 'Apply filters' }).click();
}

/** The rows the sign-in table shows, once it shows `count` (the page replaces them when an answer comes). */
async function rowsShown(count: number): Promise<void> {
  await eventually(() => signIns().locator('tbody tr').count(), count);
}

/** One column of the sign-in table, once it reads `expected`. */
function columnShows(column: string, expected: string[]): Promise<void> {
  return eventually(() => columnTexts(signIns(), column), expected);
}

describe('sign-in activity on the admin page', () => {
  it('lists the sign-ins newest first, with outcome, email, connection, provider, error and reference', async () => {
    const { page } = admin;
    await admin.open();
    await page.getByRole('navigation', { name: 'Admin pages' }).getByRole('button', { name: 'Sign-in activity' }).click();
    await page.getByRole('heading', { level: 2, name: 'Sign-in activity' }).waitFor();
    await rowsShown(PAGE_SIZE);
    expect((await columnTexts(signIns(), 'Reference'))[0]).toBe(refusedReference);
    expect((await columnTexts(signIns(), 'Outcome')).slice(0, 3)).toEqual(['Refused', 'Succeeded', 'Refused']);
    expect((await columnTexts(signIns(), 'Email')).slice(0, 3)).toEqual([eve.email, alice.email, '']);
    expect((await columnTexts(signIns(), 'Connection')).slice(0, 3)).toEqual(['Production', 'Sandbox', '']);
    expect((await columnTexts(signIns(), 'Provider')).slice(0, 2)).toEqual(['Identity provider', 'Identity provider']);
    expect((await columnTexts(signIns(), 'Error')).slice(0, 3)).toEqual([
      'Email domain not allowed user_domain_not_allowed',
      '',
      expect.stringContaining('saml_unknown_sp'),
    ]);
    const times = await signIns().locator('tbody time').evaluateAll((nodes) => nodes.map((n) => Date.parse(n.getAttribute('datetime')!)));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    await admin.shoot('sign-ins');
  });

  it('loads the older records with Load more, in order and without repeats', async () => {
    const { page } = admin;
    await page.getByRole('button', { name: 'Load more' }).click();
    await rowsShown(STRANGERS + 2);
    expect(new Set(await columnTexts(signIns(), 'Reference')).size).toBe(STRANGERS + 2);
    const times = await signIns().locator('tbody time').evaluateAll((nodes) => nodes.map((n) => Date.parse(n.getAttribute('datetime')!)));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    await expect(page.getByRole('button', { name: 'Load more' }).count()).resolves.toBe(0);
  });

  it('narrows the list by email, outcome, connection and day', async () => {
    const { page } = admin;
    await page.getByLabel('Email', { exact: true }).fill('ALICE@example.com');
    await applyFilters();
    await columnShows('Email', [alice.email]);
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await rowsShown(PAGE_SIZE);

    await choose(page, 'Outcome', 'Succeeded');
    await applyFilters();
    await columnShows('Email', [alice.email]);

    await choose(page, 'Outcome', 'Any outcome');
    await choose(page, 'Connection', 'Production');
    await applyFilters();
    await columnShows('Reference', [refusedReference]);

    await choose(page, 'Connection', 'All connections');
    await page.getByLabel('From day').fill(day(1));
    await applyFilters();
    await page.getByText('No records match these filters.').waitFor();
    await page.getByLabel('From day').fill(day(0));
    await page.getByLabel('To day').fill(day(0));
    await applyFilters();
    await rowsShown(PAGE_SIZE);
    await page.getByRole('button', { name: 'Clear filters' }).click();
  });

  it('finds the refused sign-in by the reference its error page showed', async () => {
    const { page } = admin;
    const lookup = page.getByRole('form', { name: 'Find by reference' });
    await lookup.getByLabel('Reference').fill('R-1');
    await lookup.getByRole('button', { name: 'Find' }).click();
    await lookup.getByText('A reference looks like R-AB12-CD34.').waitFor();
    await lookup.getByLabel('Reference').fill('R-ZZZZ-ZZZZ');
    await lookup.getByRole('button', { name: 'Find' }).click();
    await lookup.getByRole('heading', { name: 'No record with this reference' }).waitFor();

    // As a user reads it out: any case.
    await lookup.getByLabel('Reference').fill(refusedReference.toLowerCase());
    await lookup.getByRole('button', { name: 'Find' }).click();
    const record = page.getByRole('table', { name: `Record ${refusedReference}` });
    await record.waitFor();
    await expect(columnTexts(record, 'Email')).resolves.toEqual([eve.email]);
    await expect(columnTexts(record, 'Outcome')).resolves.toEqual(['Refused']);
    await expect(columnTexts(record, 'Error')).resolves.toEqual(['Email domain not allowed user_domain_not_allowed']);
    await admin.shoot('reference-found');
  });

  it('exports the records the filters select as CSV, the refused reference in it', async () => {
    const { page } = admin;
    await choose(page, 'Outcome', 'Refused');
    await applyFilters();
    await eventually(async () => {
      const outcomes = await columnTexts(signIns(), 'Outcome');
      return outcomes.length === PAGE_SIZE && !outcomes.includes('Succeeded');
    }, true);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^sso-audit-\d{4}-\d{2}-\d{2}\.csv$/);
    const csv = fs.readFileSync((await download.path())!, 'utf8');
    const lines = csv.trim().split('\r\n');
    expect(lines[0]).toContain('reference');
    expect(lines).toHaveLength(1 + STRANGERS + 1);
    expect(csv).toContain(refusedReference);
    expect(csv).toContain(eve.email);
    // Only what the filters select: the successful sign-in is not in it.
    expect(csv).not.toContain(alice.email);
    await page.getByRole('heading', { name: 'Exported' }).waitFor();
    await page.getByText(`${download.suggestedFilename()}: ${STRANGERS + 1} records.`).waitFor();
  });

  it('says so when an export holds fewer records than match', async () => {
    const { page } = admin;
    // Reaching the cap takes 5,000 records; the flag is the bridge's, the page only has to show it.
    await page.route('**/admin/api/audit/export', async (route) => {
      const response = await route.fetch();
      const body = (await response.json()) as AuditExportResponse;
      await route.fulfill({ response, json: { ...body, truncated: true } });
    });
    try {
      await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
      await page.getByRole('heading', { name: 'Export truncated' }).waitFor();
    } finally {
      await page.unroute('**/admin/api/audit/export');
    }
  });

  it('lists the configuration changes: who, what, which connection and which fields', async () => {
    const { page } = admin;
    await page.getByRole('tab', { name: 'Configuration changes' }).click();
    const changes = page.getByRole('table', { name: 'Configuration changes, newest first' });
    await changes.waitFor();
    // The first save also made its author the first SSO owner (test/browser/owners.test.ts); the rest are the connections' changes.
    const allActions = await columnTexts(changes, 'Action');
    expect(allActions).toContain('Became the first SSO owner');
    const kept = allActions.map((action, i) => (action === 'Became the first SSO owner' ? -1 : i)).filter((i) => i >= 0);
    const pick = (values: string[]) => kept.map((i) => values[i]!);
    const actions = pick(allActions);
    const connections = pick(await columnTexts(changes, 'Connection'));
    const fields = pick(await columnTexts(changes, 'Fields'));
    // Newest first: the sandbox's settings, its creation, the first connection's new name, its settings.
    expect(actions.map((action, i) => [action, connections[i]])).toEqual([
      ['Changed settings', 'Sandbox'],
      ['Added connection', 'Sandbox'],
      ['Renamed connection', 'Production'],
      ['Changed settings', 'Production'],
    ]);
    expect(fields[0]).toContain('Identity provider: Issuer URL');
    expect(fields[0]).toContain('Identity provider: Client secret');
    expect(fields[0]).toContain('SP Entity ID');
    await expect(columnTexts(changes, 'Who')).resolves.toEqual(Array(5).fill('standalone-admin'));
    await admin.shoot('configuration-changes');
    expect(admin.pageErrors).toEqual([]);
  });
});
