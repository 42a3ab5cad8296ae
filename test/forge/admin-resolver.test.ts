import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { storageKeys } from '../../src/core/storage-keys.js';
import { adminResolver } from '../../src/forge/index.js';
import { ForgeKeyValueStore, ForgeSecretStore } from '../../src/forge/kvs-stores.js';
import { AdminCheckError, requireAdmin } from '../../src/forge/require-admin.js';
import { installForgePlatform, type ForgePlatform } from './forge-platform.js';

// The resolver runs as Forge runs it: @forge/resolver's definitions handler with the invocation
// payload and the backend runtime payload, the admin check through @forge/api's asUser() and
// storage through @forge/kvs, all over the platform stand-in.

const JIRA = { extension: { type: 'jira:adminPage' } };
const CONFLUENCE = { extension: { type: 'confluence:globalSettings' } };

function invoke(functionKey: string, context: Record<string, unknown>, principal: { accountId: string } | null = { accountId: 'user-1' }) {
  return adminResolver({ call: { functionKey, payload: {} }, context }, principal ? { principal } : {});
}

async function failureCode(promise: Promise<unknown>): Promise<string | undefined> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AdminCheckError);
  return (error as AdminCheckError).code;
}

describe('admin resolver', () => {
  let platform: ForgePlatform;

  beforeEach(() => {
    platform = installForgePlatform();
  });

  afterEach(() => platform.uninstall());

  describe('config/status', () => {
    it('tells a Jira admin that nothing is configured yet', async () => {
      await expect(invoke('config/status', JIRA)).resolves.toEqual({ configured: false });
      expect(platform.productRequests).toEqual([
        { provider: 'user', remote: 'jira', path: '/rest/api/3/mypermissions?permissions=ADMINISTER', method: 'GET' },
      ]);
    });

    it('reports configured once the configuration and the client secret are stored', async () => {
      await new ForgeKeyValueStore({ now: () => Date.now() }).set(storageKeys.config(), { oidc: {} });
      await expect(invoke('config/status', JIRA)).resolves.toEqual({ configured: false });
      await new ForgeSecretStore().setSecret(storageKeys.clientSecret(), 'secret');
      await expect(invoke('config/status', JIRA)).resolves.toEqual({ configured: true });
    });

    it('asks Confluence when called from the Confluence settings page', async () => {
      await expect(invoke('config/status', CONFLUENCE)).resolves.toEqual({ configured: false });
      expect(platform.productRequests).toEqual([
        { provider: 'user', remote: 'confluence', path: '/wiki/rest/api/user/current?expand=operations', method: 'GET' },
      ]);
    });

    it('refuses a Jira user without ADMINISTER, before reading storage', async () => {
      platform.user.jiraAdmin = false;
      await expect(failureCode(invoke('config/status', JIRA))).resolves.toBe('admin_required');
      expect(platform.kvs.requests).toEqual([]);
    });

    it('refuses a Confluence user who cannot administer the application', async () => {
      platform.user.confluenceAdmin = false;
      await expect(failureCode(invoke('config/status', CONFLUENCE))).resolves.toBe('admin_required');
    });
  });

  describe('requireAdmin', () => {
    it('refuses a call without a user', async () => {
      await expect(failureCode(invoke('config/status', JIRA, null))).resolves.toBe('admin_required');
      expect(platform.productRequests).toEqual([]);
    });

    it('refuses a call from a module of another product', async () => {
      await expect(failureCode(requireAdmin({ accountId: 'u', extension: { type: 'bitbucket:repoSettings' } }))).resolves.toBe(
        'admin_required',
      );
      await expect(failureCode(requireAdmin({ accountId: 'u' }))).resolves.toBe('admin_required');
      expect(platform.productRequests).toEqual([]);
    });

    it('fails closed when the product cannot answer', async () => {
      platform.user.productStatus = 500;
      await expect(failureCode(requireAdmin({ accountId: 'u', ...JIRA }))).resolves.toBe('admin_check_failed');
      platform.user.productStatus = 403;
      await expect(failureCode(requireAdmin({ accountId: 'u', ...CONFLUENCE }))).resolves.toBe('admin_check_failed');
    });

    it('resolves for an admin', async () => {
      await expect(requireAdmin({ accountId: 'u', ...JIRA })).resolves.toBeUndefined();
      await expect(requireAdmin({ accountId: 'u', ...CONFLUENCE })).resolves.toBeUndefined();
    });
  });
});
