import { describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { moduleReferences } from '../support/module-references.js';

/**
 * The two protocol halves meet only at the neutral user (`core/authenticated-user.ts`): the
 * OIDC half knows no SAML, the SAML half no OIDC, and the SAML half builds its assertion from the
 * neutral user alone, never from the provider's claims. Nothing in the portable core imports a
 * host (`src/forge`, `src/standalone`) or a platform package.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function sources(folder: string): string[] {
  return fs
    .readdirSync(path.join(ROOT, folder), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => path.join(folder, file));
}

/** Where each import of `file` points, as a path relative to the project root (packages as they are). */
function targets(file: string): string[] {
  return moduleReferences(file).map((reference) =>
    reference.specifier.startsWith('.') ? path.relative(ROOT, path.resolve(ROOT, path.dirname(file), reference.specifier)) : reference.specifier,
  );
}

describe('the layers of the core', () => {
  it('keeps the OIDC half free of SAML and the SAML half free of OIDC', () => {
    const crossings = [
      ...sources('src/upstream-oidc').flatMap((file) => targets(file).filter((t) => t.startsWith('src/downstream-saml')).map((t) => `${file} → ${t}`)),
      ...sources('src/downstream-saml').flatMap((file) => targets(file).filter((t) => t.startsWith('src/upstream-oidc') || t === 'openid-client').map((t) => `${file} → ${t}`)),
    ];
    expect(crossings).toEqual([]);
  });

  it('builds the SAML subject from the neutral user, not from the provider\'s claims', () => {
    const subject = fs.readFileSync(path.join(ROOT, 'src/downstream-saml/saml-subject.ts'), 'utf8');
    expect(subject).not.toMatch(/\.claims\b/);
    expect(targets('src/core/authenticated-user.ts')).toEqual([]);
  });

  it('keeps the portable core free of hosts and platform packages', () => {
    const forbidden = (target: string) => target.startsWith('src/forge') || target.startsWith('src/standalone') || target.startsWith('dev/') || /^@forge\//.test(target) || target === 'better-sqlite3';
    const found = ['src/core', 'src/upstream-oidc', 'src/downstream-saml'].flatMap(sources).flatMap((file) => targets(file).filter(forbidden).map((t) => `${file} → ${t}`));
    expect(found).toEqual([]);
  });
});
