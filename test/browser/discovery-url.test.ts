import { describe, expect, it } from '@jest/globals';
import { useWizardHarness } from './support/wizard-harness.js';

/**
 * The wizard's provider step in Chromium, standalone server, against oidc-provider: the issuer
 * field given the discovery document's URL, as Okta's Authorization Servers screen shows it.
 */

const wizard = useWizardHarness();

describe('the provider step given a discovery URL, in Chromium', () => {
  it("reads a discovery URL pasted as the issuer as the issuer it names, and says so (it failed with a doubled /.well-known 404)", async () => {
    const page = await wizard.openStep('provider');
    await page.getByLabel('Identity provider').focus();
    await page.keyboard.press('ArrowDown');
    await page.getByRole('option', { name: 'Other', exact: true }).click();
    await page.getByLabel('Issuer URL').fill(`${wizard.opUrl}/.well-known/openid-configuration`);
    await page.getByRole('button', { name: 'Discover' }).click();
    await page.getByRole('heading', { name: 'Provider found' }).waitFor();
    await expect(page.getByLabel('Issuer URL').inputValue()).resolves.toBe(wizard.opUrl);
    await page.getByText('You entered the address of the discovery document, not the issuer.').waitFor();
    await expect(page.getByLabel('Token endpoint').inputValue()).resolves.toBe(`${wizard.opUrl}/token`);
    await expect(page.getByRole('heading', { name: 'Discovery failed' }).count()).resolves.toBe(0);
    await wizard.shootArtifact(page, '03c-discovery-url-as-issuer');
    // What is saved is the issuer, not the URL that was pasted.
    await page.getByLabel('Client ID').fill('atlassian-bridge');
    await page.getByLabel('Client secret').fill('wizard-test-client-secret-0123456789');
    await wizard.save();
    expect((await wizard.config()).settings.oidc?.issuer).toBe(wizard.opUrl);
  });
});
