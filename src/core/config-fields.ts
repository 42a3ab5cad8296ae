import { z } from 'zod';
import type { ConfigFieldInfo, WizardStep } from './admin/admin-api-types.js';

/**
 * Every configuration field, described once: its value in the configuration file (the zod type
 * with its checks, messages and default), what the wizard calls it and says about it, the step
 * that edits it and the bounds of a partial save, whether it is a secret, and where a connection
 * keeps it. Derived from this table: the file schema (`config.ts`); the wizard's settings schema
 * and `AdminSettings`; the settings-to-configuration converter (`stored-config.ts`); which
 * settings the stored connections document keeps on the connection and which on each provider;
 * the merge of a save, the steps' completion and step 7's preview (`admin/`); the field help and
 * labels of `config/get`; and the README's field table (`npm run docs:config-fields`).
 *
 * The wizard's bounds are looser than the file's checks on purpose: a partial save stores any
 * value of the right type and size, and the whole is judged by the file schema (`config-save.ts`).
 */

export interface ConfigParseOptions {
  /**
   * Which connection and provider of the stored document this configuration is (default: the
   * first release's single configuration, `default`/`default`); the connection decides the
   * metadata URL and so the default IdP Entity ID.
   */
  scope?: { connectionId: string; providerId: string };
  /**
   * Accept `http://` URLs on loopback hosts (127.0.0.0/8, ::1, localhost) for the issuer and the
   * service provider. The standalone server allows it for local runs and tests; Forge never does.
   */
  allowLoopbackHttp: boolean;
}

/** Where a connection keeps a field: on the connection (its SAML side), or on each provider. */
export type FieldLevel = 'connection' | 'provider';

interface FieldMeta {
  /** What the wizard calls the field. */
  readonly label: string;
  /** The wizard's help (`fieldHelp`). */
  readonly help?: string;
  /** The field's row in the README table; a field without one is described by its group's row. */
  readonly readme?: string;
  /** On a top-level field the wizard edits: where a connection keeps it (and everything below it). */
  readonly level?: FieldLevel;
}

/** One value. */
export interface FieldSpec extends FieldMeta {
  /** The value in the configuration file. Absent: the wizard's alone (not configuration). */
  readonly file?: (options: ConfigParseOptions) => z.ZodType;
  /**
   * The step that edits it, and the bounds of its value in a partial save. No `settings`: a
   * secret, sent write-only beside the settings.
   */
  readonly wizard?: { readonly step: WizardStep; readonly settings?: z.ZodType };
  /** Kept in secret storage, never in the settings, never sent back to the browser. */
  readonly secret?: true;
}

/** An object of fields. */
export interface GroupSpec extends FieldMeta {
  readonly fields: FieldTable;
  /**
   * Whether the file must have the object (`required`, the default), may leave it out
   * (`optional`), or may leave it out to have every field's default (`defaulted`).
   */
  readonly presence?: 'optional' | 'defaulted';
  /** A save replaces it as a whole, never field by field; empty values are dropped, and none left removes it. */
  readonly atomic?: true;
  /** The file drops unknown keys here instead of refusing them (as it always has for this object). */
  readonly unknownKeys?: 'strip';
  /**
   * A field the object requires unless another of its fields has a value (the client secret, but
   * not with a client key). Judged even while other fields have problems, so a missing value is
   * listed with them, as a required field's is.
   */
  readonly requiredUnless?: { readonly field: string; readonly unless: { readonly field: string; readonly value: string }; readonly message: string };
}

export interface FieldTable {
  readonly [key: string]: FieldSpec | GroupSpec;
}

export function isGroup(node: FieldSpec | GroupSpec): node is GroupSpec {
  return 'fields' in node;
}

const LOOPBACK_HOSTS = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

export function isLoopbackUrl(url: URL): boolean {
  return LOOPBACK_HOSTS.test(url.hostname);
}

function urlField(options: ConfigParseOptions, { requireHttps = true } = {}) {
  return z
    .string({ error: 'Enter a URL.' })
    .trim()
    .min(1, 'Enter a URL.')
    .max(2048, 'Keep the URL under 2048 characters.')
    .superRefine((value, ctx) => {
      let url: URL;
      try {
        url = new URL(value);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'Enter an absolute URL, such as https://example.okta.com.' });
        return;
      }
      if (url.username || url.password) {
        ctx.addIssue({ code: 'custom', message: 'The URL must not contain a user name or password.' });
      }
      if (url.hash) ctx.addIssue({ code: 'custom', message: 'The URL must not contain a #fragment.' });
      if (!requireHttps) return;
      const loopbackHttp = url.protocol === 'http:' && options.allowLoopbackHttp && isLoopbackUrl(url);
      if (url.protocol !== 'https:' && !loopbackHttp) {
        ctx.addIssue({
          code: 'custom',
          message: options.allowLoopbackHttp
            ? 'Use an https:// URL (http:// is accepted only for 127.0.0.1 and localhost).'
            : 'Use an https:// URL.',
        });
      }
    });
}

/** An Atlassian Cloud site's host: `<name>.atlassian.net` or the older `<name>.jira.com`. */
const ATLASSIAN_SITE_HOST = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.(?:atlassian\.net|jira\.com)$/;

/**
 * An Atlassian Cloud site: `https://<name>.atlassian.net` or the older `https://<name>.jira.com`.
 * Only those hosts: the URL becomes a link on the bridge's error pages, which must lead back to
 * Atlassian, and a mistyped value should be caught when it is saved, not by a user.
 */
function atlassianSiteUrl() {
  return z
    .string({ error: 'Enter a URL.' })
    .trim()
    .max(2048, 'Keep the URL under 2048 characters.')
    .transform((value, ctx) => {
      let url: URL | undefined;
      try {
        url = new URL(value);
      } catch {
        url = undefined;
      }
      if (!url || url.protocol !== 'https:' || url.port || !ATLASSIAN_SITE_HOST.test(url.hostname) || url.username || url.password || url.search || url.hash) {
        ctx.addIssue({ code: 'custom', message: 'Enter your Atlassian site, such as https://your-company.atlassian.net.' });
        return z.NEVER;
      }
      return url.href.replace(/\/+$/, '');
    });
}

/**
 * Where an IdP-initiated login sends the user (its RelayState), as stored: an https URL on an
 * Atlassian host, without a user name, port or fragment. Whether its host is the connection's
 * own site is checked where both values are known (`idpInitiatedTarget`), at the save and again
 * when a login starts.
 */
function idpInitiatedRelayState() {
  return z
    .string({ error: 'Enter a URL.' })
    .trim()
    .max(2048, 'Keep the URL under 2048 characters.')
    .transform((value, ctx) => {
      const checked = atlassianTargetUrl(value);
      if (!checked) {
        ctx.addIssue({ code: 'custom', message: 'Enter https://start.atlassian.com or a page of your Atlassian site, such as https://your-company.atlassian.net/jira.' });
        return z.NEVER;
      }
      return checked;
    });
}

/** Atlassian's own list of a user's sites: the default RelayState of IdP-initiated logins (PLATFORM.md). */
export const ATLASSIAN_START_HOST = 'start.atlassian.com';

/**
 * A URL an IdP-initiated login may name as its RelayState, normalized (WHATWG `href`), or
 * undefined: `https:` only, no user name or password, no port, no fragment (not even an empty
 * `#`, which `URL.hash` does not show), no backslash or control character (which parsers
 * disagree about), at most 2048 characters once normalized, and a host that is Atlassian's start
 * page or an Atlassian site. Which site is allowed is `idpInitiatedTarget`'s decision.
 */
export function atlassianTargetUrl(value: string): string | undefined {
  if (/[\u0000-\u0020\u007f\\]/.test(value)) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' || url.username || url.password || url.port || value.includes('#')) return undefined;
  if (url.hostname !== ATLASSIAN_START_HOST && !ATLASSIAN_SITE_HOST.test(url.hostname)) return undefined;
  // Percent-encoding lengthens what it normalizes: the RelayState sent is the normalized form.
  return url.href.length <= 2048 ? url.href : undefined;
}

/** Lower-cases and converts an internationalised domain to its ASCII (punycode) form. */
export function normalizeDomain(domain: string): string | undefined {
  const trimmed = domain.trim().toLowerCase();
  if (!trimmed || trimmed.endsWith('.') || /[\s/@:?#[\]\\]/.test(trimmed)) return undefined;
  try {
    const host = new URL(`http://${trimmed}`).hostname;
    return /^[a-z0-9.-]+$/.test(host) && host.includes('.') ? host : undefined;
  } catch {
    return undefined;
  }
}

/** A calendar day as `YYYY-MM-DD` that exists (no 2026-02-30). */
export function isCalendarDay(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const time = Date.parse(`${value}T00:00:00Z`);
  return Number.isFinite(time) && new Date(time).toISOString().slice(0, 10) === value;
}

function secretExpiryDate() {
  return z
    .string({ error: 'Enter a date as YYYY-MM-DD.' })
    .trim()
    .refine(isCalendarDay, 'Enter the date as YYYY-MM-DD, such as 2027-06-30.');
}

const claimName = z.string().trim().min(1).max(100).regex(/^[A-Za-z0-9_.:-]+$/, 'Use a claim name such as given_name.');

/** The most groups an access rule may list, and the longest group name (Keycloak's full paths are the long ones). */
export const ALLOWED_GROUPS_MAX = 100;
export const GROUP_NAME_MAX = 256;
/** Control and format characters (bidi overrides, zero-width): never meant in a group name, and invisible in the wizard. */
const NOT_IN_GROUP_NAME = /[\p{Cc}\p{Cf}\p{Cs}]/u;

export const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'] as const;

/** The method that signs with the app's own client key (`upstream-oidc/client-key-ring.ts`): no client secret exists. */
export const KEY_AUTH_METHOD = 'private_key_jwt';

export const PROVIDER_PRESETS = ['okta', 'entra', 'google', 'auth0', 'keycloak', 'other'] as const;

const text = (max: number) => z.string().max(max);
const url = text(2048);
const claim = text(100);

/** The table, in the file's order (the order its problems are listed in). */
export const CONFIG_FIELDS = {
  preset: {
    label: 'Identity provider',
    help: 'Shapes the hints below; any OpenID Connect provider works.',
    level: 'provider',
    wizard: { step: 'provider', settings: z.enum(PROVIDER_PRESETS) },
  },
  baseUrl: {
    label: 'Base URL',
    help: 'The public URL of this bridge; the SSO URL, callback and metadata live below it. On Forge it is the web trigger URL and is filled in by the app.',
    readme: 'Public URL of the bridge; the SSO URL, callback and metadata live below it. `https://`, or `http://` on 127.0.0.1/localhost only.',
    file: (options) => urlField(options),
  },
  oidc: {
    label: 'OpenID provider',
    level: 'provider',
    requiredUnless: { field: 'clientSecret', unless: { field: 'clientAuthMethod', value: KEY_AUTH_METHOD }, message: 'Enter the client secret.' },
    fields: {
      issuer: {
        label: 'Issuer URL',
        help: 'The OpenID Connect issuer, such as https://dev-123.okta.com/oauth2/default. Its discovery document must name the same issuer.',
        readme: 'The OIDC issuer, e.g. `https://dev-123.okta.com/oauth2/default`. Its discovery document must name the same issuer. `http://` only on loopback.',
        file: (options) => urlField(options),
        wizard: { step: 'provider', settings: url },
      },
      clientId: {
        label: 'Client ID',
        help: 'The client ID of the web application registered at the provider.',
        readme: 'Client ID of the web application registered at the provider.',
        file: () => z.string().trim().min(1, 'Enter the client ID.').max(500),
        wizard: { step: 'provider', settings: text(500) },
      },
      clientSecret: {
        label: 'Client secret',
        help: 'The client secret of that application. Kept in secret storage; never shown again. Not used with private_key_jwt.',
        readme: 'Its client secret. Never logged, never sent to a browser.',
        // Required unless the client signs with its key (the group's `requiredUnless`).
        file: () => z.string().min(1, 'Enter the client secret.').max(4096).optional(),
        wizard: { step: 'provider' },
        secret: true,
      },
      clientSecretExpiresAt: {
        label: 'Secret expires on',
        help:
          'Optional: the day the client secret expires, as YYYY-MM-DD. Microsoft Entra ID shows it beside the secret when you create one (Certificates & secrets, Expires); ' +
          'the admin page warns from 30 days before, so a new secret is in place before logins fail. Not a secret itself.',
        readme:
          'Optional `YYYY-MM-DD`: the day the client secret expires (Entra ID shows it when the secret is created). Not a secret; *Provider health* warns from 30 days before and says "expired" after.',
        file: () => secretExpiryDate().optional(),
        wizard: { step: 'provider', settings: text(10) },
      },
      scopes: {
        label: 'Scopes',
        help: 'Scopes requested at login. openid is required; email and profile bring the claims Atlassian needs.',
        readme: 'Default `["openid","email","profile"]`; must include `openid`.',
        file: () =>
          z
            .array(z.string().trim().regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/, 'A scope is one word without spaces or quotes.'))
            .default(['openid', 'email', 'profile'])
            .refine((s) => s.includes('openid'), 'The scopes must include openid.'),
        wizard: { step: 'provider', settings: z.array(text(200)).max(50) },
      },
      clientAuthMethod: {
        label: 'Client authentication method',
        help: 'How the bridge authenticates to the token endpoint: client_secret_basic (default), client_secret_post, or private_key_jwt (a key the app makes; no secret).',
        readme: '`client_secret_basic` (default), `client_secret_post`, or `private_key_jwt` (an assertion signed with the app\'s own client key; no secret).',
        file: () => z.enum(CLIENT_AUTH_METHODS).default('client_secret_basic'),
        wizard: { step: 'provider', settings: z.enum(CLIENT_AUTH_METHODS) },
      },
      endpoints: {
        label: 'Endpoints',
        help: "Endpoints for a provider without discovery. When absent they are read from the issuer's .well-known/openid-configuration.",
        readme: '`{authorizationEndpoint, tokenEndpoint, userinfoEndpoint?, jwksUri}` for a provider without discovery.',
        presence: 'optional',
        // Manual mode: all four endpoints or none, so a save never mixes them with older ones.
        atomic: true,
        unknownKeys: 'strip',
        fields: {
          authorizationEndpoint: {
            label: 'Authorization endpoint',
            help: 'Authorization endpoint.',
            file: (options) => urlField(options),
            wizard: { step: 'provider', settings: url },
          },
          tokenEndpoint: {
            label: 'Token endpoint',
            help: 'Token endpoint.',
            file: (options) => urlField(options),
            wizard: { step: 'provider', settings: url },
          },
          userinfoEndpoint: {
            label: 'Userinfo endpoint',
            help: 'Userinfo endpoint.',
            file: (options) => urlField(options).optional(),
            wizard: { step: 'provider', settings: url },
          },
          jwksUri: {
            label: 'JWKS URI',
            help: 'JSON Web Key Set URL.',
            file: (options) => urlField(options),
            wizard: { step: 'provider', settings: url },
          },
        },
      },
    },
  },
  serviceProvider: {
    label: 'Service provider',
    level: 'connection',
    fields: {
      entityId: {
        label: 'SP Entity ID',
        help: 'The SP Entity ID that Atlassian Guard shows, such as https://auth.atlassian.com/saml/<uuid>.',
        readme: 'The SP Entity ID Guard shows (`https://auth.atlassian.com/saml/<uuid>`). AuthnRequests from any other issuer are refused.',
        // An Entity ID is a name, not a place: a URN or http:// one is as good as https://.
        file: (options) => urlField(options, { requireHttps: false }),
        wizard: { step: 'sp-values', settings: url },
      },
      acsUrl: {
        label: 'ACS URL',
        help: 'The ACS URL that Atlassian Guard shows, such as https://auth.atlassian.com/login/callback?connection=saml-<uuid>.',
        readme: 'The ACS URL Guard shows. The response is only ever posted here; a request naming another ACS is refused.',
        file: (options) => urlField(options),
        wizard: { step: 'sp-values', settings: url },
      },
    },
  },
  allowedEmailDomains: {
    label: 'Allowed email domains',
    help: 'Only users whose email is in one of these domains (exactly, not subdomains) may sign in.',
    readme: 'Users whose email domain is exactly one of these may sign in (compared in lower case and punycode).',
    level: 'provider',
    file: () =>
      z
        // Checked per entry (not in a refinement of the whole object, which zod runs only once
        // every other field is valid), so the wizard can report a bad domain on its own.
        .array(
          z.string().superRefine((domain, ctx) => {
            if (!normalizeDomain(domain)) ctx.addIssue({ code: 'custom', message: `"${domain}" is not a domain name such as example.com.` });
          }),
        )
        .min(1, 'List at least one email domain, such as example.com.'),
    wizard: { step: 'users', settings: z.array(text(253)).max(500) },
  },
  idpEntityId: {
    label: 'IdP Entity ID',
    help: 'The IdP Entity ID shown to Atlassian Guard. Default: the metadata URL.',
    readme: 'The IdP Entity ID; default `<baseUrl>/saml/metadata`.',
    file: () => z.string().trim().min(1).max(1024).optional(),
  },
  atlassianSiteUrl: {
    label: 'Atlassian site URL',
    help: "Your Atlassian site, such as https://your-company.atlassian.net: where Try again on a user's error page leads, and the only site a sign-in from a bookmark may land on. Default: https://start.atlassian.com, which lists the user's sites.",
    readme:
      "Where *Try again* on a user's error page starts a new login, and the only site an IdP-initiated login (`idpInitiated`) may land on: your site, `https://<name>.atlassian.net` (or `.jira.com`). Default `https://start.atlassian.com`, which lists the user's sites.",
    level: 'connection',
    file: () => atlassianSiteUrl().optional(),
    wizard: { step: 'sp-values', settings: url },
  },
  idpInitiated: {
    label: 'Sign-in from a bookmark or dashboard tile (IdP-initiated)',
    readme:
      '`{enabled, relayState?}`: sign-in that starts here rather than at Atlassian, at `<baseUrl>/saml/start/<connection>` (a bookmark, an Okta dashboard tile), ending in an unsolicited response (no `InResponseTo`). Off by default. `relayState` is where Atlassian sends the user afterwards: default `https://start.atlassian.com`, or an `https://` URL on the connection\'s own `atlassianSiteUrl` host (no other host, port or user name).',
    level: 'connection',
    presence: 'defaulted',
    fields: {
      enabled: {
        label: 'Allow sign-in from a bookmark or dashboard tile (IdP-initiated)',
        help:
          'Gives this connection a start URL that signs users in at your provider and sends them to Atlassian without Atlassian asking first. ' +
          'Anyone who can sign in at your provider can then send a signed-in response of their own to Atlassian from any page, so turn it on only when you use a bookmark or a dashboard tile.',
        file: () => z.boolean().default(false),
        wizard: { step: 'sp-values', settings: z.boolean() },
      },
      relayState: {
        label: 'Where users land after signing in',
        help: 'Default https://start.atlassian.com (the list of their sites). Or a page of your own Atlassian site (the site URL above), such as https://your-company.atlassian.net/jira/your-work.',
        file: () => idpInitiatedRelayState().optional(),
        wizard: { step: 'sp-values', settings: url },
      },
    },
  },
  nameIdClaim: {
    label: 'NameID claim',
    help:
      'The claim whose value becomes the SAML NameID. Atlassian expects the email address. Another claim must hold an address in an allowed domain ' +
      'and gets every check the email gets; pick only a claim your users cannot change themselves, or a user could rename themselves into another account.',
    readme:
      'Claim that becomes the NameID; default `email` (what Guard expects). Another claim must hold one address in an allowed domain and gets every check the email gets (and `<claim>_verified` where the provider sends it); choose one users cannot edit.',
    level: 'connection',
    file: () => claimName.default('email'),
    wizard: { step: 'users', settings: claim },
  },
  attributeClaims: {
    label: 'Attribute claims',
    help: 'Which OIDC claims become the givenname, surname, display name and stable id attributes.',
    readme: '`{givenName, surname, displayName, stableId}` claim names; defaults `given_name`, `family_name`, `name`, `sub`.',
    level: 'connection',
    presence: 'defaulted',
    fields: {
      givenName: { label: 'Given name claim', file: () => claimName.default('given_name'), wizard: { step: 'users', settings: claim } },
      surname: { label: 'Surname claim', file: () => claimName.default('family_name'), wizard: { step: 'users', settings: claim } },
      displayName: {
        label: 'Display name claim',
        help: 'When the claim is missing, the given name and surname are joined.',
        file: () => claimName.default('name'),
        wizard: { step: 'users', settings: claim },
      },
      stableId: {
        label: 'Stable ID claim',
        help: 'A stable identifier that is not the email (default sub); Guard keeps the account linked when the email changes.',
        file: () => claimName.default('sub'),
        wizard: { step: 'users', settings: claim },
      },
    },
  },
  bindLoginToBrowser: {
    label: 'Bind each login to its browser',
    help: 'Require the return from the provider to arrive in the browser that started the login (checked with a cookie). Turn off only behind a proxy that strips cookies.',
    readme:
      "Bind each login to the browser that started it with a cookie (login CSRF protection); default `true`. `false` turns it off whatever a connection test saw (see *The binding cookie, measured*).",
    file: () => z.boolean().default(true),
  },
  requireVerifiedEmail: {
    label: 'Sign in only users whose provider vouches for their email (email_verified: true)',
    help:
      'Let a user in only when the provider sends email_verified: true (or "true") beside the email, from the same token or userinfo answer that sent it. ' +
      'A missing, false or odd value is refused. Microsoft Entra ID sends no email_verified: add its optional claim xms_edov (read in its place), ' +
      'or turn this off. Turn it off only when every address the provider sends is one your organisation owns and users cannot change: ' +
      'otherwise anyone who can type an address at the provider can sign in to Atlassian as its owner.',
    readme:
      'Let a user in only when the provider sends `email_verified` equal to `true` (or the string `"true"`), taken from the same claim set (ID token or userinfo) that supplied the email; missing, `null`, `0`, `"no"` and the like are refused (`user_email_unverified`). Where no `email_verified` is sent, Entra ID\'s `xms_edov` counts in its place. Applies to a `nameIdClaim` too where the provider sends `<claim>_verified`. Default `true`.',
    level: 'connection',
    file: () => z.boolean().default(true),
    wizard: { step: 'users', settings: z.boolean() },
  },
  allowInternationalEmail: {
    label: 'Allow internationalised email addresses (non-ASCII before the @)',
    help:
      'Off: the part before the @ must be plain ASCII, as every mail system and Atlassian account expects. On: non-ASCII letters are accepted too, ' +
      'when Unicode normalization (NFKC) and case folding leave them unchanged, so one mailbox cannot arrive under two spellings.',
    readme:
      'Accept email local parts beyond plain ASCII (RFC 6531), when NFKC and case folding leave them unchanged; default `false` (ASCII dot-atom only). The domain is always sent in lower case (punycode).',
    level: 'connection',
    file: () => z.boolean().default(false),
    wizard: { step: 'users', settings: z.boolean() },
  },
  groupsClaim: {
    label: 'Groups claim',
    help:
      'The claim that lists the groups a user is in (default groups), checked only when Allowed groups lists any. It must be a JSON array of strings: ' +
      'a missing claim, a single string or an array holding anything else is refused. Taken from the ID token, else from userinfo (as the names are).',
    readme:
      'The claim listing the user\'s groups, default `groups`; read only when `allowedGroups` lists any. It must be a JSON array of strings (a missing claim is `user_groups_missing`, a single string, `null` or an array holding a non-string `user_groups_claim_invalid`). Taken from the ID token, else from userinfo, which the bridge then asks. Entra ID\'s group overage (`_claim_names` naming the claim, or `hasgroups`) is refused as `user_groups_overage`; the `_claim_sources` endpoint is never called.',
    level: 'provider',
    file: () => claimName.default('groups'),
    wizard: { step: 'users', settings: claim },
  },
  allowedGroups: {
    label: 'Allowed groups',
    help:
      'Only users in at least one of these groups may sign in; leave empty to let in everyone the checks above allow. Each name must equal a value of the groups claim exactly: ' +
      'letter case, spaces and a leading / count (Keycloak sends /team with full group paths on, team without). Entra ID sends group object IDs, not names.',
    readme:
      'Let a user in only when the groups claim (`groupsClaim`) lists at least one of these, compared exactly (case-sensitive, no trimming or normalization); refusals are `user_not_in_allowed_group`. At most 100, each 1 to 256 characters with no leading or trailing space or control character. Default `[]`: no group rule.',
    level: 'provider',
    file: () =>
      z
        .array(
          z.string().superRefine((group, ctx) => {
            if (!group || group.length > GROUP_NAME_MAX) ctx.addIssue({ code: 'custom', message: `A group name is 1 to ${GROUP_NAME_MAX} characters.` });
            else if (group.trim() !== group || NOT_IN_GROUP_NAME.test(group)) {
              ctx.addIssue({ code: 'custom', message: `"${group.slice(0, 64)}" starts or ends with a space, or holds a control character: groups are compared exactly.` });
            }
          }),
        )
        .max(ALLOWED_GROUPS_MAX, `List at most ${ALLOWED_GROUPS_MAX} groups.`)
        .default([]),
    wizard: { step: 'users', settings: z.array(text(1024)).max(500) },
  },
  assertionLifetimeSeconds: {
    label: 'Assertion lifetime (seconds)',
    help: 'How long the SAML assertion is valid.',
    readme: 'Default 300.',
    file: () => z.number().int().min(60).max(3600).default(300),
  },
  clockSkewSeconds: {
    label: 'Clock skew (seconds)',
    help: 'How far NotBefore is set back, for clocks that disagree.',
    readme: 'How far NotBefore is set back; default 180.',
    file: () => z.number().int().min(0).max(600).default(180),
  },
  loginTimeoutSeconds: {
    label: 'Login timeout (seconds)',
    help: 'How long a user has to finish signing in at the provider.',
    readme: 'How long a user has to finish at the provider; default 600.',
    file: () => z.number().int().min(60).max(3600).default(600),
  },
  upstreamTimeoutSeconds: {
    label: 'Provider call timeout (seconds)',
    help: "How long to wait for each call to the provider. A cold callback may make up to five calls (discovery, JWKS, token, userinfo, JWKS again), so at most 10 s keeps it inside Forge's 55 s limit.",
    readme:
      "Timeout for each call to the provider, 1 to 10; default 10 (a cold callback makes up to five calls, and Forge's web trigger limit is 55 s).",
    file: () => z.number().int().min(1).max(10).default(10),
  },
} as const satisfies FieldTable;

type Fields = typeof CONFIG_FIELDS;

// The schemas' static types, computed from the table's literal type the way the functions below
// build the schemas at run time.

type ObjectOf<Shape extends z.core.$ZodLooseShape, Strict extends boolean> = z.ZodObject<Shape, Strict extends true ? z.core.$strict : z.core.$strip>;

type FileShape<T> = { -readonly [K in keyof T as [FileOf<T[K]>] extends [never] ? never : K]: FileOf<T[K]> };
type FileOf<N> = N extends { file: (options: ConfigParseOptions) => infer S extends z.ZodType }
  ? S
  : N extends { fields: infer T }
    ? FileWrap<ObjectOf<FileShape<T>, N extends { unknownKeys: 'strip' } ? false : true>, N>
    : never;
type FileWrap<O extends z.ZodType, N> = N extends { presence: 'optional' } ? z.ZodOptional<O> : N extends { presence: 'defaulted' } ? z.ZodPrefault<O> : O;

type SettingsShape<T, Strict extends boolean> = {
  -readonly [K in keyof T as [SettingsOf<T[K], Strict>] extends [never] ? never : K]: SettingsOf<T[K], Strict>;
};
type SettingsOf<N, Strict extends boolean> = N extends { wizard: { settings: infer S extends z.ZodType } }
  ? z.ZodOptional<S>
  : N extends { fields: infer T }
    ? keyof SettingsShape<T, Strict> extends never
      ? never
      : z.ZodOptional<ObjectOf<SettingsShape<T, Strict>, Strict>>
    : never;

/** The configuration file's schema. */
export type FileConfigSchema = ObjectOf<FileShape<Fields>, true>;
/** The wizard's settings schema: `strict` refuses unknown fields, `strip` drops them. */
export type SettingsSchema<Mode extends 'strict' | 'strip'> = ObjectOf<SettingsShape<Fields, Mode extends 'strict' ? true : false>, Mode extends 'strict' ? true : false>;
/** The wizard's settings of one provider of one connection (`AdminSettings`). */
export type WizardSettings = z.output<SettingsSchema<'strict'>>;
export type ProviderPreset = (typeof PROVIDER_PRESETS)[number];

/** The top-level settings a connection keeps at `level`. */
export type SettingsKeyAt<Level extends FieldLevel> = { [K in keyof Fields]: Fields[K] extends { level: Level } ? K : never }[keyof Fields] &
  keyof WizardSettings;

type StepOf<N> = N extends { wizard: { step: infer S } } ? S : N extends { fields: infer T } ? StepOf<T[keyof T]> : never;
/** The top-level settings that step `Step` edits (all of whose fields it edits). */
export type SettingsKeyOfStep<Step extends WizardStep> = {
  [K in keyof Fields]: [StepOf<Fields[K]>] extends [never] ? never : [StepOf<Fields[K]>] extends [Step] ? K : never;
}[keyof Fields] &
  keyof WizardSettings;

/** The configuration file's schema, in the table's order. */
export function fileConfigSchema(options: ConfigParseOptions): FileConfigSchema {
  return fileObject(CONFIG_FIELDS, options, true) as unknown as FileConfigSchema;
}

function fileObject(table: FieldTable, options: ConfigParseOptions, strict: boolean): z.ZodObject {
  const shape: Record<string, z.ZodType> = {};
  for (const [key, node] of Object.entries(table)) {
    const schema = fileSchemaOf(node, options);
    if (schema) shape[key] = schema;
  }
  return strict ? z.strictObject(shape) : z.object(shape);
}

function fileSchemaOf(node: FieldSpec | GroupSpec, options: ConfigParseOptions): z.ZodType | undefined {
  if (!isGroup(node)) return node.file?.(options);
  const fields = fileObject(node.fields, options, node.unknownKeys !== 'strip');
  const rule = node.requiredUnless;
  const object = rule
    ? fields.refine((value) => value[rule.unless.field] === rule.unless.value || value[rule.field] !== undefined, {
        path: [rule.field],
        message: rule.message,
        // Also while other fields have problems: the value is then the input, an object (or the
        // object's own problem is reported and this is skipped).
        when: (payload) => typeof payload.value === 'object' && payload.value !== null,
      })
    : fields;
  return node.presence === 'optional' ? object.optional() : node.presence === 'defaulted' ? object.prefault({}) : object;
}

/**
 * Whether the file must have the field (inside its object, when that is there): it is in the
 * file and its schema refuses its absence (it is neither optional nor defaulted).
 */
export function requiredInFile(node: FieldSpec | GroupSpec): boolean {
  const schema = fileSchemaOf(node, { allowLoopbackHttp: false });
  return schema !== undefined && !schema.safeParse(undefined).success;
}

/**
 * The wizard's settings, every field optional, with the bounds of a partial save. `strict`
 * refuses unknown fields (a request from the browser); `strip` drops them (a stored record,
 * which may carry fields of older versions). Only types and sizes are checked here; what the
 * values mean is the file schema's job.
 */
export function adminSettingsSchema<Mode extends 'strict' | 'strip'>(mode: Mode): SettingsSchema<Mode> {
  return settingsObject(CONFIG_FIELDS, mode === 'strict') as unknown as SettingsSchema<Mode>;
}

function settingsObject(table: FieldTable, strict: boolean): z.ZodObject {
  const shape: Record<string, z.ZodType> = {};
  for (const [key, node] of Object.entries(table)) {
    if (!isGroup(node)) {
      if (node.wizard?.settings) shape[key] = node.wizard.settings.optional();
      continue;
    }
    const object = settingsObject(node.fields, strict);
    if (Object.keys(object.shape).length) shape[key] = object.optional();
  }
  return strict ? z.strictObject(shape) : z.object(shape);
}

/**
 * What an atomic group (`GroupSpec.atomic`) keeps of a value: its entries that are neither
 * undefined nor empty, or nothing when none is left.
 */
export function atomicValue(value: unknown): Record<string, unknown> | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const kept = Object.entries(value).filter(([, inner]) => inner !== undefined && inner !== '');
  return kept.length ? Object.fromEntries(kept) : undefined;
}

/** One field or group of the table, flattened. */
export interface ConfigFieldEntry {
  /** Dotted path, as in the file and in problems: `oidc.endpoints.jwksUri`. */
  path: string;
  node: FieldSpec | GroupSpec;
}

/** Every field and group of the table, each group before its fields. */
export function configFieldEntries(): ConfigFieldEntry[] {
  const out: ConfigFieldEntry[] = [];
  const walk = (table: FieldTable, prefix: string) => {
    for (const [key, node] of Object.entries(table)) {
      const path = prefix ? `${prefix}.${key}` : key;
      out.push({ path, node });
      if (isGroup(node)) walk(node.fields, path);
    }
  };
  walk(CONFIG_FIELDS, '');
  return out;
}

/** The step that edits a field, or the one step of every field of a group. */
function stepOf(node: FieldSpec | GroupSpec): WizardStep | undefined {
  if (!isGroup(node)) return node.wizard?.step;
  const steps = new Set(Object.values(node.fields).map(stepOf));
  return steps.size === 1 ? [...steps][0] : undefined;
}

/** The top-level settings that `step` edits, as a mask for the settings schema's `pick`. */
export function settingsMaskOfStep<Step extends WizardStep>(step: Step): Record<SettingsKeyOfStep<Step>, true> {
  return maskOf(Object.entries(CONFIG_FIELDS).flatMap(([key, node]) => (stepOf(node) === step ? [key as SettingsKeyOfStep<Step>] : [])));
}

function maskOf<K extends string>(keys: K[]): Record<K, true> {
  return Object.fromEntries(keys.map((key) => [key, true])) as Record<K, true>;
}

/** Field help by dotted path, for the wizard (`fieldHelp`). */
export function describeConfigFields(): Record<string, string> {
  return Object.fromEntries(configFieldEntries().flatMap(({ path, node }) => (node.help ? [[path, node.help]] : [])));
}

/** What the wizard shows of each field, by dotted path (`ConfigGetResponse.fields`). */
export function configFieldInfo(): Record<string, ConfigFieldInfo> {
  return Object.fromEntries(
    configFieldEntries().map(({ path, node }) => {
      const step = stepOf(node);
      const info: ConfigFieldInfo = { label: node.label, ...(node.help ? { help: node.help } : {}), ...(step ? { step } : {}), secret: !isGroup(node) && node.secret === true };
      return [path, info];
    }),
  );
}

/** Each top-level setting of the wizard and where a connection keeps it, in the table's order. */
export function storedSettings(): [keyof WizardSettings, FieldLevel][] {
  return Object.entries(CONFIG_FIELDS).flatMap(([key, node]) => {
    const level = (node as FieldMeta).level;
    return level ? [[key as keyof WizardSettings, level]] : [];
  });
}

/** The top-level settings a connection keeps at `level`, as a mask for the settings schema's `pick`. */
export function settingsMaskAt<Level extends FieldLevel>(level: Level): Record<SettingsKeyAt<Level>, true> {
  return maskOf(storedSettings().flatMap(([key, at]) => (at === level ? [key as SettingsKeyAt<Level>] : [])));
}
