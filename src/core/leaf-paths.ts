/**
 * The dotted paths of an object's values, each with its JSON: plain objects are walked, arrays
 * and the paths named in `whole` (an atomic group such as `oidc.endpoints`) count as one value.
 * The changed fields the audit trail records and the draft banner names are the paths whose
 * value differs (`changedLeafPaths`): names only, never values.
 */
export function leafValues(value: unknown, options: { prefix?: string; whole?: ReadonlySet<string>; into?: Map<string, string> } = {}): Map<string, string> {
  const out = options.into ?? new Map<string, string>();
  const walk = (inner: unknown, path: string) => {
    if (inner !== null && typeof inner === 'object' && !Array.isArray(inner) && !options.whole?.has(path)) {
      for (const [key, child] of Object.entries(inner)) walk(child, path ? `${path}.${key}` : key);
    } else if (inner !== undefined) {
      out.set(path, JSON.stringify(inner));
    }
  };
  walk(value, options.prefix ?? '');
  return out;
}

/** The paths whose value differs between two `leafValues` maps (present in one only included), sorted. */
export function changedLeafPaths(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): string[] {
  return [...new Set([...a.keys(), ...b.keys()])].filter((path) => a.get(path) !== b.get(path)).sort();
}
