import { describe, expect, it } from '@jest/globals';
import type { ConfigGetResponse } from '../../src/core/admin/admin-api-types.js';
import { alice, expectSignedInAtGuard, signInAtDemoProvider, useWizardHarness } from './support/wizard-harness.js';

/**
 * Issue 13 item 2, IdP-initiated login, in Chromium against the standalone server, oidc-provider
 * and the node-saml SP playing Guard (accepting unsolicited responses, as Atlassian does): the
 * admin turns the start URL on in the Guard-values step, copies it, a user opens it in a fresh
 * browser, signs in at the provider and lands at the SP signed in with no InResponseTo and the
 * chosen RelayState; the admin finds the login, and the change, in the audit trail.
 */

const wizard = useWizardHarness();
const SITE = 'https://your-company.atlassian.net';

/** The columns of one row of a records table, by header. */
async function rowTexts(table: import('playwright-core').Locator, row: number): Promise<Record<string, string>> {
  const headers = await table.getByRole('columnheader').allTextContents();
  const cells = await table.locator('tbody tr').nth(row).locator('td').allTextContents();
  return Object.fromEntries(headers.map((header, i) => [header, (cells[i] ?? '').replace(/\s+/g, ' ').trim()]));
}

describe('sign-in from a bookmark or dashboard tile (Chromium, standalone server)', () => {
  it('the admin turns it on and copies the start URL; a user opening it lands at Guard signed in; the audit trail has both', async () => {
    await wizard.completeStepsThrough('users');
    const page = await wizard.openStep('sp-values');
    // Guard accepts IdP-initiated sign-ins; the demo SP does when told to (after the seeds, which start it strict).
    const { bridge } = await wizard.config();
    wizard.startServiceProvider({ idpEntityId: bridge.idpEntityId, idpSsoUrl: bridge.ssoUrl, certificatePem: bridge.certificatePem }, { acceptUnsolicited: true });
    const section = page.getByRole('region', { name: 'Sign-in from a bookmark or dashboard tile' });
    const startUrl = section.getByLabel('Start URL');
    await expect(startUrl.inputValue()).resolves.toBe(`${wizard.app.baseUrl}/saml/start/default`);

    // Off by default: the start URL refuses.
    const before = await fetch(`${wizard.app.baseUrl}/saml/start/default`);
    expect(before.headers.get('x-bridge-error')).toBe('idp_initiated_off');

    // A page of another site is refused at the save, beside its field.
    await section.getByLabel('Allow sign-in from a bookmark or dashboard tile (IdP-initiated)').check();
    await section.getByLabel('Atlassian site URL').fill(SITE);
    await section.getByLabel('Where users land after signing in').fill('https://evil.atlassian.net/jira');
    await section.getByRole('button', { name: 'Save sign-in from a bookmark' }).click();
    await section.getByText('This page is not on your Atlassian site').waitFor();
    expect((await wizard.config()).settings.idpInitiated?.enabled ?? false).toBe(false);

    await section.getByLabel('Where users land after signing in').fill(`${SITE}/jira/your-work`);
    await section.getByRole('button', { name: 'Save sign-in from a bookmark' }).click();
    await section.getByRole('heading', { name: 'Sign-in from a bookmark saved' }).waitFor();
    const saved: ConfigGetResponse = await wizard.config();
    expect(saved.settings).toMatchObject({ atlassianSiteUrl: SITE, idpInitiated: { enabled: true, relayState: `${SITE}/jira/your-work` } });
    await section.scrollIntoViewIfNeeded();
    await wizard.shoot(page, '30-idp-initiated');

    // Copied with the button, as the admin pastes it into the tile.
    await wizard.adminContext.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: wizard.app.baseUrl });
    await section.getByRole('button', { name: 'Copy start URL' }).click();
    await section.getByRole('button', { name: 'Copied start URL' }).waitFor();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    expect(copied).toBe(`${wizard.app.baseUrl}/saml/start/default`);

    const user = await (await wizard.newContext()).newPage();
    await user.goto(copied);
    await signInAtDemoProvider(user, alice);
    await expectSignedInAtGuard(user, alice.email);
    const result = wizard.serviceProvider.lastResult();
    expect(result).toMatchObject({ ok: true, nameID: alice.email, inResponseTo: undefined, relayState: `${SITE}/jira/your-work` });

    await page.getByRole('navigation', { name: 'Admin pages' }).getByRole('button', { name: 'Sign-in activity' }).click();
    await page.getByRole('heading', { level: 2, name: 'Sign-in activity' }).waitFor();
    const signIns = page.getByRole('table', { name: 'Sign-ins, newest first' });
    await signIns.locator('tbody tr').first().waitFor();
    expect(await rowTexts(signIns, 0)).toMatchObject({ Outcome: 'Succeeded From a bookmark', Email: alice.email });
    await page.getByRole('tab', { name: 'Configuration changes' }).click();
    const changes = page.getByRole('table', { name: 'Configuration changes, newest first' });
    await changes.locator('tbody tr').first().waitFor();
    const latest = await changes.locator('tbody tr').first().textContent();
    expect(latest).toContain('idpInitiated.enabled');
  }, 120_000);
});
