/**
 * A value from the network made safe for one log field: at most `max` characters, with control
 * characters (line breaks, ESC, C1, bidi overrides) written as `\u{..}` escapes so a hostile
 * value cannot forge a log line or recolour a terminal. Quoted, so an empty or padded value shows.
 */
export function loggableValue(value: string, max = 200): string {
  const cut = value.length > max ? `${value.slice(0, max)}…(${value.length} chars)` : value;
  // eslint-disable-next-line no-control-regex
  const escaped = cut.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069"\\]/g, (c) =>
    c === '"' || c === '\\' ? `\\${c}` : `\\u{${c.codePointAt(0)!.toString(16)}}`,
  );
  return `"${escaped}"`;
}
