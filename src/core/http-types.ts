/**
 * The host-neutral shape of an HTTP exchange. Each adapter translates its own request type
 * (a Forge web-trigger payload, a Node `IncomingMessage`) into a `BridgeRequest` and writes the
 * `BridgeResponse` back; it decides nothing.
 */
export interface BridgeRequest {
  method: string;
  /** Path below the bridge's base URL, such as `/saml/sso`; no query string. */
  path: string;
  /** Query parameters; a parameter may repeat, which the core treats as hostile. */
  query: Record<string, string[]>;
  /** Header names in lower case; repeated headers keep every value. */
  headers: Record<string, string[]>;
  /** The raw request body (form posts arrive as `application/x-www-form-urlencoded`). */
  body: string;
}

export interface BridgeResponse {
  status: number;
  /** Every header but `Set-Cookie`. */
  headers: Record<string, string>;
  /** `Set-Cookie` values, each sent as a header of its own. */
  cookies?: string[];
  body: string;
}

/** Collects a `URLSearchParams` into the multi-valued record shape used above. */
export function toMultiValueRecord(params: URLSearchParams): Record<string, string[]> {
  // A Map, then own properties: a parameter named `__proto__` or `constructor` stays an
  // ordinary key instead of reaching Object.prototype.
  const collected = new Map<string, string[]>();
  for (const [name, value] of params) {
    const values = collected.get(name);
    if (values) values.push(value);
    else collected.set(name, [value]);
  }
  return Object.fromEntries(collected);
}
