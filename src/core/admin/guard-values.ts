import type { AdminSettings } from './admin-api-types.js';

/**
 * Which of the values Guard shows (or the app's own) a pasted SP value is. Guard shows two:
 * its SP Entity ID `https://auth.atlassian.com/saml/<uuid>` and its ACS URL
 * `https://auth.atlassian.com/login/callback?connection=saml-<uuid>` (see PLATFORM.md). Pasted
 * into each other's field, or replaced by this app's own metadata or SSO URL, they used to be
 * saved; every login then failed with "Unknown service provider".
 */
type Shape = 'guard-entity-id' | 'guard-acs-url' | 'own-url' | 'other';

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const GUARD_ENTITY_ID = new RegExp(`^https://auth\\.atlassian\\.com/saml/${UUID}/?$`, 'i');
const GUARD_ACS_URL = new RegExp(`^https://auth\\.atlassian\\.com/login/callback\\?connection=saml-${UUID}$`, 'i');

export function shapeOf(value: string | undefined, baseUrl: string): Shape {
  const text = value?.trim() ?? '';
  if (GUARD_ENTITY_ID.test(text)) return 'guard-entity-id';
  if (GUARD_ACS_URL.test(text)) return 'guard-acs-url';
  const base = baseUrl.replace(/\/+$/, '');
  if (base && (text === base || text.startsWith(`${base}/`))) return 'own-url';
  return 'other';
}

export interface GuardValueProblem {
  path: 'serviceProvider.entityId' | 'serviceProvider.acsUrl';
  message: string;
}

const OWN_URL = "is this app's own address (its metadata or single sign-on URL), which goes into Guard, not here.";

function problemsOf(entityId: string | undefined, acsUrl: string | undefined, baseUrl: string): GuardValueProblem[] {
  const problems: GuardValueProblem[] = [];
  const entity = shapeOf(entityId, baseUrl);
  const acs = shapeOf(acsUrl, baseUrl);
  if (entity === 'guard-acs-url') {
    problems.push({
      path: 'serviceProvider.entityId',
      message: "This is Guard's ACS URL (…/login/callback?connection=saml-…), pasted into SP Entity ID. The SP Entity ID is the one like https://auth.atlassian.com/saml/<uuid>.",
    });
  } else if (entity === 'own-url') {
    problems.push({ path: 'serviceProvider.entityId', message: `This ${OWN_URL} Copy the SP Entity ID Guard shows, such as https://auth.atlassian.com/saml/<uuid>.` });
  }
  if (acs === 'guard-entity-id') {
    problems.push({
      path: 'serviceProvider.acsUrl',
      message: "This is Guard's SP Entity ID (…/saml/<uuid>), pasted into ACS URL. The ACS URL is the one like https://auth.atlassian.com/login/callback?connection=saml-<uuid>.",
    });
  } else if (acs === 'own-url') {
    problems.push({ path: 'serviceProvider.acsUrl', message: `This ${OWN_URL} Copy the ACS URL Guard shows, such as https://auth.atlassian.com/login/callback?connection=saml-<uuid>.` });
  }
  return problems;
}

/**
 * The problems of the SP values as Guard's shapes tell them, and whether swapping the two
 * fields would clear them all (the wizard then offers "Swap them").
 */
export function guardValueProblems(settings: AdminSettings, baseUrl: string): { problems: GuardValueProblem[]; swappable: boolean } {
  const { entityId, acsUrl } = settings.serviceProvider ?? {};
  const problems = problemsOf(entityId, acsUrl, baseUrl);
  const swappable = problems.length > 0 && problemsOf(acsUrl, entityId, baseUrl).length === 0 && shapeOf(acsUrl, baseUrl) !== 'own-url';
  return { problems, swappable };
}
