'use strict';
/**
 * The check behind the secret watch (test/support/secret-watch.ts): does any captured log line
 * hold a secret? Plain JavaScript so Jest's globalTeardown can load it without a transform.
 *
 * A secret is looked for as itself, URL-encoded, and (for a JWT) each of its payload and
 * signature segments alone, so a token cut in half or an encoded copy still counts. Any PEM
 * private key block counts, whatever its key. Leaks are reported without the secret's value.
 */

const PEM_PRIVATE_KEY = /-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----/;
/** Shorter values are too likely to appear by chance. */
const MIN_SECRET_LENGTH = 10;

/** The strings whose presence in a line means `secret` leaked. */
function fragmentsOf(secret) {
  const fragments = new Set([secret, encodeURIComponent(secret)]);
  const parts = secret.split('.');
  if (parts.length === 3 && parts.every((part) => /^[A-Za-z0-9_-]+$/.test(part))) {
    for (const part of parts.slice(1)) if (part.length >= 16) fragments.add(part);
  }
  return [...fragments].filter((fragment) => fragment.length >= MIN_SECRET_LENGTH);
}

/** What a secret is, for the report, without its value. */
function describe(secret) {
  return `${secret.kind} (${secret.value.length} chars, starts ${JSON.stringify(secret.value.slice(0, 3))}…)`;
}

/**
 * @param {{ source: string, line: string }[]} lines
 * @param {{ kind: string, value: string }[]} secrets
 * @returns {{ source: string, what: string, at: number }[]}
 */
function findLeaks(lines, secrets) {
  const unique = new Map();
  for (const secret of secrets) if (secret.value.length >= MIN_SECRET_LENGTH && !unique.has(secret.value)) unique.set(secret.value, secret);
  const checks = [...unique.values()].map((secret) => ({ secret, fragments: fragmentsOf(secret.value) }));
  const leaks = [];
  for (const { source, line } of lines) {
    if (PEM_PRIVATE_KEY.test(line)) leaks.push({ source, what: 'a PEM private key', at: line.search(PEM_PRIVATE_KEY) });
    for (const { secret, fragments } of checks) {
      const fragment = fragments.find((f) => line.includes(f));
      if (fragment) leaks.push({ source, what: describe(secret), at: line.indexOf(fragment) });
    }
  }
  return leaks;
}

module.exports = { findLeaks, PEM_PRIVATE_KEY, MIN_SECRET_LENGTH };
