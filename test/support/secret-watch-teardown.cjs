'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { findLeaks } = require('./secret-scan.cjs');

/**
 * Jest globalTeardown of the secret watch: every line logged by any test file is checked
 * against every secret seen on the wire by any test file (and for PEM private keys). A leak
 * fails the run, naming the test file, the source of the line and the kind of secret, never
 * the secret itself.
 */
module.exports = async function secretWatchTeardown() {
  const dir = process.env.BRIDGE_SECRET_WATCH_DIR;
  if (!dir || !fs.existsSync(dir)) return;
  const lines = [];
  const secrets = [];
  let files = 0;
  for (const name of fs.readdirSync(dir)) {
    const record = JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8'));
    files += 1;
    const file = path.relative(process.cwd(), record.testPath ?? name);
    for (const { source, line } of record.lines) lines.push({ source: `${file} (${source})`, line });
    secrets.push(...record.secrets);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  const leaks = findLeaks(lines, secrets);
  const kinds = [...new Set(secrets.map((s) => s.kind))].sort().join(', ');
  if (leaks.length) {
    const report = leaks.slice(0, 20).map((leak) => `  - ${leak.what} in ${leak.source}`).join('\n');
    throw new Error(`Secret watch: ${leaks.length} secret(s) in the logs of this run:\n${report}`);
  }
  console.log(`Secret watch: ${lines.length} log lines from ${files} test files checked against ${new Set(secrets.map((s) => s.value)).size} secrets (${kinds}) and PEM private keys: none leaked.`);
};
