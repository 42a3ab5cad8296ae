import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { EntityDefinition } from './forge-kvs-transport.js';

/**
 * The project's manifest. `FORGE_MANIFEST` names it for code that runs from elsewhere (the Forge
 * bundle host is compiled into node_modules/.cache, where this module's own URL points).
 */
const MANIFEST = process.env.FORGE_MANIFEST ?? fileURLToPath(new URL('../../manifest.yml', import.meta.url));

let declared: EntityDefinition[] | undefined;

/**
 * The custom entities manifest.yml declares (`app.storage.entities`), as Forge creates them at
 * deploy: the KVS stand-in holds exactly these, so the code can use only indexes the app
 * deploys. (test/forge/manifest.test.ts validates the manifest with Forge's own schema.)
 */
export function manifestEntities(): EntityDefinition[] {
  if (!declared) {
    const manifest = parse(fs.readFileSync(MANIFEST, 'utf8')) as { app?: { storage?: { entities?: EntityDefinition[] } } };
    const entities = manifest.app?.storage?.entities;
    if (!entities?.length) throw new Error('manifest.yml declares no app.storage.entities');
    declared = entities;
  }
  return declared;
}
