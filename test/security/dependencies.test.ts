import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Dependency hygiene (PLATFORM.md §4): every copy of the XML-security and OIDC libraries in the
 * lockfile, direct or nested, production or dev, is at or past the fix of the advisories the
 * bridge's design depends on, and the installed tree matches the lockfile. A lockfile change
 * that brings an affected version back fails here, before any advisory database is asked.
 * `npm audit --omit=dev` runs too when BRIDGE_NPM_AUDIT=1 (it needs the registry's audit API).
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
  lockfileVersion: number;
  packages: Record<string, { version?: string; dev?: boolean }>;
};
const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };

type Version = [number, number, number, string];

function parse(version: string): Version {
  const match = /^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?/.exec(version);
  if (!match) throw new TypeError(`not a version: ${version}`);
  return [Number(match[1]), Number(match[2]), Number(match[3]), match[4] ?? ''];
}

/** a < b, with a pre-release below its release (enough for the ranges below). */
function lessThan(a: string, b: string): boolean {
  const [x, y] = [parse(a), parse(b)];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return (x[i] as number) < (y[i] as number);
  if (x[3] === y[3]) return false;
  if (!x[3]) return false;
  if (!y[3]) return true;
  return x[3] < y[3];
}

/** An advisory: the versions it affects, as [from, to) ranges (from inclusive, to exclusive). */
interface Advisory {
  id: string;
  affected: [string, string][];
}

/** The advisories PLATFORM.md §4 names, and the SP library the tests verify against. */
const ADVISORIES: Record<string, Advisory[]> = {
  samlify: [{ id: 'CVE-2025-47949 (signature wrapping)', affected: [['0.0.0', '2.10.0']] }],
  'xml-crypto': [
    {
      id: 'CVE-2025-29774 / CVE-2025-29775 (signature bypass)',
      affected: [
        ['0.0.0', '2.1.6'],
        ['3.0.0', '3.2.1'],
        ['4.0.0', '6.0.1'],
      ],
    },
  ],
  '@xmldom/xmldom': [
    {
      id: 'CVE-2022-39353 (several root elements)',
      affected: [
        ['0.0.0', '0.7.7'],
        ['0.8.0', '0.8.4'],
        ['0.9.0-beta.1', '0.9.0-beta.4'],
      ],
    },
  ],
  // The unscoped package is abandoned and affected in every version.
  xmldom: [{ id: 'CVE-2022-39353 (unscoped xmldom, unmaintained)', affected: [['0.0.0', '999.0.0']] }],
  '@node-saml/node-saml': [{ id: 'CVE-2025-54369 / CVE-2025-54419 (signature wrapping)', affected: [['0.0.0', '5.1.0']] }],
  'node-forge': [{ id: 'CVE-2025-12816 (ASN.1 validation bypass)', affected: [['0.0.0', '1.3.2']] }],
};

/** Every copy of `name` in the lockfile: its path and version. */
function copiesOf(name: string): { at: string; version: string; dev: boolean }[] {
  return Object.entries(lock.packages)
    .filter(([at]) => at === `node_modules/${name}` || at.endsWith(`/node_modules/${name}`))
    .map(([at, entry]) => ({ at, version: entry.version!, dev: entry.dev === true }));
}

function affectedBy(version: string, advisory: Advisory): boolean {
  return advisory.affected.some(([from, to]) => !lessThan(version, from) && lessThan(version, to));
}

describe('dependency hygiene', () => {
  it('reads a lockfile v3 with the packages section', () => {
    expect(lock.lockfileVersion).toBe(3);
    expect(Object.keys(lock.packages).length).toBeGreaterThan(100);
  });

  for (const [name, advisories] of Object.entries(ADVISORIES)) {
    it(`has no copy of ${name} in an affected version`, () => {
      const affected = copiesOf(name).flatMap((copy) =>
        advisories.filter((advisory) => affectedBy(copy.version, advisory)).map((advisory) => `${copy.at}@${copy.version}${copy.dev ? ' (dev)' : ''}: ${advisory.id}`),
      );
      expect(affected).toEqual([]);
    });
  }

  it('keeps samlify, xml-crypto, @xmldom/xmldom and openid-client at or past the floors package.json asks for', () => {
    for (const name of ['samlify', 'xml-crypto', '@xmldom/xmldom', 'openid-client']) {
      const floor = manifest.dependencies[name]!.replace(/^[\^~>=]+/, '');
      const copy = copiesOf(name).find((c) => c.at === `node_modules/${name}`)!;
      expect({ name, below: lessThan(copy.version, floor) }).toEqual({ name, below: false });
    }
    // openid-client 6 (on oauth4webapi) is the line whose checks the bridge relies on (and tests).
    expect(parse(copiesOf('openid-client')[0]!.version)[0]).toBe(6);
  });

  it('has installed exactly the versions the lockfile pins for these packages', () => {
    for (const name of ['samlify', 'xml-crypto', '@xmldom/xmldom', 'openid-client', 'oauth4webapi', '@node-saml/node-saml', 'node-forge', 'libxml2-wasm']) {
      for (const copy of copiesOf(name)) {
        const installed = JSON.parse(fs.readFileSync(path.join(ROOT, copy.at, 'package.json'), 'utf8')) as { version: string };
        expect(`${copy.at}@${installed.version}`).toBe(`${copy.at}@${copy.version}`);
      }
    }
  });

  it('would notice an affected version (the check itself works)', () => {
    expect(affectedBy('2.9.9', ADVISORIES.samlify![0]!)).toBe(true);
    expect(affectedBy('2.10.0', ADVISORIES.samlify![0]!)).toBe(false);
    expect(affectedBy('6.0.0', ADVISORIES['xml-crypto']![0]!)).toBe(true);
    expect(affectedBy('3.2.0', ADVISORIES['xml-crypto']![0]!)).toBe(true);
    expect(affectedBy('2.1.6', ADVISORIES['xml-crypto']![0]!)).toBe(false);
    expect(affectedBy('0.8.3', ADVISORIES['@xmldom/xmldom']![0]!)).toBe(true);
    expect(affectedBy('0.9.0-beta.3', ADVISORIES['@xmldom/xmldom']![0]!)).toBe(true);
    expect(affectedBy('0.9.0', ADVISORIES['@xmldom/xmldom']![0]!)).toBe(false);
  });

  (process.env.BRIDGE_NPM_AUDIT === '1' ? it : it.skip)(
    'npm audit --omit=dev reports no high or critical advisory (BRIDGE_NPM_AUDIT=1)',
    () => {
      let output: string;
      try {
        output = execFileSync('npm', ['audit', '--omit=dev', '--json'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      } catch (error) {
        // npm audit exits non-zero when it finds anything; the JSON is still on stdout.
        output = (error as { stdout?: string }).stdout ?? '';
      }
      const report = JSON.parse(output) as { metadata?: { vulnerabilities?: Record<string, number> } };
      const counts = report.metadata?.vulnerabilities;
      expect(counts).toBeDefined();
      expect({ high: counts!.high, critical: counts!.critical }).toEqual({ high: 0, critical: 0 });
    },
    120_000,
  );
});
