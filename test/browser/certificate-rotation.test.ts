import { describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import type { ConfigGetResponse } from '../../src/core/admin/admin-api-types.js';
import { alice, expectSignedInAtGuard, signInAtDemoProvider, useWizardHarness } from './support/wizard-harness.js';

/**
 * Rotating the signing certificate in Chromium, on the Guard-values step of a finished setup:
 * prepare the next certificate, copy its PEM (exactly what Guard must get), save it in "Guard"
 * (the demo SP, which from then on trusts only the new certificate), activate, a user signs in
 * through Guard, and the audit trail shows the switch.
 */

const wizard = useWizardHarness();

/** RFC 7468's layout and nothing else: BEGIN line, base64 in lines of 64, END line, `\n` only, no trailing whitespace. */
const EXACT_PEM = /^-----BEGIN CERTIFICATE-----\n(?:[A-Za-z0-9+/]{64}\n)*[A-Za-z0-9+/=]{1,64}\n-----END CERTIFICATE-----$/;

describe('the signing certificate on the admin page', () => {
  it('prepare, copy, activate: a user then signs in through Guard with the new certificate, and the audit trail shows it', async () => {
    await wizard.completeStepsThrough('enforce');
    const page = await wizard.showStep('idp-values');
    const before = (await wizard.config()).certificate;
    await expect(page.locator('#certificate-active-fingerprint').textContent()).resolves.toBe(before.active.fingerprint);
    await expect(page.locator('#certificate-active-expiry').textContent()).resolves.toBe(`${before.active.notAfter.slice(0, 10)} (${before.active.daysLeft} days left)`);
    // Far from expiry: no warning.
    await expect(page.getByText(/The signing certificate expires in/).count()).resolves.toBe(0);

    await page.getByRole('button', { name: 'Prepare next certificate' }).click();
    await page.getByRole('heading', { name: 'Next certificate prepared' }).waitFor();
    const { certificate } = await wizard.config();
    const next = certificate.next!;
    const shown = await page.getByLabel('Next X.509 certificate').inputValue();
    expect(shown).toBe(next.certificatePem);
    expect(shown).toMatch(EXACT_PEM);
    // Before the copy, so the picture shows the button as an admin first meets it.
    await wizard.shoot(page, '40-certificate-next');

    // What the copy button puts on the clipboard is exactly that text.
    await wizard.adminContext.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: wizard.app.baseUrl });
    await page.getByRole('button', { name: 'Copy next X.509 certificate' }).click();
    await page.getByRole('button', { name: 'Copied next X.509 certificate' }).waitFor();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    expect(copied).toBe(next.certificatePem);
    expect(copied).toMatch(EXACT_PEM);
    // And the download too.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download .pem' }).click()]);
    expect(fs.readFileSync((await download.path())!, 'utf8')).toBe(next.certificatePem);

    // The admin saves the copied certificate in Guard: the demo SP trusts only it from now on.
    const { bridge } = await wizard.config();
    wizard.startServiceProvider({ idpEntityId: bridge.idpEntityId, idpSsoUrl: bridge.ssoUrl, certificatePem: copied });
    await page.getByRole('button', { name: 'I saved it in Guard — activate' }).click();
    await page.getByRole('heading', { name: 'Signing switched to the new certificate' }).waitFor();
    await expect(page.locator('#certificate-active-fingerprint').textContent()).resolves.toBe(next.fingerprint);
    await expect(page.getByLabel('X.509 certificate', { exact: true }).inputValue()).resolves.toBe(next.certificatePem);
    await page.getByRole('button', { name: 'Undo: sign with the previous certificate' }).waitFor();
    await wizard.shoot(page, '41-certificate-activated');

    // A user, in a fresh browser: Guard (with the new certificate only) → bridge → provider → Guard.
    const user = await (await wizard.newContext()).newPage();
    await user.goto(`${wizard.spUrl}/`);
    await user.getByRole('button', { name: 'Sign in with HTTP-Redirect' }).click();
    await signInAtDemoProvider(user, alice);
    await expectSignedInAtGuard(user, alice.email);

    // The success message leads to the connection test.
    await page.getByRole('button', { name: 'Run the connection test' }).click();
    await wizard.onStep('Test the connection');

    // The audit trail: both changes, by the admin.
    await page.getByRole('navigation', { name: 'Admin pages' }).getByRole('button', { name: 'Sign-in activity' }).click();
    await page.getByRole('tab', { name: 'Configuration changes' }).click();
    const changes = page.getByRole('table', { name: 'Configuration changes, newest first' });
    await changes.getByRole('cell', { name: 'Switched signing to the next certificate' }).waitFor();
    await changes.getByRole('cell', { name: 'Prepared the next signing certificate' }).waitFor();
    const after: ConfigGetResponse['certificate'] = (await wizard.config()).certificate;
    expect(after.undo?.fingerprint).toBe(before.active.fingerprint);
  }, 120_000);

  it('warns from 60 days before expiry', async () => {
    await wizard.completeStepsThrough('enforce');
    const page = await wizard.showStep('idp-values');
    // The page shows what config/get says; here it is told the certificate is near its end.
    await page.route('**/admin/api/config/get', async (route) => {
      const response = await route.fetch();
      const body = (await response.json()) as ConfigGetResponse;
      body.certificate.active = { ...body.certificate.active, daysLeft: 45, expiresSoon: true };
      await route.fulfill({ response, json: body });
    });
    await page.reload();
    await wizard.onStep('Values for Atlassian Guard');
    await page.getByText('The signing certificate expires in 45 days').waitFor();
    await page.unroute('**/admin/api/config/get');
  }, 60_000);
});
