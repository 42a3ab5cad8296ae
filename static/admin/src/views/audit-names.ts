import type { ConnectionSummary } from '../../../../src/core/admin/admin-api-types.ts';
import { fieldName } from '../components/problems.tsx';

/**
 * The names the audit trail shows for the ids it stores. Records outlive what they name: a
 * deleted connection or provider shows by its id.
 */
export interface AuditNames {
  connection(connectionId: string | undefined): string;
  provider(connectionId: string | undefined, providerId: string | undefined): string;
  /** A changed field as a person reads it: `providers.<id>.oidc.issuer` → `Subsidiary: Issuer URL`. */
  field(connectionId: string | undefined, path: string): string;
}

/** Fields of a provider whose wizard label would read oddly after the provider's name. */
const PROVIDER_FIELDS: Record<string, string> = { name: 'Name', preset: 'Provider type' };

export function auditNames(connections: readonly ConnectionSummary[]): AuditNames {
  const byId = new Map(connections.map((c) => [c.id, c]));
  const provider = (connectionId: string | undefined, providerId: string | undefined): string => {
    if (!providerId) return '';
    const found = connectionId ? byId.get(connectionId)?.providers.find((p) => p.id === providerId) : undefined;
    return found?.name ?? `${providerId} (removed)`;
  };
  return {
    connection: (connectionId) => {
      if (!connectionId) return '';
      return byId.get(connectionId)?.name ?? `${connectionId} (deleted)`;
    },
    provider,
    field: (connectionId, path) => {
      if (path === '*') return 'Everything';
      if (path === 'name') return 'Name';
      if (path.startsWith('owners.')) return `Owner ${path.slice('owners.'.length)}`;
      const match = /^providers\.([^.]+)(?:\.(.+))?$/.exec(path);
      if (!match) return fieldName(path);
      const [, providerId, rest] = match;
      const name = provider(connectionId, providerId);
      if (!rest) return name;
      return `${name}: ${PROVIDER_FIELDS[rest] ?? fieldName(rest)}`;
    },
  };
}

/** What a change record's action did, in words. */
const ACTIONS: Record<string, string> = {
  'connection.create': 'Added connection',
  'connection.rename': 'Renamed connection',
  'connection.update': 'Changed settings',
  'connection.draft-update': 'Changed the draft',
  'connection.apply': 'Applied the tested draft',
  'connection.apply-untested': 'Applied the draft UNTESTED (typed confirmation)',
  'connection.draft-discard': 'Discarded the draft',
  'connection.delete': 'Deleted connection',
  'provider.create': 'Added provider',
  'provider.rename': 'Renamed provider',
  'provider.delete': 'Removed provider',
  'rollout.update': 'Changed rollout checklist',
  'owners.first': 'Became the first SSO owner',
  'owners.add': 'Added SSO owner',
  'owners.remove': 'Removed SSO owner',
  'ownership.request': 'Requested ownership',
  'ownership.cancel': 'Cancelled ownership request',
  'ownership.granted': 'Ownership request took effect',
  'certificate.prepare': 'Prepared the next signing certificate',
  'certificate.activate': 'Switched signing to the next certificate',
  'certificate.undo': 'Undid the signing certificate switch',
  'certificate.discard-next': 'Discarded the next signing certificate',
  'backup.export': 'Exported a backup (no secrets)',
  'backup.export-sealed': 'Exported a backup WITH secrets (passphrase-protected)',
  'backup.import': 'Imported a backup as a draft',
  'client-key.create': 'Made the provider’s client key (private_key_jwt)',
  'client-key.prepare': 'Prepared the next client key',
  'client-key.activate': 'Switched to the next client key',
  'client-key.undo': 'Undid the client key switch',
  'client-key.discard-next': 'Discarded the next client key',
};

export function actionName(action: string | undefined): string {
  return (action && ACTIONS[action]) ?? action ?? '';
}
