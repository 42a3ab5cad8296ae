import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AuditTrail } from '../../src/core/audit/audit-trail.js';
import type { Clock } from '../../src/core/ports.js';
import { EntityAuditTrail } from '../../src/forge/entity-audit-trail.js';
import { SqliteAuditTrail } from '../../src/standalone/sqlite-audit-trail.js';
import { SqliteStore } from '../../src/standalone/sqlite-store.js';
import { installForgeKvsTransport, type ForgeKvsTransport } from './forge-kvs-transport.js';
import { manifestEntities } from './manifest-entities.js';
import { MemoryAuditTrail } from './memory-audit-trail.js';

/**
 * Every implementation of the `AuditTrail` port, built the same way for the contract suite and
 * the benchmark: in memory, on SQLite in a temporary directory, and on Forge custom entities
 * through the real `@forge/kvs` SDK, served by the fake Forge storage service with the
 * entities that manifest.yml declares (so the code can only use indexes the app deploys).
 */

export interface AuditTrailHarness {
  trail: AuditTrail;
  /** The store underneath, for the implementation's own tests. */
  sqlite?: SqliteAuditTrail;
  transport?: ForgeKvsTransport;
  close(): void;
}

export type AuditTrailFactory = (clock: Clock) => Promise<AuditTrailHarness>;

export const auditTrailFactories: [string, AuditTrailFactory][] = [
  ['memory', async (clock) => ({ trail: new MemoryAuditTrail(clock), close: () => undefined })],
  [
    'SQLite',
    async (clock) => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-trail-'));
      const store = new SqliteStore(clock, { dataDir });
      const sqlite = new SqliteAuditTrail(clock, { db: store.database });
      return {
        trail: sqlite,
        sqlite,
        close: () => {
          store.close();
          fs.rmSync(dataDir, { recursive: true, force: true });
        },
      };
    },
  ],
  [
    'Forge custom entities (real SDK, fake service)',
    async (clock) => {
      const transport = installForgeKvsTransport({ now: () => clock.now(), entities: manifestEntities() });
      return { trail: new EntityAuditTrail(clock), transport, close: () => transport.uninstall() };
    },
  ],
];
