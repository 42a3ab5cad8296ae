import { describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { alice, expectSignedInAtGuard, mallory, signInAtDemoProvider, useWizardHarness } from './support/wizard-harness.js';

/**
 * A user's error pages in Chromium: Guard (the node-saml SP) → bridge (standalone server, set up
 * through the wizard's API) → oidc-provider, where the user cancels or is refused. The pages
 * used to tell a user who cancelled to ask for assignment and offered no way on.
 */

const wizard = useWizardHarness();

/** A user in a fresh browser, at the provider's sign-in page of a login Guard started. */
async function userAtProvider(): Promise<Page> {
  await wizard.completeStepsThrough('enforce');
  const user = await (await wizard.newContext()).newPage();
  await user.goto(`${wizard.spUrl}/`);
  await user.getByRole('button', { name: 'Sign in with HTTP-Redirect' }).click();
  await user.getByLabel('Email').waitFor();
  return user;
}

describe("a user's error pages, in Chromium", () => {
  it('does not tell a user who pressed Cancel at the provider to ask to be assigned; Try again starts over at Atlassian', async () => {
    const user = await userAtProvider();
    await user.getByRole('button', { name: 'Cancel' }).click();
    await user.getByRole('heading', { name: 'Sign-in did not complete' }).waitFor();
    const alert = (await user.getByRole('alert').textContent()) ?? '';
    expect(alert).toContain('cancelled');
    expect(alert).not.toMatch(/assign you/);
    // The connection names no site: Atlassian's list of the user's sites.
    await expect(user.getByRole('link', { name: 'Try again' }).getAttribute('href')).resolves.toBe('https://start.atlassian.com');
    await wizard.shootArtifact(user, 'user-cancelled-at-provider');
  });

  it('gives a refused user (email not verified) a way on: Try again, and Use another account at a provider that supports prompt=select_account', async () => {
    const user = await userAtProvider();
    await signInAtDemoProvider(user, mallory);
    await user.getByRole('heading', { name: 'Email address not verified' }).waitFor();
    await expect(user.getByRole('link', { name: 'Try again' }).getAttribute('href')).resolves.toBe('https://start.atlassian.com');
    await expect(user.locator('#reference').textContent()).resolves.toMatch(/^R-/);
    await wizard.shootArtifact(user, 'user-refused-ways-on');
    expect(wizard.serviceProvider.lastResult()).toBeUndefined();
    // oidc-provider lists select_account (the demo's policy): the same Guard login goes on with another account.
    await user.getByRole('link', { name: 'Use another account' }).click();
    await signInAtDemoProvider(user, alice);
    await expectSignedInAtGuard(user, alice.email);
    expect(wizard.serviceProvider.lastResult()).toMatchObject({ ok: true, nameID: alice.email });
  }, 60_000);
});
