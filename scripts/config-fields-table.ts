/**
 * The README's table of configuration fields, generated from the field table
 * (`src/core/config-fields.ts`) between the `config-fields` marker comments. Run directly
 * (`npm run docs:config-fields`), it rewrites README.md; with `--print`, it prints the table.
 * test/unit/config-fields.test.ts fails while README.md differs from it.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configFieldEntries, requiredInFile } from '../src/core/config-fields.js';

export const README = fileURLToPath(new URL('../README.md', import.meta.url));
const START = '<!-- config-fields:start -->';
const END = '<!-- config-fields:end -->';

/** One row per field or group with a README text, in the table's order. */
export function configFieldsTable(): string {
  const rows = configFieldEntries().flatMap(({ path, node }) =>
    node.readme ? [`| \`${path}\` | ${requiredInFile(node) ? 'yes' : 'no'} | ${node.readme.replaceAll('|', '\\|')} |`] : [],
  );
  return ['| field | required | meaning |', '|---|---|---|', ...rows].join('\n');
}

/** `readme` with the text between the markers replaced by the generated table. */
export function withConfigFieldsTable(readme: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${START} … ${END} section`);
  return `${readme.slice(0, start + START.length)}\n${configFieldsTable()}\n${readme.slice(end)}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--print')) console.log(configFieldsTable());
  else fs.writeFileSync(README, withConfigFieldsTable(fs.readFileSync(README, 'utf8')));
}
