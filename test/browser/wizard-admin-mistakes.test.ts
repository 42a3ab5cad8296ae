import { describe, expect, it } from '@jest/globals';
import { alice, CLIENT, STEP_TITLES, useWizardHarness } from './support/wizard-harness.js';

/**
 * Two of an admin's ordinary mistakes (issue 11, items 1 and 2), caught where they are made, in
 * Chromium against the standalone server, oidc-provider and the demo SP: Guard's two values
 * pasted into each other's field, and a wrong client secret that the provider answers with
 * invalid_client.
 */

const wizard = useWizardHarness();

/** Guard's values for a connection, as its SAML setup screen shows them. */
const GUARD_UUID = '3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b';
const GUARD_ENTITY_ID = `https://auth.atlassian.com/saml/${GUARD_UUID}`;
const GUARD_ACS_URL = `https://auth.atlassian.com/login/callback?connection=saml-${GUARD_UUID}`;

describe("an admin's mistakes, caught where they are made", () => {
  it("swapped Guard values: refused, with an offer to swap back that saves them the right way round (they were saved and ticked done)", async () => {
    const page = await wizard.openStep('sp-values');
    await page.getByLabel('SP Entity ID').fill(GUARD_ACS_URL);
    await page.getByLabel('ACS URL').fill(GUARD_ENTITY_ID);
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('heading', { name: 'The two values look swapped' }).waitFor();
    // Each field says what it holds, tied to it for a screen reader.
    for (const [label, text] of [['SP Entity ID', "This is Guard's ACS URL"], ['ACS URL', "This is Guard's SP Entity ID"]] as const) {
      await expect(page.getByLabel(label).getAttribute('aria-invalid')).resolves.toBe('true');
      const describedBy = (await page.getByLabel(label).getAttribute('aria-describedby'))!.split(' ').pop();
      await expect(page.locator(`[id="${describedBy}"]`).textContent()).resolves.toContain(text);
    }
    // Nothing was saved.
    expect((await wizard.config()).settings.serviceProvider).toEqual(wizard.settingsThrough('provider').serviceProvider);
    await wizard.shootArtifact(page, '06b-values-swapped');

    await page.getByRole('button', { name: 'Swap them' }).click();
    await page.getByRole('heading', { name: 'Saved', exact: true }).waitFor();
    await expect(page.getByLabel('SP Entity ID').inputValue()).resolves.toBe(GUARD_ENTITY_ID);
    await expect(page.getByLabel('ACS URL').inputValue()).resolves.toBe(GUARD_ACS_URL);
    await expect(page.locator('[aria-invalid="true"]').count()).resolves.toBe(0);
    expect((await wizard.config()).settings.serviceProvider).toEqual({ entityId: GUARD_ENTITY_ID, acsUrl: GUARD_ACS_URL });
  });

  it("the app's own metadata URL pasted as the SP Entity ID: refused, saying it goes into Guard, with no swap offered", async () => {
    const page = await wizard.openStep('sp-values');
    const { bridge } = await wizard.config();
    await page.getByLabel('SP Entity ID').fill(bridge.metadataUrl);
    await page.getByLabel('ACS URL').fill(GUARD_ACS_URL);
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    // The field's message is tied to it once the refusal is back.
    await page.getByLabel('SP Entity ID').and(page.locator('[aria-invalid="true"]')).waitFor();
    const describedBy = (await page.getByLabel('SP Entity ID').getAttribute('aria-describedby'))!.split(' ').pop();
    await page.locator(`[id="${describedBy}"]`, { hasText: "this app's own address" }).waitFor();
    await expect(page.getByRole('button', { name: 'Swap them' }).count()).resolves.toBe(0);
    expect((await wizard.config()).settings.serviceProvider).toEqual(wizard.settingsThrough('provider').serviceProvider);
  });

  it('a wrong client secret: the failed test names the field to check and links to it (it said "try again later")', async () => {
    const page = await wizard.openStep('test');
    // The admin pasted a secret the provider does not know.
    await wizard.api('config/save', { settings: {}, step: 'provider', clientSecret: `${CLIENT.client_secret}-old` });
    await page.reload();
    await wizard.onStep(STEP_TITLES.test);
    const popup = await wizard.testLoginAs(alice);
    // The user's page words it for a user, with no client or secret in it.
    const userPage = (await popup.textContent('body')) ?? '';
    expect(userPage).not.toContain(CLIENT.client_secret);
    await popup.close();
    await page.getByRole('button', { name: 'Check result' }).click();
    await page.getByRole('heading', { name: /^Test login failed/ }).waitFor();
    await page.getByRole('heading', { name: 'Check “Client secret”' }).waitFor();
    await page.getByText('The provider answered invalid_client').waitFor();
    await wizard.shootArtifact(page, '04c-test-wrong-secret');
    await page.getByRole('button', { name: 'Go to Client secret' }).click();
    await wizard.onStep(STEP_TITLES.provider);
    await page.getByLabel('Client secret').waitFor();
  });
});
