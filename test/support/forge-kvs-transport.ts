/**
 * An in-memory stand-in for the Forge KVS service, installed where the real `@forge/kvs` SDK
 * sends its requests: `global.__forge_fetch__({ type: 'kvs', ... }, path, init)`.
 *
 * It speaks the SDK's wire protocol (read from `@forge/kvs/out/storage-api.js` and its tests):
 * every call is `POST` with a JSON body, answered with JSON, `204` without a body, or an error
 * `{ code, message }` with an HTTP status, which the SDK turns into `ForgeKvsAPIError`.
 *
 * | path                     | body                                   | answer                                    |
 * |--------------------------|----------------------------------------|-------------------------------------------|
 * | `/api/v1/get`            | `{ key, options? }`                    | 200 `{ key, value, createdAt, updatedAt, expireTime? }`, 404 `KEY_NOT_FOUND` |
 * | `/api/v1/set`            | `{ key, value, options? }`             | 204; 200 `{ key, value, ... }` with `returnValue` (204 when `PREVIOUS` finds nothing); 409 `KEY_CONFLICT` for `FAIL_IF_EXISTS` on an existing key |
 * | `/api/v1/delete`         | `{ key }`                              | 204, 404 `KEY_NOT_FOUND`                  |
 * | `/api/v1/secret/{get,set,delete}` | as above, in a separate namespace | as above                                 |
 * | `/api/v1/transaction`    | `{ set?: [...], delete?: [...] }`      | 204, all or nothing                       |
 * | `/api/v1/batch/{get,set,delete}` | `[{ key, ... }]`               | 200 `{ successfulKeys, failedKeys }`      |
 * | `/api/v1/entity/{get,set,delete}` | as above, with `entityName`   | as above, per entity (see below)          |
 * | `/api/v1/entity/query`   | `{ entityName, indexName, partition?, range?, filters?, sort?, cursor?, limit? }` | 200 `{ data: [{ key, value, ... }], cursor? }` |
 *
 * Custom entities (`kvs.entity(name)`) exist only as declared (`entities`, in the form of
 * manifest.yml's `app.storage.entities`): a value is an object of declared attributes with
 * their declared types; an index is one declared (or the implicit `by-key`), its `partition`
 * must give one value per partition attribute, and it holds only the entities that have every
 * attribute it names (sparse, as a DynamoDB index). A query reads the index in `range` order
 * (ascending unless `sort: 'DESC'`; ties by key), applies `range` to the range attribute, reads
 * at most `limit` entities (1 to 100, default 10), and only then applies `filters`: a page may
 * come back short, even empty, with a `cursor` to the rest. The service does not document
 * whether its limit counts before or after the filters; this is the harder case for a caller.
 * The cursor is a position in the index (after the last entity read), so writes between pages
 * neither repeat nor skip an entity that stays.
 *
 * Like the real service it keeps serving a value after its TTL (Forge documents up to 48 hours)
 * until `purgeExpired()` is called, so the callers' own expiry checks are exercised.
 * Other request types (`fpp`, `tpp`) go to the optional `other` handler.
 */

export interface StoredEntry {
  value: unknown;
  createdAt: number;
  updatedAt: number;
  /** Epoch ms after which the service may drop the entry (it still serves it until purged). */
  expireAt?: number;
}

export type ForgeFetchTarget = { type: string; provider?: string; remote?: string; accountId?: string };
export type ForgeFetch = (target: ForgeFetchTarget, path: string, init?: RequestInit) => Promise<Response>;

export type FailureKind = 'read' | 'write';

/** A custom entity as manifest.yml declares it under `app.storage.entities`. */
export interface EntityDefinition {
  name: string;
  attributes: Record<string, { type: string }>;
  indexes?: (string | { name: string; partition?: string[]; range: string[] })[];
}

export interface ForgeKvsTransport {
  /** Plain KVS entries by key. */
  readonly data: Map<string, StoredEntry>;
  /** Custom entities by entity name, then by key. */
  readonly entities: Map<string, Map<string, StoredEntry>>;
  /** Secret entries (`kvs.setSecret`) by key, kept apart as the service does. */
  readonly secrets: Map<string, StoredEntry>;
  /** Every request the SDK sent, in order. */
  readonly requests: { path: string; body: unknown }[];
  /**
   * Makes the next `times` reads (get, batch get) or writes (set, delete, transaction, batch
   * set/delete) fail with `500 INTERNAL_SERVER_ERROR`; `null` clears pending failures.
   */
  fail(next: FailureKind | null, times?: number): void;
  /** Drops every entry whose TTL has passed, as the service's clean-up eventually does. */
  purgeExpired(): void;
  uninstall(): void;
}

export interface ForgeKvsTransportOptions {
  /** The service's clock (for TTLs and timestamps). Default `Date.now`. */
  now?: () => number;
  /** Serves every `__forge_fetch__` call that is not for KVS (product and remote requests). */
  other?: ForgeFetch;
  /** The custom entities the app declares (manifest.yml `app.storage.entities`); none by default. */
  entities?: EntityDefinition[];
}

type ForgeGlobal = typeof globalThis & { __forge_fetch__?: ForgeFetch };

const KEY_PATTERN = /^(?!\s+$)[a-zA-Z0-9:._\s-#]+$/;
const MAX_KEY_LENGTH = 500;
const MAX_VALUE_BYTES = 240 * 1024;
const MAX_SECRET_BYTES = 128 * 1024;
const MAX_DEPTH = 32;
const TTL_UNIT_MS = { SECONDS: 1_000, MINUTES: 60_000, HOURS: 3_600_000, DAYS: 86_400_000 } as const;

class ServiceError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', 'x-trace-id': 'forge-kvs-transport' },
  });
}

function noContent(): Response {
  return new Response(null, { status: 204, headers: { 'x-trace-id': 'forge-kvs-transport' } });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function depth(value: unknown): number {
  if (Array.isArray(value)) return 1 + Math.max(0, ...value.map(depth));
  if (isRecord(value)) return 1 + Math.max(0, ...Object.values(value).map(depth));
  return 0;
}

function checkKey(key: unknown): string {
  if (typeof key !== 'string' || key.length === 0) throw new ServiceError(400, 'KEY_TOO_SHORT', 'Key cannot be empty');
  if (key.length > MAX_KEY_LENGTH) throw new ServiceError(400, 'KEY_TOO_LONG', 'Key is longer than 500 characters');
  if (!KEY_PATTERN.test(key)) throw new ServiceError(400, 'INVALID_KEY', 'Key does not match the allowed pattern');
  return key;
}

function checkValue(value: unknown, maxBytes: number): unknown {
  const type = typeof value;
  if (value === undefined || value === null || !['string', 'number', 'boolean', 'object'].includes(type)) {
    throw new ServiceError(400, 'BAD_REQUEST', 'Value must be a string, number, boolean, array or object');
  }
  if (Buffer.byteLength(JSON.stringify(value)) > maxBytes) throw new ServiceError(400, 'MAX_SIZE', 'Value is too large');
  if (depth(value) > MAX_DEPTH) throw new ServiceError(400, 'MAX_DEPTH', 'Value is nested too deeply');
  return structuredClone(value);
}

function ttlMs(ttl: unknown): number | undefined {
  if (ttl === undefined) return undefined;
  if (!isRecord(ttl) || !(typeof ttl.unit === 'string' && ttl.unit in TTL_UNIT_MS)) {
    throw new ServiceError(400, 'BAD_REQUEST', 'Invalid TTL unit');
  }
  const value = ttl.value;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new ServiceError(400, 'BAD_REQUEST', 'TTL value must be a positive integer');
  }
  return value * TTL_UNIT_MS[ttl.unit as keyof typeof TTL_UNIT_MS];
}

/** The item shape the service returns, with the metadata the SDK may ask for. */
function itemOf(key: string, entry: StoredEntry) {
  return {
    key,
    value: structuredClone(entry.value),
    createdAt: entry.createdAt,
    updatedAt: entry.updatedAt,
    ...(entry.expireAt !== undefined ? { expireTime: new Date(entry.expireAt).toISOString() } : {}),
  };
}

const READS = new Set(['/api/v1/get', '/api/v1/secret/get', '/api/v1/batch/get', '/api/v1/entity/get', '/api/v1/entity/query']);

const QUERY_LIMIT_DEFAULT = 10;
const QUERY_LIMIT_MAX = 100;
const INT32 = 2 ** 31;

interface EntityIndex {
  partition: string[];
  range: string;
}

/** The indexes of an entity by name: the declared ones and the implicit `by-key`. */
function indexesOf(definition: EntityDefinition): Map<string, EntityIndex> {
  const indexes = new Map<string, EntityIndex>([['by-key', { partition: [], range: 'key' }]]);
  for (const index of definition.indexes ?? []) {
    if (typeof index === 'string') indexes.set(index, { partition: [], range: index });
    else indexes.set(index.name, { partition: index.partition ?? [], range: index.range[0]! });
  }
  return indexes;
}

function checkAttribute(name: string, type: string, value: unknown): void {
  const ok =
    type === 'any' ||
    (type === 'string' && typeof value === 'string') ||
    (type === 'boolean' && typeof value === 'boolean') ||
    (type === 'integer' && Number.isInteger(value) && (value as number) >= -INT32 && (value as number) < INT32) ||
    (type === 'float' && typeof value === 'number' && Number.isFinite(value));
  if (!ok) throw new ServiceError(400, 'INVALID_ATTRIBUTE_VALUE', `Attribute ${name} is not of type ${type}`);
}

/** Order of two attribute values of one index: numbers by value, strings by code unit. */
function compareValues(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function sameType(a: unknown, b: unknown): boolean {
  return typeof a === typeof b && (typeof a === 'string' || typeof a === 'number');
}

/** One condition (`{ condition, values }`) of a range or a filter, applied to one value. */
function meets(value: unknown, clause: Record<string, unknown>): boolean {
  const values = Array.isArray(clause.values) ? clause.values : [];
  const [first, second] = values;
  const present = value !== undefined;
  switch (clause.condition) {
    case 'EXISTS':
      return present;
    case 'NOT_EXISTS':
      return !present;
    case 'EQUAL_TO':
      return present && value === first;
    case 'NOT_EQUAL_TO':
      return value !== first;
    case 'BEGINS_WITH':
      return typeof value === 'string' && typeof first === 'string' && value.startsWith(first);
    case 'CONTAINS':
      return typeof value === 'string' && typeof first === 'string' && value.includes(first);
    case 'NOT_CONTAINS':
      return !(typeof value === 'string' && typeof first === 'string' && value.includes(first));
    case 'BETWEEN':
      return sameType(value, first) && sameType(value, second) && compareValues(value, first) >= 0 && compareValues(value, second) <= 0;
    case 'GREATER_THAN':
      return sameType(value, first) && compareValues(value, first) > 0;
    case 'GREATER_THAN_EQUAL_TO':
      return sameType(value, first) && compareValues(value, first) >= 0;
    case 'LESS_THAN':
      return sameType(value, first) && compareValues(value, first) < 0;
    case 'LESS_THAN_EQUAL_TO':
      return sameType(value, first) && compareValues(value, first) <= 0;
    default:
      throw new ServiceError(400, 'INVALID_CONDITION', `Unknown condition ${String(clause.condition)}`);
  }
}

const RANGE_CONDITIONS = new Set(['BEGINS_WITH', 'BETWEEN', 'EQUAL_TO', 'GREATER_THAN', 'GREATER_THAN_EQUAL_TO', 'LESS_THAN', 'LESS_THAN_EQUAL_TO']);

function encodeCursor(position: [unknown, string]): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

function decodeCursor(cursor: unknown): [unknown, string] {
  try {
    const position = JSON.parse(Buffer.from(String(cursor), 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(position) && position.length === 2 && typeof position[1] === 'string') return position as [unknown, string];
  } catch {
    // answered below
  }
  throw new ServiceError(400, 'INVALID_CURSOR', 'The cursor is not valid');
}

export function installForgeKvsTransport(options: ForgeKvsTransportOptions = {}): ForgeKvsTransport {
  const now = options.now ?? Date.now;
  const data = new Map<string, StoredEntry>();
  const secrets = new Map<string, StoredEntry>();
  const definitions = new Map((options.entities ?? []).map((definition) => [definition.name, definition]));
  const entities = new Map((options.entities ?? []).map((definition) => [definition.name, new Map<string, StoredEntry>()]));
  const requests: { path: string; body: unknown }[] = [];
  const pending: Record<FailureKind, number> = { read: 0, write: 0 };
  const global = globalThis as ForgeGlobal;
  const previous = global.__forge_fetch__;

  const write = (store: Map<string, StoredEntry>, key: string, value: unknown, ttl: number | undefined) => {
    const at = now();
    const existing = store.get(key);
    store.set(key, {
      value,
      createdAt: existing?.createdAt ?? at,
      updatedAt: at,
      ...(ttl !== undefined ? { expireAt: at + ttl } : {}),
    });
  };

  function get(store: Map<string, StoredEntry>, body: Record<string, unknown>): Response {
    const key = checkKey(body.key);
    const entry = store.get(key);
    if (!entry) throw new ServiceError(404, 'KEY_NOT_FOUND', 'Provided key does not exist');
    return json(200, itemOf(key, entry));
  }

  function set(store: Map<string, StoredEntry>, body: Record<string, unknown>, maxBytes: number): Response {
    const key = checkKey(body.key);
    const value = checkValue(body.value, maxBytes);
    const opts = isRecord(body.options) ? body.options : {};
    const ttl = ttlMs(opts.ttl);
    const keyPolicy = opts.keyPolicy ?? 'OVERRIDE';
    if (keyPolicy !== 'OVERRIDE' && keyPolicy !== 'FAIL_IF_EXISTS') throw new ServiceError(400, 'BAD_REQUEST', 'Invalid key policy');
    const returnValue = opts.returnValue;
    if (returnValue !== undefined && (keyPolicy !== 'OVERRIDE' || (returnValue !== 'PREVIOUS' && returnValue !== 'LATEST'))) {
      throw new ServiceError(400, 'BAD_REQUEST', 'returnValue needs keyPolicy OVERRIDE and PREVIOUS or LATEST');
    }
    const existing = store.get(key);
    // An entry past its TTL but not yet purged still exists for the service.
    if (keyPolicy === 'FAIL_IF_EXISTS' && existing) throw new ServiceError(409, 'KEY_CONFLICT', 'Key already exists');
    write(store, key, value, ttl);
    if (returnValue === 'PREVIOUS') return existing ? json(200, itemOf(key, existing)) : noContent();
    if (returnValue === 'LATEST') return json(200, itemOf(key, store.get(key)!));
    return noContent();
  }

  function remove(store: Map<string, StoredEntry>, body: Record<string, unknown>): Response {
    const key = checkKey(body.key);
    if (!store.delete(key)) throw new ServiceError(404, 'KEY_NOT_FOUND', 'Provided key does not exist');
    return noContent();
  }

  function transaction(body: Record<string, unknown>): Response {
    const sets = Array.isArray(body.set) ? body.set : [];
    const deletes = Array.isArray(body.delete) ? body.delete : [];
    if (body.check !== undefined) throw new ServiceError(400, 'BAD_REQUEST', 'Entity checks are not supported here');
    if (sets.length + deletes.length === 0 || sets.length + deletes.length > 25) {
      throw new ServiceError(400, 'BAD_REQUEST', 'A transaction holds 1 to 25 operations');
    }
    // Validate everything first so the transaction applies all or nothing.
    const writes = sets.map((item: unknown) => {
      if (!isRecord(item) || item.entityName !== undefined) throw new ServiceError(400, 'BAD_REQUEST', 'Only plain keys are supported here');
      const opts = isRecord(item.options) ? item.options : {};
      return { key: checkKey(item.key), value: checkValue(item.value, MAX_VALUE_BYTES), ttl: ttlMs(opts.ttl) };
    });
    const keys = deletes.map((item: unknown) => {
      if (!isRecord(item) || item.entityName !== undefined) throw new ServiceError(400, 'BAD_REQUEST', 'Only plain keys are supported here');
      return checkKey(item.key);
    });
    for (const w of writes) write(data, w.key, w.value, w.ttl);
    for (const key of keys) data.delete(key);
    return noContent();
  }

  function batch(path: string, body: unknown): Response {
    if (!Array.isArray(body)) throw new ServiceError(400, 'BAD_REQUEST', 'A batch is an array');
    const successfulKeys: unknown[] = [];
    const failedKeys: unknown[] = [];
    for (const item of body) {
      const key = isRecord(item) ? item.key : undefined;
      try {
        if (!isRecord(item) || item.entityName !== undefined) throw new ServiceError(400, 'BAD_REQUEST', 'Only plain keys are supported here');
        if (path === '/api/v1/batch/get') {
          const entry = data.get(checkKey(item.key));
          if (!entry) throw new ServiceError(404, 'KEY_NOT_FOUND', 'Provided key does not exist');
          successfulKeys.push(itemOf(item.key as string, entry));
        } else if (path === '/api/v1/batch/set') {
          set(data, item, MAX_VALUE_BYTES);
          successfulKeys.push({ key });
        } else {
          data.delete(checkKey(item.key));
          successfulKeys.push({ key });
        }
      } catch (error) {
        if (!(error instanceof ServiceError)) throw error;
        failedKeys.push({ key, error: { code: error.code, message: error.message } });
      }
    }
    return json(200, { successfulKeys, failedKeys });
  }

  function entityStore(body: Record<string, unknown>): { definition: EntityDefinition; store: Map<string, StoredEntry> } {
    const name = body.entityName;
    const definition = typeof name === 'string' ? definitions.get(name) : undefined;
    if (!definition) throw new ServiceError(400, 'ENTITY_NOT_FOUND', `No entity ${String(name)} is declared`);
    return { definition, store: entities.get(definition.name)! };
  }

  function setEntity(body: Record<string, unknown>): Response {
    const { definition, store } = entityStore(body);
    if (!isRecord(body.value)) throw new ServiceError(400, 'BAD_REQUEST', 'An entity value is an object of attributes');
    for (const [name, value] of Object.entries(body.value)) {
      const attribute = definition.attributes[name];
      if (!attribute) throw new ServiceError(400, 'INVALID_ATTRIBUTE', `Attribute ${name} is not declared`);
      checkAttribute(name, attribute.type, value);
    }
    return set(store, body, MAX_VALUE_BYTES);
  }

  function queryEntity(body: Record<string, unknown>): Response {
    const { definition, store } = entityStore(body);
    const index = typeof body.indexName === 'string' ? indexesOf(definition).get(body.indexName) : undefined;
    if (!index) throw new ServiceError(400, 'INDEX_NOT_FOUND', `No index ${String(body.indexName)} on ${definition.name}`);
    const partition = body.partition === undefined ? [] : body.partition;
    if (!Array.isArray(partition) || partition.length !== index.partition.length) {
      throw new ServiceError(400, 'INVALID_PARTITION', `Index ${String(body.indexName)} takes ${index.partition.length} partition values`);
    }
    const limit = body.limit ?? QUERY_LIMIT_DEFAULT;
    if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > QUERY_LIMIT_MAX) {
      throw new ServiceError(400, 'INVALID_LIMIT', `limit is 1 to ${QUERY_LIMIT_MAX}`);
    }
    const range = body.range;
    if (range !== undefined && !(isRecord(range) && RANGE_CONDITIONS.has(range.condition as string))) {
      throw new ServiceError(400, 'INVALID_CONDITION', 'Not a range condition');
    }
    const filters = body.filters;
    let filter: (value: Record<string, unknown>) => boolean = () => true;
    if (filters !== undefined) {
      const and = isRecord(filters) && Array.isArray(filters.and) ? filters.and : undefined;
      const or = isRecord(filters) && Array.isArray(filters.or) ? filters.or : undefined;
      if (!and === !or) throw new ServiceError(400, 'INVALID_FILTER', 'filters hold either and or or');
      const clauses = (and ?? or)!.map((clause: unknown) => {
        if (!isRecord(clause) || typeof clause.property !== 'string' || !definition.attributes[clause.property]) {
          throw new ServiceError(400, 'INVALID_FILTER', 'A filter names a declared attribute');
        }
        return clause;
      });
      filter = (value) => (and ? clauses.every((c) => meets(value[c.property as string], c)) : clauses.some((c) => meets(value[c.property as string], c)));
    }
    const descending = body.sort === 'DESC';
    if (body.sort !== undefined && body.sort !== 'ASC' && !descending) throw new ServiceError(400, 'INVALID_SORT', 'sort is ASC or DESC');

    // The index: [range value, key, entry] of every entity it holds that the range admits.
    const inIndex: [unknown, string, StoredEntry][] = [];
    for (const [key, entry] of store) {
      const value = entry.value as Record<string, unknown>;
      const rangeValue = index.range === 'key' ? key : value[index.range];
      if (rangeValue === undefined) continue;
      if (!index.partition.every((attribute, i) => value[attribute] !== undefined && value[attribute] === partition[i])) continue;
      if (range === undefined || meets(rangeValue, range)) inIndex.push([rangeValue, key, entry]);
    }
    const order = (a: readonly [unknown, string, ...unknown[]], b: readonly [unknown, string, ...unknown[]]) => {
      const byRange = compareValues(a[0], b[0]) || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0);
      return descending ? -byRange : byRange;
    };
    inIndex.sort(order);
    const after = body.cursor === undefined ? undefined : decodeCursor(body.cursor);
    const start = after === undefined ? 0 : inIndex.findIndex((item) => order(item, after) > 0);
    const read = start < 0 ? [] : inIndex.slice(start, start + limit);
    const more = start >= 0 && start + limit < inIndex.length;
    const last = read[read.length - 1];
    return json(200, {
      data: read.filter(([, , entry]) => filter(entry.value as Record<string, unknown>)).map(([, key, entry]) => itemOf(key, entry)),
      ...(more && last ? { cursor: encodeCursor([last[0], last[1]]) } : {}),
    });
  }

  function serve(path: string, body: unknown): Response {
    const record = isRecord(body) ? body : {};
    switch (path) {
      case '/api/v1/entity/get':
        return get(entityStore(record).store, record);
      case '/api/v1/entity/set':
        return setEntity(record);
      case '/api/v1/entity/delete':
        return remove(entityStore(record).store, record);
      case '/api/v1/entity/query':
        return queryEntity(record);
      case '/api/v1/get':
        return get(data, record);
      case '/api/v1/set':
        return set(data, record, MAX_VALUE_BYTES);
      case '/api/v1/delete':
        return remove(data, record);
      case '/api/v1/secret/get':
        return get(secrets, record);
      case '/api/v1/secret/set':
        return set(secrets, record, MAX_SECRET_BYTES);
      case '/api/v1/secret/delete':
        return remove(secrets, record);
      case '/api/v1/transaction':
        return transaction(record);
      case '/api/v1/batch/get':
      case '/api/v1/batch/set':
      case '/api/v1/batch/delete':
        return batch(path, body);
      default:
        throw new ServiceError(404, 'NOT_FOUND', `No KVS operation at ${path}`);
    }
  }

  const forgeFetch: ForgeFetch = async (target, path, init) => {
    if (target?.type !== 'kvs') {
      if (options.other) return options.other(target, path, init);
      throw new Error(`forge-kvs-transport: no stand-in for __forge_fetch__ type ${String(target?.type)}`);
    }
    let body: unknown;
    try {
      if (init?.method !== 'POST') throw new ServiceError(405, 'METHOD_NOT_ALLOWED', 'KVS calls are POST');
      body = JSON.parse(String(init.body));
    } catch (error) {
      if (error instanceof ServiceError) return json(error.status, { code: error.code, message: error.message });
      return json(400, { code: 'BAD_REQUEST', message: 'Provided request body is invalid' });
    }
    requests.push({ path, body });
    // Everything below runs without an await, so each request is atomic, as on the service.
    const kind: FailureKind = READS.has(path) ? 'read' : 'write';
    if (pending[kind] > 0) {
      pending[kind] -= 1;
      return json(500, { code: 'INTERNAL_SERVER_ERROR', message: 'An internal server error has occurred' });
    }
    try {
      return serve(path, body);
    } catch (error) {
      if (error instanceof ServiceError) return json(error.status, { code: error.code, message: error.message });
      throw error;
    }
  };

  global.__forge_fetch__ = forgeFetch;

  return {
    data,
    entities,
    secrets,
    requests,
    fail(next, times = 1) {
      if (next === null) {
        pending.read = 0;
        pending.write = 0;
      } else {
        pending[next] = times;
      }
    },
    purgeExpired() {
      const at = now();
      for (const store of [data, secrets, ...entities.values()]) {
        for (const [key, entry] of store) if (entry.expireAt !== undefined && entry.expireAt <= at) store.delete(key);
      }
    },
    uninstall() {
      if (global.__forge_fetch__ !== forgeFetch) return;
      if (previous === undefined) delete global.__forge_fetch__;
      else global.__forge_fetch__ = previous;
    },
  };
}
