import { describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import { ADMIN_TOKEN, alice, CLIENT, expectSignedInAtGuard, mallory, signInAtDemoProvider, useWizardHarness } from './support/wizard-harness.js';

/**
 * The setup wizard in real Chromium, step by step, as an admin meets it (see the harness for
 * how each test gets its bridge and the state of the steps before its own), then a whole user
 * login with the configuration the wizard saves, without a restart.
 */

const wizard = useWizardHarness();

describe('the setup wizard in Chromium, standalone server', () => {
  it('admin token: a wrong one is refused with a clear message, the right one opens the wizard', async () => {
    const { page } = wizard;
    await page.goto(`${wizard.app.baseUrl}/admin`);
    expect(new URL(page.url()).pathname).toBe('/admin/');
    await page.getByLabel('Admin token').waitFor();
    await expect(page.getByLabel('Admin token').getAttribute('type')).resolves.toBe('password');
    await wizard.shoot(page, '00-admin-token');
    await page.getByLabel('Admin token').fill('not-the-token');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByText('That admin token was not accepted').waitFor();
    await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Continue' }).click();
    await wizard.onStep('Overview');
  });

  it('step 1 · overview: with nothing configured, it lists what is missing', async () => {
    const page = await wizard.openStep('overview');
    await page.getByRole('heading', { name: 'Missing before the SSO URL can serve sign-ins' }).waitFor();
    await wizard.shoot(page, '01-overview');
  });

  it('step 2 · callback URL: the redirect URI to register at the provider', async () => {
    const page = await wizard.openStep('overview');
    await page.getByRole('button', { name: 'Start the setup' }).click();
    await wizard.onStep('Callback URL');
    await expect(page.getByLabel('Sign-in redirect URI').inputValue()).resolves.toBe(`${wizard.app.baseUrl}/oidc/callback`);
    await wizard.shoot(page, '02-callback-url');
    await page.getByRole('button', { name: 'Done, continue' }).click();
    await wizard.onStep('OIDC provider');
    // What the seeds of the later steps record for these two.
    expect((await wizard.config()).status.completedSteps).toEqual(['overview', 'callback']);
  });

  it('step 3 · OIDC provider: field errors and failed discovery are clear; discovery fills the endpoints; the secret is write-only', async () => {
    const page = await wizard.openStep('provider');
    // An empty save flags every missing field, not only the secret.
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('heading', { name: 'Not saved: fix the fields marked below' }).waitFor();
    for (const label of ['Issuer URL', 'Client ID', 'Client secret']) {
      await expect(page.getByLabel(label).getAttribute('aria-invalid')).resolves.toBe('true');
    }
    // The server's check, shown under the field it is about: plain http is for this machine only.
    await page.getByLabel('Issuer URL').fill('http://idp.example.com');
    await page.getByLabel('Client ID').fill(CLIENT.client_id);
    await page.getByLabel('Client secret').fill(CLIENT.client_secret);
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    // The heading is the empty save's, still on screen: wait for this save's own message instead.
    const issuerError = await page.getByLabel('Issuer URL').getAttribute('aria-describedby');
    await page.locator(`[id="${issuerError!.split(' ').pop()}"]`, { hasText: /https/ }).waitFor();
    await page.getByRole('heading', { name: 'Not saved: fix the fields marked below' }).waitFor();
    await expect(page.getByLabel('Issuer URL').getAttribute('aria-invalid')).resolves.toBe('true');
    await wizard.shootArtifact(page, '03b-field-error');
    await page.getByLabel('Issuer URL').fill(`${wizard.spUrl}/no-discovery-here`);
    await page.getByRole('button', { name: 'Discover' }).click();
    await page.getByRole('heading', { name: 'Discovery failed' }).waitFor();
    await wizard.shootArtifact(page, '03a-discovery-failed');
    // The preset only shapes the hints: the local provider is an "Other".
    await page.getByLabel('Identity provider').focus();
    await page.keyboard.press('ArrowDown');
    await page.getByRole('option', { name: 'Other', exact: true }).click();
    await page.getByText('The issuer your provider documents').waitFor();
    await page.getByLabel('Issuer URL').fill(wizard.opUrl);
    await page.getByRole('button', { name: 'Discover' }).click();
    await page.getByRole('heading', { name: 'Provider found' }).waitFor();
    await expect(page.getByLabel('Token endpoint').inputValue()).resolves.toBe(`${wizard.opUrl}/token`);
    await page.getByLabel('Client ID').fill(CLIENT.client_id);
    await page.getByLabel('Client secret').fill(CLIENT.client_secret);
    await wizard.save();
    // Write-only: after saving, the secret field is empty and says a secret is set.
    await expect(page.getByLabel('Client secret').inputValue()).resolves.toBe('');
    await expect(page.getByLabel('Client secret').getAttribute('placeholder')).resolves.toContain('set');
    await wizard.shoot(page, '03-oidc-provider');
    const saved = await wizard.config();
    expect(saved.settings).toEqual(wizard.settingsThrough('provider'));
    expect(saved.status.clientSecretSet).toBe(true);
    await page.getByRole('button', { name: 'Next: Test the connection' }).click();
    await wizard.onStep('Test the connection');
  });

  it('step 4 · test the connection: a refused user gets the reference the wizard shows; a good one shows her claims', async () => {
    const page = await wizard.openStep('test');
    // A real login at the provider in a new tab, nothing sent to Atlassian. First a user the
    // bridge refuses (unverified email): the wizard shows the reference the user's error page shows.
    const refused = await wizard.testLoginAs(mallory);
    const refusedPage = (await refused.textContent('body')) ?? '';
    await refused.close();
    // The page asks for the result every 2 s; an admin back from the tab may also ask at once.
    // This result is asked for, the next one waited for.
    await page.getByRole('button', { name: 'Check result' }).click();
    await page.getByRole('heading', { name: /^Test login failed/ }).waitFor();
    const reference = (await page.locator('#test-reference').textContent())!;
    expect(reference).toMatch(/\S{4,}/);
    expect(refusedPage).toContain(reference);
    await wizard.shootArtifact(page, '04b-test-failed');
    // The provider remembers who signed in; forget it so the next test asks again.
    await wizard.adminContext.clearCookies({ name: /^demo_op_/ });

    const popup = await wizard.testLoginAs(alice);
    await wizard.shootArtifact(popup, '04a-test-callback-page');
    await popup.close();
    await page.getByRole('heading', { name: 'Test login succeeded' }).waitFor();
    await expect(page.locator('#test-name-id').textContent()).resolves.toBe(alice.email);
    const claimsTable = page.getByRole('table', { name: 'Claims received from the provider' });
    await claimsTable.getByText(alice.sub).waitFor();
    // Times say when, not only the seconds since 1970.
    await expect(claimsTable.getByRole('row', { name: /^exp / }).textContent()).resolves.toMatch(/^exp\d+ \(20\d\d-\d\d-\d\d \d\d:\d\d:\d\d UTC\)$/);
    // The test measured the binding cookie through this host (it came back): said in plain words.
    await page.getByRole('heading', { name: 'Login CSRF protection is on' }).waitFor();
    await wizard.shoot(page, '04-test-connection');
    // What the later steps' seed (a test login without a browser) gives them too.
    expect((await wizard.config()).status.testPassed).toBe(true);
    await page.getByRole('button', { name: 'Continue', exact: true }).click();
    await wizard.onStep('Values for Atlassian Guard');
  });

  it('step 5 · values for Atlassian Guard: entity ID, SSO URL, certificate and the metadata download', async () => {
    const page = await wizard.openStep('idp-values');
    const idpEntityId = await page.getByLabel('IdP Entity ID').inputValue();
    const idpSsoUrl = await page.getByLabel('IdP SSO URL').inputValue();
    const certificatePem = await page.getByLabel('X.509 certificate').inputValue();
    expect(idpSsoUrl).toBe(`${wizard.app.baseUrl}/saml/sso`);
    expect(certificatePem).toMatch(/^-----BEGIN CERTIFICATE-----\n[\s\S]+\n-----END CERTIFICATE-----\n?$/);
    const download = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download IdP metadata XML' }).click()]);
    const metadata = fs.readFileSync((await download[0].path())!, 'utf8');
    expect(metadata).toContain(idpEntityId);
    // The values the later steps' seed gives the demo SP, as an admin pastes these into Guard.
    const { bridge } = await wizard.config();
    expect({ idpEntityId, idpSsoUrl, certificatePem }).toEqual({ idpEntityId: bridge.idpEntityId, idpSsoUrl: bridge.ssoUrl, certificatePem: bridge.certificatePem });
    await wizard.shoot(page, '05-values-for-guard');
    await page.getByRole('button', { name: 'Done, continue' }).click();
    await wizard.onStep('Values from Atlassian Guard');
  });

  it("step 6 · values from Atlassian Guard: read from the SP's metadata, saved with a warning (not Atlassian's URLs)", async () => {
    const page = await wizard.openStep('sp-values');
    // A refused value is red until the metadata replaces it.
    await page.getByLabel('SP Entity ID').fill('not a url');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.locator('input[aria-invalid="true"]').first().waitFor();
    const spMetadata = await (await fetch(`${wizard.spUrl}/metadata`)).text();
    await page.getByLabel('SP metadata XML').fill(spMetadata);
    await page.getByRole('button', { name: 'Read values from metadata' }).click();
    await page.getByText('Filled in the SP Entity ID and ACS URL from the metadata').waitFor();
    await expect(page.getByLabel('SP Entity ID').inputValue()).resolves.toBe(`${wizard.spUrl}/metadata`);
    await expect(page.getByLabel('ACS URL').inputValue()).resolves.toBe(`${wizard.spUrl}/acs`);
    await expect(page.locator('[aria-invalid="true"]').count()).resolves.toBe(0);
    await wizard.save();
    // Saved, with a warning (not an error): these are not Atlassian's URLs.
    await page.getByRole('heading', { name: 'Check before you go on' }).waitFor();
    await wizard.shoot(page, '06-values-from-guard');
    expect((await wizard.config()).settings).toEqual(wizard.settingsThrough('sp-values'));
    await page.getByRole('button', { name: 'Next: Users and attributes' }).click();
    await wizard.onStep('Users and attributes');
  });

  it("step 7 · users and attributes: allowed domains, previewed on the test login's claims", async () => {
    const page = await wizard.openStep('users');
    await page.getByLabel('Allowed email domains').fill('example.com');
    await page.locator('#preview-name-id', { hasText: alice.email }).waitFor();
    await wizard.save();
    await wizard.shoot(page, '07-users-and-attributes');
    expect((await wizard.config()).settings).toEqual(wizard.settingsThrough('users'));
    await page.getByRole('button', { name: 'Next: Enforce in Atlassian Guard' }).click();
    await wizard.onStep('Enforce in Atlassian Guard');
  });

  it('step 7 · users and attributes: explains turning the verified check off, what the preset sends, and warns about a NameID claim other than email', async () => {
    const page = await wizard.openStep('users');
    // The local provider is an "Other": the note says to check whether it sends email_verified.
    await page.getByTestId('email-verification-note').getByText('email_verified').waitFor();
    await expect(page.getByTestId('verified-email-off').count()).resolves.toBe(0);
    await page.getByRole('checkbox', { name: /vouches for their email/ }).uncheck();
    await page.getByTestId('verified-email-off').getByText('Unverified email addresses will be accepted').waitFor();
    await expect(page.getByTestId('name-id-claim-warning').count()).resolves.toBe(0);
    await page.getByLabel('NameID claim').fill('preferred_username');
    await page.getByTestId('name-id-claim-warning').getByText('Pick a claim your users cannot change').waitFor();
    await wizard.shoot(page, '07b-users-identity-warnings');
  });

  it('step 7 · users and attributes: allowed groups, previewed on the test login (no groups claim: refused), saved only as typed', async () => {
    const page = await wizard.openStep('users');
    await page.getByLabel('Allowed email domains').fill('example.com');
    await page.locator('#preview-name-id', { hasText: alice.email }).waitFor();
    await expect(page.getByTestId('access-rule-preview').count()).resolves.toBe(0);
    // The seeded test user's provider sends no groups claim: the preview says she would be refused, and why.
    await page.getByLabel('Allowed groups').fill('  jira-users  \n\n/engineering/platform');
    await page.getByTestId('access-rule-preview').getByText('user_groups_missing').waitFor();
    await page.getByText('This user would be refused: Your groups were not sent').waitFor();
    await page.getByTestId('groups-claim-note').getByText('test login in step 4').waitFor();
    await wizard.shoot(page, '07c-users-allowed-groups');
    await wizard.save();
    expect((await wizard.config()).settings).toEqual({ ...wizard.settingsThrough('users'), allowedGroups: ['jira-users', '/engineering/platform'] });
    // Emptied, the rule is gone and the preview accepts her again.
    await page.getByLabel('Allowed groups').fill('');
    await page.locator('#preview-name-id', { hasText: alice.email }).waitFor();
    await expect(page.getByTestId('access-rule-preview').count()).resolves.toBe(0);
  });

  it('step 8 · enforce: the rollout checklist in Atlassian’s admin makes SSO live, and a reload comes back to it', async () => {
    const page = await wizard.openStep('enforce');
    await page.getByRole('heading', { name: 'Uninstalling or reinstalling breaks single sign-on' }).waitFor();
    for (const label of [
      'Link the verified domain to this identity provider',
      'Test with an authentication policy of a few members',
      'Keep one admin account outside SSO',
      'Enforce single sign-on for everyone else',
    ]) {
      const box = page.getByRole('checkbox', { name: label });
      await box.check();
      await expect(box.isChecked()).resolves.toBe(true);
      // Every box is disabled while a tick is saved, then usable again.
      await (await box.elementHandle())!.waitForElementState('enabled');
      await expect(box.isEnabled()).resolves.toBe(true);
    }
    await page.getByRole('heading', { name: 'SSO is live' }).waitFor();
    await wizard.shoot(page, '08-enforce');

    // Resumable: a reload (same tab, token kept for the session) comes back to the same state.
    await page.reload();
    await wizard.goToStep('Overview');
    await page.getByRole('heading', { name: 'SSO is live' }).waitFor();
    await wizard.shoot(page, '09-sso-live');
  });

  it('after the wizard · a user signs in through Guard with the configuration the wizard saved', async () => {
    await wizard.completeStepsThrough('enforce');
    // A user, in a fresh browser: Guard (the demo SP) → bridge → provider → bridge → Guard.
    const user = await (await wizard.newContext()).newPage();
    await user.goto(`${wizard.spUrl}/`);
    await user.getByRole('button', { name: 'Sign in with HTTP-Redirect' }).click();
    await signInAtDemoProvider(user, alice);
    await expectSignedInAtGuard(user, alice.email);
    expect(wizard.serviceProvider.lastResult()).toMatchObject({ ok: true, nameID: alice.email });
    await wizard.shoot(user, '10-user-signed-in');
  });
});
