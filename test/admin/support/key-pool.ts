import { beforeAll } from '@jest/globals';
import type { AdminContext } from '../../../src/core/admin/admin-context.js';
import { createSigningKey, type SigningKey } from '../../../src/core/key-ring/key-pair.js';
import { memoryAdmin } from './memory-ports.js';

/**
 * RSA keys made once per test file (a 2048-bit key takes a while), and an installation whose
 * rings draw from them in turn: the certificate and client key resolver tests rotate many times.
 */
export function keyPool(size: number): { pool: SigningKey[]; installation(): ReturnType<typeof pooledInstallation> } {
  const pool: SigningKey[] = [];
  beforeAll(async () => {
    for (let i = 0; i < size; i += 1) pool.push(await createSigningKey({ now: () => Date.parse('2030-01-01T00:00:00Z') }, 'bridge.example.net'));
  }, 60_000);
  return { pool, installation: () => pooledInstallation(pool) };
}

function pooledInstallation(pool: SigningKey[]) {
  let drawn = 0;
  const admin = memoryAdmin({ actor: 'owner-a', createSigningKey: async () => pool[drawn++ % pool.length]! });
  const as = (actor: string): AdminContext => ({ ...admin.ctx, actor });
  return { admin, as, owner: as('owner-a') };
}
