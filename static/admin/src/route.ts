import type { ConnectionTarget, WizardStep } from '../../../src/core/admin/admin-api-types.ts';
import { isWizardStep } from './wizard-steps.ts';

/**
 * Where the admin is, kept in the URL hash so that a reload (or a link sent to another admin)
 * opens the same page, connection, provider and step: `#<step>`, `#connections`, `#activity`, `#owners` or `#troubleshoot`,
 * then `?connection=<id>&provider=<id>` once there is more than one to choose from. The first
 * release's `#<step>` still opens that step of the only connection.
 */

export type AdminPage = 'wizard' | 'connections' | 'activity' | 'owners' | 'troubleshoot';

export interface Route extends ConnectionTarget {
  page: AdminPage;
  /** The wizard's step; none yet: where the setup of the connection stopped. */
  step?: WizardStep;
}

const PAGES: readonly AdminPage[] = ['connections', 'activity', 'owners', 'troubleshoot'];

export function parseRoute(hash: string): Route {
  const [head = '', query = ''] = hash.replace(/^#/, '').split('?', 2);
  const name = safeDecode(head);
  const params = new URLSearchParams(query);
  const target: ConnectionTarget = {
    ...(params.get('connection') ? { connectionId: params.get('connection')! } : {}),
    ...(params.get('provider') ? { providerId: params.get('provider')! } : {}),
  };
  if ((PAGES as string[]).includes(name)) return { page: name as AdminPage, ...target };
  return { page: 'wizard', ...(isWizardStep(name) ? { step: name } : {}), ...target };
}

/**
 * The hash of a route. `withTarget` false (an installation with one connection of one provider)
 * leaves the ids out, so the hash stays the first release's `#<step>`.
 */
export function routeHash(route: Route, withTarget: boolean): string {
  const head = route.page === 'wizard' ? (route.step ?? '') : route.page;
  const params = new URLSearchParams();
  if (withTarget && route.connectionId) params.set('connection', route.connectionId);
  if (withTarget && route.providerId) params.set('provider', route.providerId);
  const query = params.toString();
  return `#${head}${query ? `?${query}` : ''}`;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return '';
  }
}
