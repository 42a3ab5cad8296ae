import type { FieldProblem } from '../../../src/core/admin/admin-api-types.ts';

export type LeveledProblem = FieldProblem & { level: 'error' | 'warning' };

/**
 * The browser's own first look at a pasted SP value, before the server's authoritative check:
 * it must be an absolute https URL (http only on this machine, for local trials); one that
 * does not look like Atlassian's gets a warning, not an error, since proxies and tests exist.
 */
export function checkSpUrl(path: 'serviceProvider.entityId' | 'serviceProvider.acsUrl', value: string): LeveledProblem[] {
  const text = value.trim();
  if (!text) return [];
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return [{ path, level: 'error', message: 'Enter an absolute URL, starting with https://.' }];
  }
  const loopback = url.hostname === 'localhost' || url.hostname === '127.0.0.1' || url.hostname === '[::1]';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    return [{ path, level: 'error', message: 'Use an https:// URL.' }];
  }
  const atlassian = url.hostname === 'auth.atlassian.com';
  if (path === 'serviceProvider.entityId' && !(atlassian && url.pathname.startsWith('/saml/'))) {
    return [{ path, level: 'warning', message: 'Atlassian’s SP Entity ID looks like https://auth.atlassian.com/saml/<id>.' }];
  }
  if (path === 'serviceProvider.acsUrl' && !(atlassian && url.pathname === '/login/callback' && url.searchParams.get('connection')?.startsWith('saml-'))) {
    return [{ path, level: 'warning', message: 'Atlassian’s ACS URL looks like https://auth.atlassian.com/login/callback?connection=saml-<id>.' }];
  }
  return [];
}
