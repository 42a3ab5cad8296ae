import { ATLASSIAN_START_HOST, atlassianTargetUrl } from '../../config-fields.js';
import { DEFAULT_ATLASSIAN_START_URL } from '../../errors.js';

/** Why a target was refused; for the log and the admin's field message, never the user's page. */
export type IdpTargetRefusal = 'not_atlassian_url' | 'foreign_site' | 'no_site' | 'path_invalid';

export type IdpTargetResult = { ok: true; relayState: string } | { ok: false; reason: IdpTargetRefusal };

/**
 * The RelayState of an IdP-initiated login: where Atlassian sends the user once signed in. The
 * bridge names it itself (no service provider asked), so it must not become an open redirect
 * through Atlassian: it is Atlassian's start page (the default), or a page of the connection's
 * own site (`atlassianSiteUrl`), compared by exact host, with no user name, port or fragment.
 *
 * `requestedPath` is the start URL's optional `target` parameter: only a path, resolved against
 * the connection's own site and checked again after resolution (so `//evil.example` or
 * `/\evil.example` cannot leave the site). Checked at the save (`config-save.ts`) and again when
 * each login starts, since a stored value may predate a change of the site URL.
 */
export function idpInitiatedTarget(setting: { relayState?: string | undefined; siteUrl?: string | undefined }, requestedPath?: string): IdpTargetResult {
  const siteHost = hostOfSite(setting.siteUrl);
  if (requestedPath !== undefined) {
    if (!siteHost) return { ok: false, reason: 'no_site' };
    // A path of the site, not a scheme-relative URL nor one a parser may read as a host; none of
    // the characters URL parsers drop or rewrite (so what is checked is what was asked for).
    if (!/^\/(?![/\\])/.test(requestedPath) || /[\u0000-\u0020\u007f\\#]/.test(requestedPath)) return { ok: false, reason: 'path_invalid' };
    let resolved: string | undefined;
    try {
      resolved = atlassianTargetUrl(new URL(requestedPath, `https://${siteHost}`).href);
    } catch {
      resolved = undefined;
    }
    // A path-absolute string (one "/", no backslash) resolves against the base's host: the
    // result is on the site (WHATWG URL, "path-absolute-URL string"); the schema's rules still apply.
    return resolved ? { ok: true, relayState: resolved } : { ok: false, reason: 'path_invalid' };
  }
  const configured = setting.relayState?.trim() || undefined;
  if (configured === undefined || configured === DEFAULT_ATLASSIAN_START_URL) return { ok: true, relayState: DEFAULT_ATLASSIAN_START_URL };
  const normalized = atlassianTargetUrl(configured);
  if (!normalized) return { ok: false, reason: 'not_atlassian_url' };
  const host = new URL(normalized).hostname;
  if (host === ATLASSIAN_START_HOST) return { ok: true, relayState: normalized };
  if (!siteHost) return { ok: false, reason: 'no_site' };
  return host === siteHost ? { ok: true, relayState: normalized } : { ok: false, reason: 'foreign_site' };
}

/** The host of a connection's site URL, when it is one (the file schema normalized it; a raw wizard value may not be). */
function hostOfSite(siteUrl: string | undefined): string | undefined {
  const trimmed = siteUrl?.trim();
  if (!trimmed) return undefined;
  const normalized = atlassianTargetUrl(trimmed);
  if (!normalized) return undefined;
  const host = new URL(normalized).hostname;
  return host === ATLASSIAN_START_HOST ? undefined : host;
}

/** What the admin reads beside the field when a save is refused. */
export const IDP_TARGET_MESSAGES: Record<IdpTargetRefusal, string> = {
  not_atlassian_url: 'Enter https://start.atlassian.com or a page of your Atlassian site, such as https://your-company.atlassian.net/jira.',
  foreign_site: 'This page is not on your Atlassian site (the site URL above). Only https://start.atlassian.com or a page of that site is allowed.',
  no_site: 'Enter your Atlassian site URL above first: only pages of that site (or https://start.atlassian.com) are allowed.',
  path_invalid: 'Only a path of your Atlassian site is allowed.',
};
