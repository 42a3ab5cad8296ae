import { describe, expect, it } from '@jest/globals';
import type { ClientKeyResponse } from '../../src/core/admin/admin-api-types.js';
import { choose } from './support/admin-browser.js';
import { CLIENT, useWizardHarness } from './support/wizard-harness.js';

/**
 * The client key in Chromium, on the provider step: choosing private_key_jwt hides the secret
 * fields; the save makes the key and the step shows the JWKS URL (what the bridge serves there);
 * preparing a next key publishes it beside the active one, activating switches the kid, and the
 * page offers Undo. No answer the page receives carries a private key.
 */

const wizard = useWizardHarness();

type Jwks = { keys: { kid: string }[] };

describe('the client key on the provider step', () => {
  it('choose private_key_jwt, see the JWKS URL, prepare and activate a next key', async () => {
    const page = await wizard.openStep('provider');
    const answers: Promise<string>[] = [];
    page.on('response', (response) => {
      if (response.url().includes('/admin/api/')) answers.push(response.text().catch(() => ''));
    });
    await choose(page, 'Identity provider', 'Keycloak');
    await page.getByLabel('Issuer URL').fill(wizard.opUrl);
    await page.getByRole('button', { name: 'Discover' }).click();
    await page.getByRole('heading', { name: 'Provider found' }).waitFor();
    await page.getByLabel('Client ID').fill(CLIENT.client_id);
    await choose(page, 'Client authentication method', 'private_key_jwt (a key the app makes; no secret)');
    // No secret exists with this method: the page does not ask for one.
    await expect(page.getByLabel('Client secret', { exact: true }).count()).resolves.toBe(0);
    await expect(page.getByLabel('Secret expires on').count()).resolves.toBe(0);
    await wizard.save();

    const jwksUrl = `${wizard.app.baseUrl}/oidc/jwks/default/default`;
    const section = page.getByRole('region', { name: 'Client key' });
    await section.getByText('Keycloak: in the client’s Credentials tab').waitFor();
    await expect(section.getByLabel('JWKS URL', { exact: true }).inputValue()).resolves.toBe(jwksUrl);
    const served = (await (await fetch(jwksUrl)).json()) as Jwks;
    expect(served.keys).toHaveLength(1);
    const activeKid = served.keys[0]!.kid;
    await expect(page.locator('#client-key-active-kid').textContent()).resolves.toBe(activeKid);
    await expect(section.getByLabel('JWKS', { exact: true }).inputValue()).resolves.toBe(JSON.stringify(served, null, 2));

    await section.getByRole('button', { name: 'Prepare next key' }).click();
    await page.locator('#client-key-next-kid').waitFor();
    const nextKid = (await page.locator('#client-key-next-kid').textContent())!;
    // The provider that fetches the URL sees both keys before the switch.
    expect(((await (await fetch(jwksUrl)).json()) as Jwks).keys.map((k) => k.kid)).toEqual([activeKid, nextKid]);
    await wizard.shoot(page, '45-client-key');

    await section.getByRole('button', { name: 'The provider knows it — activate' }).click();
    await section.getByRole('button', { name: 'Undo: sign with the previous key' }).waitFor();
    await expect(page.locator('#client-key-active-kid').textContent()).resolves.toBe(nextKid);
    expect(((await (await fetch(jwksUrl)).json()) as Jwks).keys.map((k) => k.kid)).toEqual([nextKid]);
    const status = await wizard.api<ClientKeyResponse>('client-key/get', {});
    expect(status.exists && status.keys.activeKid).toBe(nextKid);
    const saved = await wizard.config();
    expect(saved.settings.oidc?.clientAuthMethod).toBe('private_key_jwt');
    expect(saved.status.clientSecretSet).toBe(false);

    // The audit trail names each change.
    await page.getByRole('navigation', { name: 'Admin pages' }).getByRole('button', { name: 'Sign-in activity' }).click();
    await page.getByRole('tab', { name: 'Configuration changes' }).click();
    const changes = page.getByRole('table', { name: 'Configuration changes, newest first' });
    for (const name of ['Switched to the next client key', 'Prepared the next client key', 'Made the provider’s client key (private_key_jwt)']) await changes.getByRole('cell', { name }).waitFor();

    const bodies = await Promise.all(answers);
    expect(bodies.some((body) => body.includes(nextKid))).toBe(true);
    for (const body of bodies) {
      expect(body).not.toContain('PRIVATE KEY');
      expect(body).not.toMatch(/"(d|p|q|dp|dq|qi|privateKeyPem)":/);
    }
  }, 120_000);
});
