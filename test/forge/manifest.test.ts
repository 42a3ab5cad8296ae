import { describe, expect, it } from '@jest/globals';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { validate } from '@forge/manifest';
import { AUDIT_ENTITY, AUDIT_ENTITY_INDEXES } from '../../src/forge/entity-audit-trail.js';
import { manifestEntities } from '../support/manifest-entities.js';

const MANIFEST = fileURLToPath(new URL('../../manifest.yml', import.meta.url));

describe('manifest.yml', () => {
  it('passes the Forge CLI validators with no errors and no warnings', async () => {
    const result = await validate(false, MANIFEST);
    const problems = (result.errors ?? []).map(({ level, message, line }) => ({ level, message, line }));
    expect(problems).toEqual([]);
    expect(result.success).toBe(true);
  });

  it('declares the web trigger whose URL is pasted into Guard and the provider, in its final form', () => {
    const text = readFileSync(MANIFEST, 'utf8');
    expect(text).toMatch(/- key: bridge\n\s+function: bridge-trigger\n\s+response:\n\s+type: dynamic\n\s+urlFormat: v2/);
    expect(text).toMatch(/runtime:\n\s+name: nodejs22\.x/);
  });

  it('declares the audit entity with exactly the indexes the Forge audit trail queries', async () => {
    const [entity, ...others] = manifestEntities();
    expect(others).toEqual([]);
    expect(entity!.name).toBe(AUDIT_ENTITY);
    expect(entity!.attributes).toEqual({
      timeKey: { type: 'string' },
      kind: { type: 'string' },
      outcome: { type: 'string' },
      email: { type: 'string' },
      connectionId: { type: 'string' },
      record: { type: 'any' },
    });
    const expected = Object.values(AUDIT_ENTITY_INDEXES).map(({ name, partition }) => ({ name, ...(partition ? { partition: [partition] } : {}), range: ['timeKey'] }));
    expect(entity!.indexes).toEqual(expect.arrayContaining(expected));
    expect(entity!.indexes).toHaveLength(expected.length);
  });
});
