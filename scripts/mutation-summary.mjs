// The mutation score over every report in reports/mutation/ (a whole run's `mutation.json`, or the
// parts run side by side with STRYKER_PART, `mutation-<part>.json`), per file and in all, with the
// survivors listed. Where two reports hold the same file, the newer report counts.
//
//   node scripts/mutation-summary.mjs [reports/mutation]
//
// Score as Stryker computes it: detected (killed or timed out) over detected, survived and not
// covered; mutants the TypeScript checker rejected, and ignored ones, are not counted.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? 'reports/mutation';
const reports = readdirSync(dir)
  .filter((name) => /^mutation(-[\w-]+)?\.json$/.test(name))
  .map((name) => ({ name, at: statSync(join(dir, name)).mtimeMs }))
  .sort((a, b) => a.at - b.at);

/** file → { report, mutants, source } from the newest report that holds it. */
const files = new Map();
for (const { name } of reports) {
  const report = JSON.parse(readFileSync(join(dir, name), 'utf8'));
  for (const [file, entry] of Object.entries(report.files)) files.set(file, { report: name, mutants: entry.mutants, source: entry.source });
}

const DETECTED = new Set(['Killed', 'Timeout']);
const UNDETECTED = new Set(['Survived', 'NoCoverage']);
const total = { detected: 0, timedOut: 0, undetected: 0 };
const rows = [];
const survivors = [];
for (const [file, { report, mutants, source }] of [...files].sort()) {
  const lines = source.split('\n');
  const count = { detected: 0, timedOut: 0, undetected: 0 };
  for (const mutant of mutants) {
    if (DETECTED.has(mutant.status)) count.detected += 1;
    if (mutant.status === 'Timeout') count.timedOut += 1;
    if (UNDETECTED.has(mutant.status)) {
      count.undetected += 1;
      const line = mutant.location.start.line;
      survivors.push(`${file}:${line} ${mutant.status} ${mutant.mutatorName} → ${JSON.stringify(mutant.replacement ?? '').slice(0, 60)}  | ${lines[line - 1].trim().slice(0, 90)}`);
    }
  }
  total.detected += count.detected;
  total.timedOut += count.timedOut;
  total.undetected += count.undetected;
  rows.push({ file, report, ...count });
}

const score = ({ detected, undetected }) => (detected + undetected ? ((100 * detected) / (detected + undetected)).toFixed(2) : 'n/a');
for (const row of rows) console.log(`${score(row).padStart(7)} %  ${String(row.detected + row.undetected).padStart(4)} mutants  ${String(row.undetected).padStart(3)} undetected  ${row.file}  (${row.report})`);
console.log(`${score(total).padStart(7)} %  ${total.detected + total.undetected} mutants, ${total.undetected} undetected, ${total.timedOut} detected by a timeout: all files`);
if (survivors.length) console.log(`\nUndetected:\n${survivors.join('\n')}`);
