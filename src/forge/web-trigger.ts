import type { AuditTrail } from '../core/audit/audit-trail.js';
import { BridgeCaches, type Bridge } from '../core/bridge.js';
import type { BridgeComposition } from '../core/composition.js';
import { jsonLogger } from '../core/default-ports.js';
import type { BridgeRequest, BridgeResponse } from '../core/http-types.js';
import type { Logger, Ports } from '../core/ports.js';
import { createForgePorts } from './forge-ports.js';

/**
 * The payload Forge hands a web trigger function. `userPath` is what follows the trigger's own
 * URL, so one trigger serves every route of the bridge. Nothing in it is authenticated.
 */
export interface WebTriggerEvent {
  method?: string;
  headers?: Record<string, string[] | string | undefined>;
  body?: string | null;
  queryParameters?: Record<string, string[] | string | undefined>;
  path?: string;
  userPath?: string;
}

/** What a web trigger function with `response: { type: dynamic }` must return. */
export interface WebTriggerResponse {
  statusCode: number;
  headers: Record<string, string[]>;
  body: string;
}

function values(value: string[] | string | undefined): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string');
}

/** Builds the record with `Object.fromEntries`, so a hostile name such as `__proto__` stays an ordinary key. */
function multiValueRecord(
  source: Record<string, string[] | string | undefined> | undefined,
  normalizeName: (name: string) => string,
): Record<string, string[]> {
  const collected = new Map<string, string[]>();
  for (const [name, value] of Object.entries(source ?? {})) {
    const key = normalizeName(name);
    collected.set(key, [...(collected.get(key) ?? []), ...values(value)]);
  }
  return Object.fromEntries(collected);
}

/** `userPath` as a path starting with `/`, without any query or fragment. */
function bridgePath(userPath: string | undefined): string {
  const path = (userPath ?? '').split(/[?#]/, 1)[0] ?? '';
  return path.startsWith('/') ? path : `/${path}`;
}

/** Translates the web trigger payload into the core's request; decides nothing. */
export function toBridgeRequest(event: WebTriggerEvent): BridgeRequest {
  return {
    method: (event.method ?? '').toUpperCase(),
    path: bridgePath(event.userPath),
    query: multiValueRecord(event.queryParameters, (name) => name),
    headers: multiValueRecord(event.headers, (name) => name.toLowerCase()),
    body: typeof event.body === 'string' ? event.body : '',
  };
}

/** Translates the core's response into the web trigger response shape. */
export function toWebTriggerResponse(response: BridgeResponse): WebTriggerResponse {
  if (!Number.isInteger(response.status) || response.status < 200 || response.status > 599) {
    throw new TypeError('The bridge answered with a status a web trigger cannot return');
  }
  return {
    statusCode: response.status,
    headers: {
      ...Object.fromEntries(Object.entries(response.headers).map(([name, value]) => [name, [String(value)]])),
      ...(response.cookies?.length ? { 'Set-Cookie': response.cookies } : {}),
    },
    body: response.body,
  };
}

const INTERNAL_ERROR_PAGE =
  '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Something went wrong</title></head>' +
  '<body><h1>Something went wrong</h1><p>Sign-in is temporarily unavailable. Try again in a moment.</p></body></html>';

/**
 * The page for failures the core could not render itself (it renders every expected error).
 * Fixed text: nothing from the request or the exception reaches the browser.
 */
export function internalErrorResponse(): WebTriggerResponse {
  return {
    statusCode: 500,
    headers: {
      'Content-Type': ['text/html; charset=utf-8'],
      'Cache-Control': ['no-store'],
      'Content-Security-Policy': ["default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"],
      'X-Content-Type-Options': ['nosniff'],
      'Referrer-Policy': ['no-referrer'],
    },
    body: INTERNAL_ERROR_PAGE,
  };
}

export interface WebTriggerHandlerOptions {
  /** The core's composition root (`composeBridge`); a parameter so the translation can be tested alone. */
  composeBridge: (composition: BridgeComposition) => Bridge;
  /** The audit trail of one invocation (Forge: custom entities). */
  audit?: (ports: Ports) => AuditTrail;
  /** Where the base URL comes from: `webTrigger.getUrl('bridge')` on Forge. */
  baseUrl: () => Promise<string>;
  /** Builds the ports for one invocation. */
  ports?: () => Ports;
}

/** What Forge passes as the second argument of a web trigger function. */
export interface WebTriggerContext {
  installContext?: string;
}

/** Per-process state of one installation, safe to lose: a cold instance starts without it. */
interface InstallationState {
  baseUrl: string;
  caches: BridgeCaches;
}

/** A warm instance serves few installations; past this many, start over rather than grow. */
const MAX_CACHED_INSTALLATIONS = 50;

function describeError(error: unknown): string {
  if (error instanceof Error) return 'code' in error && typeof error.code === 'string' ? `${error.name}:${error.code}` : error.name;
  return typeof error;
}

/**
 * The web trigger function: builds the ports and the bridge for this invocation, translates the
 * payload in and the result out. Anything that escapes the core becomes a fixed 500 page and
 * one log line without the message (which could quote request data).
 *
 * The base URL and the core's caches (provider metadata, signing credentials) are kept per
 * installation, keyed by the `installContext` Forge passes: one function instance may serve
 * several installations, and one installation's signing key must never sign for another.
 * Without an `installContext` nothing is kept.
 */
export function createWebTriggerHandler(options: WebTriggerHandlerOptions) {
  const buildPorts = options.ports ?? (() => createForgePorts());
  const installations = new Map<string, InstallationState>();

  const installation = async (context: WebTriggerContext | undefined): Promise<InstallationState> => {
    const key = typeof context?.installContext === 'string' && context.installContext ? context.installContext : undefined;
    const known = key === undefined ? undefined : installations.get(key);
    if (known) return known;
    const state = { baseUrl: await options.baseUrl(), caches: new BridgeCaches() };
    if (key !== undefined) {
      if (installations.size >= MAX_CACHED_INSTALLATIONS) installations.clear();
      installations.set(key, state);
    }
    return state;
  };

  return async function handleWebTrigger(event: WebTriggerEvent, context?: WebTriggerContext): Promise<WebTriggerResponse> {
    let logger: Logger | undefined;
    try {
      const ports = buildPorts();
      logger = ports.logger;
      const { baseUrl, caches } = await installation(context);
      // Never loopback http on Forge; storage is read at most once per invocation.
      const bridge = options.composeBridge({ ports, baseUrl, allowLoopbackHttp: false, caches, readOnce: true, audit: options.audit?.(ports) });
      return toWebTriggerResponse(await bridge.handle(toBridgeRequest(event ?? {})));
    } catch (error) {
      try {
        (logger ?? jsonLogger()).log('error', 'forge_adapter_failure', { error: describeError(error) });
      } catch {
        // Logging must not turn a safe 500 into Forge's generic one.
      }
      return internalErrorResponse();
    }
  };
}
