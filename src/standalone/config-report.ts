import type { ConfigProblem } from '../core/config.js';

/**
 * What the standalone server prints about a configuration file it cannot use. The file holds
 * the client secret, and startup output ends up in logs others read: a report names the path of
 * each problem and never repeats a value of the file (JSON.parse's message quotes the text
 * around the error; a field's message may quote the value it refused).
 */

/** The file's text as JSON, or a message with the line and column of the error but none of the text. */
export function parseConfigText(text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    const position = /position (\d+)/.exec((error as Error).message)?.[1];
    const where = position === undefined ? '' : ` at ${lineAndColumn(text, Number(position))}`;
    return { ok: false, message: `is not valid JSON${where} (the text is not repeated here: the file holds the client secret).` };
  }
}

function lineAndColumn(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `line ${before.length}, column ${before.at(-1)!.length + 1}`;
}

/** One line per problem: its path and message, with every string value of the file taken out. */
export function configProblemLines(problems: readonly ConfigProblem[], raw: unknown): string[] {
  const values = [...stringValues(raw)].filter((value) => value.trim() !== '').sort((a, b) => b.length - a.length);
  return problems.map((problem) => {
    let message = problem.message;
    // Quoted, any value goes; bare, only one long enough not to be an ordinary word of the message.
    for (const value of values) {
      message = message.split(`"${value}"`).join('"…"');
      if (value.length >= 8) message = message.split(value).join('…');
    }
    return `  - ${problem.path || '(root)'}: ${message}`;
  });
}

function* stringValues(value: unknown, depth = 0): Generator<string> {
  if (depth > 20) return;
  if (typeof value === 'string') yield value;
  else if (Array.isArray(value)) for (const inner of value) yield* stringValues(inner, depth + 1);
  else if (value !== null && typeof value === 'object') for (const inner of Object.values(value)) yield* stringValues(inner, depth + 1);
}
