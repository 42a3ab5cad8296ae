import { describe, expect, it } from '@jest/globals';
import { useWizardHarness } from './support/wizard-harness.js';

/**
 * Issue 11: edits typed into a step were lost without a word when the admin chose another step,
 * went Back, or reloaded. Now the page asks first; and the wizard's steps are history entries.
 */

const wizard = useWizardHarness();

describe('the wizard keeps unsaved edits from being lost (Chromium, standalone server)', () => {
  it('choosing another step with unsaved edits asks first; staying keeps the edits, leaving drops them', async () => {
    const page = await wizard.openStep('provider');
    await page.getByLabel('Client ID').fill('typed-but-not-saved');
    await page.getByRole('navigation', { name: 'Setup steps' }).getByRole('button', { name: /Callback URL/ }).click();
    const dialog = page.getByRole('dialog', { name: 'Leave without saving?' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Stay on this step' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await expect(page.getByRole('heading', { level: 2, name: 'OIDC provider', exact: true }).isVisible()).resolves.toBe(true);
    await expect(page.getByLabel('Client ID').inputValue()).resolves.toBe('typed-but-not-saved');

    await page.getByRole('navigation', { name: 'Setup steps' }).getByRole('button', { name: /Callback URL/ }).click();
    await dialog.getByRole('button', { name: 'Leave and discard changes' }).click();
    await wizard.onStep('Callback URL');
  });

  it('a step without edits, or whose edits were saved, is left without a question', async () => {
    const page = await wizard.openStep('provider');
    await wizard.goToStep('Callback URL');
    await expect(page.getByRole('dialog').count()).resolves.toBe(0);
  });

  it('reloading or closing the tab with unsaved edits makes the browser ask (beforeunload)', async () => {
    const page = await wizard.openStep('provider');
    await page.getByLabel('Client ID').fill('typed-but-not-saved');
    const asked = new Promise<string>((resolve) => page.once('dialog', (d) => void d.dismiss().then(() => resolve(d.type()))));
    await page.close({ runBeforeUnload: true });
    await expect(asked).resolves.toBe('beforeunload');
    expect(page.isClosed()).toBe(false);
  });

  it("the browser's Back button goes to the previous step, not out of the wizard; with unsaved edits it asks", async () => {
    const page = await wizard.openStep('provider');
    await wizard.goToStep('Callback URL');
    await page.goBack();
    await wizard.onStep('OIDC provider');
    await page.goForward();
    await wizard.onStep('Callback URL');
    await wizard.goToStep('OIDC provider');
    await page.getByLabel('Client ID').fill('typed-but-not-saved');
    await page.goBack();
    const dialog = page.getByRole('dialog', { name: 'Leave without saving?' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Stay on this step' }).click();
    await expect(page.getByLabel('Client ID').inputValue()).resolves.toBe('typed-but-not-saved');
    expect(new URL(page.url()).hash).toBe('#provider');
  });

  it('after choosing a step, focus is on its heading, not left in the step list', async () => {
    const page = await wizard.openStep('provider');
    await wizard.goToStep('Callback URL');
    await expect(page.evaluate(() => document.activeElement?.textContent)).resolves.toBe('Callback URL');
    await expect(page.evaluate(() => document.activeElement?.tagName)).resolves.toBe('H2');
  });

  it('at 375 px the status label reads in full, and choosing a step shows that step on the first screen', async () => {
    const page = await wizard.openStep('provider');
    await page.setViewportSize({ width: 375, height: 667 });
    try {
      const status = page.getByTestId('connection-status');
      const label = (await status.textContent())!;
      expect(label).toMatch(/^(Live|Configured, not enforced|Not configured)$/);
      // Nothing of the label is cut off: every element inside shows all of its text.
      await expect(status.evaluate((el) => [el, ...Array.from(el.querySelectorAll("*"))].every((e) => e.scrollWidth <= e.clientWidth + 1))).resolves.toBe(true);
      const nav = page.getByRole('navigation', { name: 'Setup steps' });
      expect((await nav.boundingBox())!.height).toBeLessThan(120);
      await wizard.goToStep('Values for Atlassian Guard');
      const heading = page.getByRole('heading', { level: 2, name: 'Values for Atlassian Guard' });
      const box = (await heading.boundingBox())!;
      expect(box.y).toBeGreaterThanOrEqual(0);
      expect(box.y + box.height).toBeLessThanOrEqual(667);
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 });
    }
  });
});
