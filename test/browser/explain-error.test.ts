import { describe, expect, it } from '@jest/globals';
import { X509Certificate } from 'node:crypto';
import { createSigningKey } from '../../src/downstream-saml/signing-key.js';
import { useWizardHarness } from './support/wizard-harness.js';

/**
 * Troubleshooting an Atlassian error in Chromium, on a connection that is live (every step done,
 * Alice's connection test passed): the admin opens it from the overview, pastes the address of
 * Atlassian's error page and the certificate Guard holds (another one), and sees the cause and
 * both fingerprints, which differ. Pasted HTML stays text.
 */

const wizard = useWizardHarness();

const CERTIFICATE_ERROR_URL =
  'https://id.atlassian.com/error?error=access_denied&error_description=Certificate%20in%20SAML%20Response%20does%20not%20match%20the%20certificate%20configured%20for%20this%20identity%20provider';

describe('troubleshoot a sign-in error, in Chromium', () => {
  it('explains a certificate mismatch from the pasted error page address, with both fingerprints', async () => {
    await wizard.completeStepsThrough('enforce');
    const { bridge } = await wizard.config();
    const wrongPem = (await createSigningKey({ now: () => Date.now() }, 'old-installation.example')).certificatePem;
    const activeFingerprint = new X509Certificate(bridge.certificatePem).fingerprint256;
    const wrongFingerprint = new X509Certificate(wrongPem).fingerprint256;

    // Reachable where an admin who has gone live looks: the overview and the enforce step.
    const page = await wizard.openStep('overview');
    await page.getByRole('heading', { name: 'SSO is live' }).waitFor();
    await wizard.goToStep('Enforce in Atlassian Guard');
    await page.getByRole('link', { name: 'Troubleshoot a sign-in error' }).waitFor();
    await wizard.goToStep('Overview');
    await page.getByRole('link', { name: 'Troubleshoot a sign-in error' }).click();
    await page.getByRole('heading', { level: 2, name: 'Troubleshoot a sign-in error' }).waitFor();
    expect(new URL(page.url()).hash).toBe('#troubleshoot');

    await page.getByLabel("Atlassian's error (address or message)").fill(CERTIFICATE_ERROR_URL);
    await page.getByLabel('Certificate in Atlassian Guard (optional)').fill(wrongPem);
    await page.getByRole('button', { name: 'Explain' }).click();
    const explanation = page.getByRole('region', { name: 'The certificate in the SAML response does not match the one in Guard' });
    await explanation.getByRole('heading', { level: 3, name: 'The certificate in the SAML response does not match the one in Guard' }).waitFor();
    await explanation.getByText('Likely causes').waitFor();
    const match = explanation.locator('li[data-check="certificate_match"]');
    await expect(match.getAttribute('data-result')).resolves.toBe('problem');
    await match.getByText('the fingerprints differ').waitFor();
    await match.getByText(wrongFingerprint, { exact: true }).waitFor();
    await match.getByText(activeFingerprint, { exact: true }).waitFor();
    await expect(explanation.locator('li[data-check="certificate_expiry"]').getAttribute('data-result')).resolves.toBe('ok');
    await explanation.getByText('Copy the certificate from step 5').waitFor();
    // The decoded error_description, as the error page's address says it.
    await page.getByRole('cell', { name: 'Certificate in SAML Response does not match the certificate configured for this identity provider' }).waitFor();
    await wizard.shoot(page, '20-explain-error');

    // With the right certificate, the same check passes.
    await page.getByLabel('Certificate in Atlassian Guard (optional)').fill(bridge.certificatePem);
    await page.getByRole('button', { name: 'Explain' }).click();
    await page.locator('li[data-check="certificate_match"][data-result="ok"]').waitFor();
  });

  it('shows pasted HTML as text, and says when it does not know the error', async () => {
    const page = await wizard.openStep('overview');
    await page.getByRole('button', { name: 'Troubleshoot', exact: true }).click();
    await page.getByRole('heading', { level: 2, name: 'Troubleshoot a sign-in error' }).waitFor();
    const html = '<img src=x onerror="window.__pasted=1"><b>bold</b>';
    await page.getByLabel("Atlassian's error (address or message)").fill(`https://id.atlassian.com/error?error_description=${encodeURIComponent(html)}`);
    await page.getByRole('button', { name: 'Explain' }).click();
    await page.getByRole('heading', { level: 3, name: 'Not an error this page knows' }).waitFor();
    await page.getByRole('cell', { name: html, exact: true }).waitFor();
    await expect(page.evaluate(() => (window as unknown as { __pasted?: number }).__pasted)).resolves.toBeUndefined();
    await expect(page.locator('img[src="x"]').count()).resolves.toBe(0);
  });
});
