import { z } from 'zod';
import type { ErrorsExplainResponse } from './admin-api-types.js';
import { parsePayload, type AdminAnswer, type AdminContext } from './admin-context.js';
import { PASTED_ERROR_MAX_CHARS, recogniseAtlassianError } from './atlassian-errors.js';
import { PASTED_CERTIFICATE_MAX_CHARS, runConnectionChecks, type ConnectionFacts } from './connection-checks.js';
import { loadSetupState, targetFields } from './setup-state.js';
import { previewClaims, readLastTest, userSettingsConfig } from './users-preview.js';

const requestSchema = z.strictObject({
  ...targetFields,
  text: z
    .string()
    .max(PASTED_ERROR_MAX_CHARS, `Paste at most ${PASTED_ERROR_MAX_CHARS} characters: the address of Atlassian's error page, or its message.`)
    .refine((text) => text.trim() !== '', 'Paste the address of Atlassian\'s error page, or its message.'),
  guardCertificate: z.string().max(PASTED_CERTIFICATE_MAX_CHARS, `A certificate is at most ${PASTED_CERTIFICATE_MAX_CHARS} characters.`).optional(),
  browserTime: z.number().int().min(0).max(8.64e15).optional(),
});

/**
 * `errors/explain`: an Atlassian login error an admin pasted (the error page's URL or message),
 * with its likely causes from the table (`atlassian-errors.ts`), each checked against this
 * connection where it can be (`connection-checks.ts`): the applied user settings, this admin's
 * last connection test, the active signing certificate, the rollout checklist. It reads and
 * changes nothing else, so every admin may call it and nothing is recorded.
 */
export async function errorsExplain(ctx: AdminContext, payload: unknown): Promise<AdminAnswer<ErrorsExplainResponse>> {
  const parsed = parsePayload(requestSchema, payload);
  if (!parsed.ok) return parsed.refusal;
  const { text, guardCertificate, browserTime } = parsed.value;
  const recognised = recogniseAtlassianError(text);
  const state = await loadSetupState(ctx, parsed.value);
  // What users sign in with: the applied settings, whatever a draft holds.
  const settings = state.applied.settings;
  const [credentials, last] = await Promise.all([ctx.signingCredentials(state.connectionId), readLastTest(ctx, state)]);
  const { checked, checksDomains } = userSettingsConfig(ctx, state, settings);
  // The complete applied configuration, else the same user settings with placeholders for the
  // rest; only settings the wizard would refuse leave neither, and then the field table's defaults stand.
  const applied = state.applied.evaluation.ok ? state.applied.evaluation.config : checked.ok ? checked.config : undefined;
  const now = ctx.ports.clock.now();
  const facts: ConnectionFacts = {
    now,
    nameIdClaim: applied?.nameIdClaim ?? settings.nameIdClaim ?? 'email',
    stableIdClaim: applied?.attributeClaims.stableId ?? settings.attributeClaims?.stableId ?? 'sub',
    timing: { clockSkewSeconds: applied?.clockSkewSeconds ?? 180, assertionLifetimeSeconds: applied?.assertionLifetimeSeconds ?? 300 },
    checksDomains,
    activeCertificatePem: credentials.certificatePem,
    rollout: state.rollout,
    ...(last ? { lastTest: { finishedAt: last.finishedAt, claims: last.claims, mapped: previewClaims(ctx, state, settings, last.claims) } } : {}),
    ...(guardCertificate !== undefined ? { guardCertificate } : {}),
    ...(browserTime !== undefined ? { browserTime } : {}),
  };
  return {
    recognised: recognised.entries.some((entry) => entry.id !== 'not_recognised'),
    pasted: recognised.pasted,
    explanations: recognised.entries.map((entry) => ({
      id: entry.id,
      title: entry.title,
      causes: [...entry.causes],
      checks: runConnectionChecks(entry.checks, facts),
      nextStep: entry.nextStep,
      ...(entry.learnMore ? { learnMore: entry.learnMore } : {}),
    })),
    bridgeTime: new Date(now).toISOString(),
  };
}
