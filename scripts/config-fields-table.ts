/**
 * The README's table of configuration fields, generated from the field table
 * (`src/core/config-fields.ts`) between the `config-fields` marker comments. Run directly
 * (`npm run docs:config-fields`), it rewrites README.md; with `--print`, it prints the table.
 * test/unit/config-fields.test.ts fails while README.md differs from it.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { configFieldEntries, isGroup, requiredInFile, type ConfigFieldEntry } from '../src/core/config-fields.js';

export const README = fileURLToPath(new URL('../README.md', import.meta.url));
const START = '<!-- config-fields:start -->';
const END = '<!-- config-fields:end -->';

/** One row per field or group with a README text, in the table's order. */
export function configFieldsTable(): string {
  const entries = configFieldEntries();
  const rows = entries.flatMap(({ path, node }) =>
    node.readme ? [`| \`${path}\` | ${requiredColumn(entries, path, requiredInFile(node))} | ${node.readme.replaceAll('|', '\\|')} |`] : [],
  );
  return ['| field | required | meaning |', '|---|---|---|', ...rows].join('\n');
}

/** `yes`, `no`, or when the field's group requires it unless another field has a value, which. */
function requiredColumn(entries: ConfigFieldEntry[], path: string, required: boolean): string {
  if (required) return 'yes';
  const groupPath = path.split('.').slice(0, -1).join('.');
  const group = entries.find((entry) => entry.path === groupPath)?.node;
  const rule = group && isGroup(group) ? group.requiredUnless : undefined;
  return rule && `${groupPath}.${rule.field}` === path ? `yes, unless \`${groupPath}.${rule.unless.field}\` is \`${rule.unless.value}\`` : 'no';
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
