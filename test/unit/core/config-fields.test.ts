import { describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import { z } from 'zod';
import type { AdminSettings } from '../../../src/core/admin/admin-api-types.js';
import {
  adminSettingsSchema,
  configFieldEntries,
  configFieldInfo,
  describeConfigFields,
  fileConfigSchema,
  isGroup,
  settingsMaskAt,
  settingsMaskOfStep,
  storedSettings,
  type SettingsKeyAt,
  type SettingsKeyOfStep,
} from '../../../src/core/config-fields.js';
import { README, withConfigFieldsTable } from '../../../scripts/config-fields-table.js';

/**
 * The field table is the one description of the configuration: the file schema, the wizard's
 * settings, the labels and help, and the README's table all come from it, so none can drift.
 */

/** Every dotted path of an object schema, objects (under `optional`/`prefault`) and their fields. */
function schemaPaths(schema: z.ZodType, prefix = ''): string[] {
  let inner: z.ZodType = schema;
  while (inner instanceof z.ZodOptional || inner instanceof z.ZodPrefault || inner instanceof z.ZodDefault) inner = inner.unwrap() as z.ZodType;
  if (!(inner instanceof z.ZodObject)) return [];
  return Object.entries(inner.shape as Record<string, z.ZodType>).flatMap(([key, child]) => {
    const path = prefix ? `${prefix}.${key}` : key;
    return [path, ...schemaPaths(child, path)];
  });
}

const entries = configFieldEntries();
/** Paths of fields (not groups) and of groups holding at least one such field. */
const pathsWhere = (test: (entry: (typeof entries)[number]) => boolean) => {
  const leaves = entries.filter((entry) => !isGroup(entry.node) && test(entry)).map((entry) => entry.path);
  return entries.filter((entry) => leaves.some((leaf) => leaf === entry.path || leaf.startsWith(`${entry.path}.`))).map((entry) => entry.path);
};

describe('the field table', () => {
  it('describes every field of the file schema, and the file schema has every field it describes as one', () => {
    const fileFields = pathsWhere(({ node }) => !isGroup(node) && node.file !== undefined);
    expect(schemaPaths(fileConfigSchema({ allowLoopbackHttp: false }))).toEqual(fileFields);
    for (const { node } of entries) expect(node.label.trim()).not.toBe('');
  });

  it('gives the wizard\'s settings exactly the fields the wizard edits, never a secret', () => {
    const wizardFields = pathsWhere(({ node }) => !isGroup(node) && node.wizard !== undefined && !node.secret);
    expect(schemaPaths(adminSettingsSchema('strict'))).toEqual(wizardFields);
    expect(schemaPaths(adminSettingsSchema('strip'))).toEqual(wizardFields);
    for (const { node } of entries) {
      if (isGroup(node) || !node.wizard) continue;
      // A secret is sent write-only beside the settings; every other field the wizard edits has bounds.
      expect(node.wizard.settings === undefined).toBe(node.secret === true);
    }
    expect(Object.entries(configFieldInfo()).filter(([, info]) => info.secret).map(([path]) => path)).toEqual(['oidc.clientSecret']);
  });

  it('says where a connection keeps each top-level setting, and nothing for the file\'s own fields', () => {
    const topLevel = Object.keys(adminSettingsSchema('strict').shape);
    expect(storedSettings().map(([key]) => key)).toEqual(topLevel);
    expect(Object.fromEntries(storedSettings())).toEqual({
      preset: 'provider',
      oidc: 'provider',
      allowedEmailDomains: 'provider',
      serviceProvider: 'connection',
      nameIdClaim: 'connection',
      attributeClaims: 'connection',
      atlassianSiteUrl: 'connection',
      idpInitiated: 'connection',
      requireVerifiedEmail: 'connection',
      allowInternationalEmail: 'connection',
      groupsClaim: 'provider',
      allowedGroups: 'provider',
    });
    expect(Object.keys(settingsMaskAt('provider'))).toEqual(['preset', 'oidc', 'allowedEmailDomains', 'groupsClaim', 'allowedGroups']);
    expect(Object.keys(settingsMaskAt('connection'))).toEqual(['serviceProvider', 'atlassianSiteUrl', 'idpInitiated', 'nameIdClaim', 'attributeClaims', 'requireVerifiedEmail', 'allowInternationalEmail']);
  });

  it('names the settings of the users step, which users/preview tries unsaved', () => {
    expect(Object.keys(settingsMaskOfStep('users'))).toEqual(['allowedEmailDomains', 'nameIdClaim', 'attributeClaims', 'requireVerifiedEmail', 'allowInternationalEmail', 'groupsClaim', 'allowedGroups']);
  });

  it('covers every field of the file in a README row, its own or its group\'s', () => {
    const rows = entries.filter(({ node }) => node.readme).map(({ path }) => path);
    const uncovered = schemaPaths(fileConfigSchema({ allowLoopbackHttp: false })).filter(
      (path) => !rows.some((row) => row === path || path.startsWith(`${row}.`)) && !rows.some((row) => row.startsWith(`${path}.`)),
    );
    expect(uncovered).toEqual([]);
  });

  it('is what README.md shows (run `npm run docs:config-fields` after changing the table)', () => {
    const readme = fs.readFileSync(README, 'utf8');
    expect(withConfigFieldsTable(readme)).toBe(readme);
  });

  it('gives the wizard the help and label of every field, by path', () => {
    const info = configFieldInfo();
    expect(Object.keys(info)).toEqual(entries.map(({ path }) => path));
    for (const [path, help] of Object.entries(describeConfigFields())) expect(info[path]?.help).toBe(help);
    expect(info['oidc.issuer']).toEqual({ label: 'Issuer URL', help: expect.any(String), step: 'provider', secret: false });
    expect(info['attributeClaims']?.step).toBe('users');
    expect(info['baseUrl']?.step).toBeUndefined();
  });
});

// `AdminSettings` is derived from the table; it stays the shape the wizard has always used.
interface FirstReleaseSettings {
  preset?: 'okta' | 'entra' | 'google' | 'auth0' | 'keycloak' | 'other';
  oidc?: {
    issuer?: string;
    clientId?: string;
    scopes?: string[];
    // private_key_jwt added with client keys (issue 13, item 5).
    clientAuthMethod?: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';
    // Added with provider health (issue 13, item 6): the day the client secret expires.
    clientSecretExpiresAt?: string;
    endpoints?: { authorizationEndpoint?: string; tokenEndpoint?: string; userinfoEndpoint?: string; jwksUri?: string };
  };
  serviceProvider?: { entityId?: string; acsUrl?: string };
  allowedEmailDomains?: string[];
  nameIdClaim?: string;
  attributeClaims?: { givenName?: string; surname?: string; displayName?: string; stableId?: string };
  requireVerifiedEmail?: boolean;
  allowInternationalEmail?: boolean;
  // Added with IdP-initiated login (the start URL's switch, its landing page, and the site it may be on).
  atlassianSiteUrl?: string;
  idpInitiated?: { enabled?: boolean; relayState?: string };
  // Added with access rules (issue 13, item 4): the groups claim and the groups allowed in, per provider.
  groupsClaim?: string;
  allowedGroups?: string[];
}
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const sameShape: Equal<AdminSettings, FirstReleaseSettings> = true;
const usersStep: Equal<SettingsKeyOfStep<'users'>, 'nameIdClaim' | 'attributeClaims' | 'allowedEmailDomains' | 'requireVerifiedEmail' | 'allowInternationalEmail' | 'groupsClaim' | 'allowedGroups'> = true;
const providerLevel: Equal<SettingsKeyAt<'provider'>, 'preset' | 'oidc' | 'allowedEmailDomains' | 'groupsClaim' | 'allowedGroups'> = true;
void [sameShape, usersStep, providerLevel];
