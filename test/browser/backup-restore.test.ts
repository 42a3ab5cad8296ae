import { describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ClientKeyResponse } from '../../src/core/admin/admin-api-types.js';
import { alice, useWizardHarness } from './support/wizard-harness.js';

/**
 * Backup and restore in Chromium, on the connections page of a connection in use: export
 * without secrets (the file downloads), import the file with a change, see the field-by-field
 * difference, import it as a draft; users keep the applied settings until the draft is tested
 * and applied, which then goes as for any draft (test, Apply draft).
 */

const wizard = useWizardHarness();

describe('backup and restore on the admin page', () => {
  it('exports, imports a changed file, shows the diff and imports it as a draft', async () => {
    await wizard.completeStepsThrough('enforce');
    const page = await wizard.showStep('overview');
    await page.getByRole('navigation', { name: 'Admin pages' }).getByRole('button', { name: 'Connections' }).click();
    await page.getByRole('heading', { name: 'Backup and restore' }).waitFor();

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export without secrets' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^oidc-saml-bridge-all-\d{4}-\d{2}-\d{2}\.json$/);
    const exported = JSON.parse(fs.readFileSync((await download.path())!, 'utf8')) as { connections: { providers: { allowedEmailDomains?: string[] }[] }[] };
    await page.getByRole('heading', { name: 'Backup downloaded (no secrets)' }).waitFor();
    const domainsBefore = exported.connections[0]!.providers[0]!.allowedEmailDomains!;

    // The admin edits the file: one more allowed domain.
    exported.connections[0]!.providers[0]!.allowedEmailDomains = [...domainsBefore, 'example.org'];
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'backup-browser-'));
    const file = path.join(dir, 'changed.json');
    fs.writeFileSync(file, JSON.stringify(exported));
    await page.getByLabel('Backup file to import').setInputFiles(file);
    await page.getByRole('button', { name: 'Show changes' }).click();

    const { connection } = await wizard.config();
    const table = page.getByRole('table', { name: `Changes to ${connection.name}` });
    const row = table.getByRole('row').filter({ hasText: 'providers.default.allowedEmailDomains' });
    await row.waitFor();
    await expect(row.getByRole('cell').allTextContents()).resolves.toEqual([
      'providers.default.allowedEmailDomains',
      'changed',
      JSON.stringify(domainsBefore),
      JSON.stringify([...domainsBefore, 'example.org']),
    ]);
    await table.getByRole('row').filter({ hasText: 'providers.default.oidc.clientSecret' }).getByText('not in the file (the stored one is kept)').waitFor();
    await page.getByText(/The file carries no signing key/).waitFor();
    await wizard.shoot(page, '60-backup-diff');

    await page.getByRole('button', { name: 'Import as draft' }).click();
    await page.getByRole('heading', { name: 'Imported as a draft' }).waitFor();
    const after = await wizard.config();
    expect(after.status.draft).toMatchObject({ fields: ['providers.default.allowedEmailDomains'], testPassed: false });
    // The applied settings are what users sign in with until the draft is applied.
    expect(after.status.live).toBe(true);
    fs.rmSync(dir, { recursive: true, force: true });

    // Then the normal draft flow: the wizard says the draft is not applied; a passing test offers Apply.
    await page.getByRole('button', { name: 'Open in the wizard' }).click();
    await page.getByRole('heading', { name: 'Draft not applied: users still sign in with the applied settings' }).waitFor();
    await wizard.testLoginWithoutBrowser(alice);
    await page.reload();
    await page.getByRole('button', { name: 'Apply draft' }).click();
    await page.getByRole('heading', { name: 'Draft not applied: users still sign in with the applied settings' }).waitFor({ state: 'detached' });
    const applied = await wizard.config();
    expect(applied.status.draft).toBeUndefined();
    expect(applied.settings.allowedEmailDomains).toEqual([...domainsBefore, 'example.org']);

    // The audit trail names the export and the import, by the admin.
    await page.getByRole('navigation', { name: 'Admin pages' }).getByRole('button', { name: 'Sign-in activity' }).click();
    await page.getByRole('tab', { name: 'Configuration changes' }).click();
    const changes = page.getByRole('table', { name: 'Configuration changes, newest first' });
    await changes.getByRole('cell', { name: 'Imported a backup as a draft' }).waitFor();
    await changes.getByRole('cell', { name: 'Exported a backup (no secrets)' }).waitFor();
  }, 120_000);

  it('says of a private_key_jwt provider in a file without secrets that the installation makes its own client key, and makes it on import', async () => {
    await wizard.completeStepsThrough('enforce');
    const page = await wizard.showStep('overview');
    await page.getByRole('navigation', { name: 'Admin pages' }).getByRole('button', { name: 'Connections' }).click();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export without secrets' }).click()]);
    const exported = JSON.parse(fs.readFileSync((await download.path())!, 'utf8')) as { connections: { providers: { oidc: Record<string, unknown> }[] }[] };
    exported.connections[0]!.providers[0]!.oidc.clientAuthMethod = 'private_key_jwt';
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'backup-browser-'));
    const file = path.join(dir, 'keyed.json');
    fs.writeFileSync(file, JSON.stringify(exported));
    await page.getByLabel('Backup file to import').setInputFiles(file);
    await page.getByRole('button', { name: 'Show changes' }).click();
    await page.getByText(/this installation makes its own client key, to register at the provider/).waitFor();
    await page.getByRole('button', { name: 'Import as draft' }).click();
    await page.getByRole('heading', { name: 'Imported as a draft' }).waitFor();
    fs.rmSync(dir, { recursive: true, force: true });
    await expect(wizard.api<ClientKeyResponse>('client-key/get', {})).resolves.toMatchObject({ exists: true });
  }, 120_000);
});
