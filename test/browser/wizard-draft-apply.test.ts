import { describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import type { ConfigGetResponse } from '../../src/core/admin/admin-api-types.js';
import { alice, CLIENT, expectSignedInAtGuard, SECOND_CLIENT, signInAtDemoProvider, useWizardHarness } from './support/wizard-harness.js';

/**
 * Issue 11 item 3: "a change to a live configuration applied at once, untested". On a live
 * connection a save becomes a draft; users keep signing in with the applied settings; the
 * connection test runs against the draft; Apply is offered only once the draft passed it (or
 * after typing APPLY UNTESTED); after Apply the page says live again and users get the new
 * settings. Chromium against the standalone server, oidc-provider and the node-saml SP.
 */

const wizard = useWizardHarness();

/** A user in a fresh browser signs in through Guard; the client ID the bridge sent them to the provider with. */
async function userSignsIn(): Promise<string | null> {
  const user = await (await wizard.newContext()).newPage();
  await user.goto(`${wizard.spUrl}/`);
  const [authorization] = await Promise.all([
    user.waitForRequest((request) => request.url().startsWith(`${wizard.opUrl}/`) && new URL(request.url()).searchParams.has('client_id')),
    user.getByRole('button', { name: 'Sign in with HTTP-Redirect' }).click(),
  ]);
  await signInAtDemoProvider(user, alice);
  await expectSignedInAtGuard(user, alice.email);
  return new URL(authorization.url()).searchParams.get('client_id');
}

async function saveProvider(page: Page, client: { client_id: string; client_secret: string }): Promise<void> {
  await wizard.goToStep('OIDC provider');
  await page.getByLabel('Client ID').fill(client.client_id);
  await page.getByLabel('Client secret').fill(client.client_secret);
  await wizard.save();
}

const draftRegion = (page: Page) => page.getByRole('region', { name: 'Draft' });
const status = (page: Page) => page.getByTestId('connection-status');

describe('a change to a live configuration is a draft, tested before it is applied (Chromium, standalone server)', () => {
  it('a wrong client ID saved on a live connection stays a draft: users still sign in, its test fails, Apply needs a typed confirmation', async () => {
    await wizard.completeStepsThrough('enforce');
    const page = await wizard.openStep('overview');
    await page.getByRole('heading', { name: 'SSO is live' }).waitFor();
    await page.getByRole('heading', { name: 'Changes are saved as a draft' }).waitFor();

    await saveProvider(page, { client_id: 'wrong-client-id', client_secret: CLIENT.client_secret });
    await page.getByText('Saved to the draft. Users keep the applied settings').waitFor();
    const draft = draftRegion(page);
    await draft.getByRole('heading', { name: 'Draft not applied: users still sign in with the applied settings' }).waitFor();
    await expect(draft.textContent()).resolves.toContain('The draft changes: Client ID.');
    await expect(draft.textContent()).resolves.toContain('has not passed the connection test');
    // The page still says live: the applied settings, which users get, are unchanged and tested.
    await expect(status(page).textContent()).resolves.toBe('Live');
    await expect(draft.getByRole('button', { name: 'Apply draft' }).count()).resolves.toBe(0);
    const applyUntested = draft.getByRole('button', { name: 'Apply untested draft' });
    await expect(applyUntested.isDisabled()).resolves.toBe(true);
    await draft.getByLabel('Type APPLY UNTESTED to apply the draft without a passing test').fill('apply');
    await expect(applyUntested.isDisabled()).resolves.toBe(true);
    await wizard.shoot(page, '11-draft-not-applied');

    // Users keep the applied client.
    await expect(userSignsIn()).resolves.toBe(CLIENT.client_id);

    // The connection test runs against the draft: the provider refuses the unknown client.
    await wizard.goToStep('Test the connection');
    const [popup] = await Promise.all([wizard.adminContext.waitForEvent('page'), page.getByRole('button', { name: 'Start test login' }).click()]);
    await popup.waitForLoadState('load');
    await expect(popup.content()).resolves.toContain('invalid_client');
    await expect(popup.getByLabel('Password').count()).resolves.toBe(0);
    await popup.close();
    await expect(draft.getByRole('button', { name: 'Apply draft' }).count()).resolves.toBe(0);
    const config = await wizard.api<ConfigGetResponse>('config/get');
    expect(config.status).toMatchObject({ live: true, draft: { testPassed: false, fields: ['providers.default.oidc.clientId'] } });
  }, 90_000);

  it('a corrected draft passes its test, Apply makes it what users get, and the page says live again', async () => {
    await wizard.completeStepsThrough('enforce');
    const page = await wizard.openStep('overview');
    await saveProvider(page, { client_id: 'wrong-client-id', client_secret: CLIENT.client_secret });
    await draftRegion(page).waitFor();
    // Fixed in the draft: the second client, with its secret.
    await saveProvider(page, SECOND_CLIENT);
    const draft = draftRegion(page);
    await expect(draft.textContent()).resolves.toContain('The draft changes: Client ID, Client secret.');
    await expect(userSignsIn()).resolves.toBe(CLIENT.client_id);

    await wizard.goToStep('Test the connection');
    const popup = await wizard.testLoginAs(alice);
    await popup.close();
    await page.getByRole('heading', { name: 'Test login succeeded' }).waitFor();
    // The banner refreshes after the result arrives: wait for its text (retried), then read it.
    await draft.getByText('The draft passed the connection test.').waitFor();
    await expect(draft.textContent()).resolves.toContain('The draft passed the connection test.');
    await wizard.shoot(page, '12-draft-tested');

    await draft.getByRole('button', { name: 'Apply draft' }).click();
    await draft.waitFor({ state: 'detached' });
    await expect(status(page).textContent()).resolves.toBe('Live');
    await wizard.goToStep('Overview');
    await page.getByRole('heading', { name: 'SSO is live' }).waitFor();
    await expect(userSignsIn()).resolves.toBe(SECOND_CLIENT.client_id);
    const config = await wizard.api<ConfigGetResponse>('config/get');
    expect(config.status).toMatchObject({ live: true, appliedTestPassed: true });
    expect(config.status.draft).toBeUndefined();
    expect(config.settings.oidc?.clientId).toBe(SECOND_CLIENT.client_id);
  }, 90_000);
});
