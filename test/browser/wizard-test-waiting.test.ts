import { describe, expect, it } from '@jest/globals';
import { useWizardHarness } from './support/wizard-harness.js';

/**
 * Issue 11: a test with a wrong client ID waited ten minutes ("Waiting for the sign-in in the
 * other tab") while the provider's tab showed invalid_client, which never reaches the bridge.
 */

const wizard = useWizardHarness();

describe('step 4 · test login, while no result comes back (Chromium, standalone server)', () => {
  it('a provider error in the other tab: the waiting state says what to check, and gives up with that advice after three minutes', async () => {
    // The page's clock, so three minutes pass at once.
    await wizard.page.clock.install();
    const page = await wizard.openStep('test');
    const [popup] = await Promise.all([wizard.adminContext.waitForEvent('page'), page.getByRole('button', { name: 'Start test login' }).click()]);
    const waiting = page.getByRole('region', { name: 'Waiting for the sign-in in the other tab' }).or(page.getByText('Waiting for the sign-in in the other tab'));
    await waiting.first().waitFor();
    await page.getByText(/client ID in step 3/).waitFor();
    await page.getByText(`${wizard.app.baseUrl}/oidc/callback`).waitFor();
    await popup.close();

    await page.clock.fastForward('03:10');
    await page.getByText('No sign-in result after three minutes').waitFor();
    await expect(page.getByText('Waiting for the sign-in in the other tab').count()).resolves.toBe(0);
    await page.getByText(/client ID in step 3/).waitFor();
    await page.getByText(`${wizard.app.baseUrl}/oidc/callback`).waitFor();
  });
});
