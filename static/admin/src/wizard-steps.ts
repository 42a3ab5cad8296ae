import type { WizardStep } from '../../../src/core/admin/admin-api-types.ts';

export interface StepInfo {
  id: WizardStep;
  title: string;
  /** One line under the title in the step list. */
  summary: string;
  /**
   * The step is about one provider of the connection (its issuer and client, its test, its
   * allowed domains), so it shows which one and lets the admin pick another.
   */
  perProvider?: true;
}

export const STEPS: readonly StepInfo[] = [
  { id: 'overview', title: 'Overview', summary: 'What is set up, what is missing, whether SSO is live.' },
  { id: 'callback', title: 'Callback URL', summary: 'Register the bridge at your OpenID provider.' },
  { id: 'provider', title: 'OIDC provider', summary: 'Issuer, client ID and secret.', perProvider: true },
  { id: 'test', title: 'Test the connection', summary: 'A real sign-in, nothing sent to Atlassian.', perProvider: true },
  { id: 'idp-values', title: 'Values for Atlassian Guard', summary: 'Entity ID, SSO URL, certificate.' },
  { id: 'sp-values', title: 'Values from Atlassian Guard', summary: 'SP Entity ID and ACS URL.' },
  { id: 'users', title: 'Users and attributes', summary: 'NameID, names, allowed domains.', perProvider: true },
  { id: 'enforce', title: 'Enforce in Atlassian Guard', summary: 'Link the domain, test, enforce.' },
];

export function stepInfo(id: WizardStep): StepInfo {
  return STEPS.find((s) => s.id === id) ?? STEPS[0]!;
}

export function stepNumber(id: WizardStep): number {
  return STEPS.findIndex((s) => s.id === id) + 1;
}

export function nextStepAfter(id: WizardStep): WizardStep | undefined {
  const index = STEPS.findIndex((s) => s.id === id);
  return STEPS[index + 1]?.id;
}

/** Which step edits a config path, so the overview can send the admin to it. */
export function stepForPath(path: string): WizardStep {
  if (path.startsWith('oidc') || path === 'preset') return 'provider';
  if (path.startsWith('serviceProvider')) return 'sp-values';
  if (path.startsWith('allowedEmailDomains') || path.startsWith('nameIdClaim') || path.startsWith('attributeClaims') || path.startsWith('requireVerifiedEmail') || path.startsWith('allowInternationalEmail')) {
    return 'users';
  }
  return 'overview';
}

const STEP_IDS = new Set<string>(STEPS.map((s) => s.id));

export function isWizardStep(value: unknown): value is WizardStep {
  return typeof value === 'string' && STEP_IDS.has(value);
}
