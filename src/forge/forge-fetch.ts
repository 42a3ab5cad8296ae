import { fetch as apiFetch } from '@forge/api';
import type { Fetch } from '../core/ports.js';

/** The subset of `@forge/api`'s `fetch` the adapter relies on. */
export type ForgeFetchMethod = (
  url: string,
  init?: {
    body?: ArrayBuffer | string | URLSearchParams;
    headers?: Record<string, string>;
    method?: string;
    redirect?: RequestRedirect;
    signal?: AbortSignal;
  },
) => Promise<unknown>;

type ForgeBody = ArrayBuffer | string | URLSearchParams | undefined;

/** Responses without a body, for which `new Response(body)` must get `null`. */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

async function toForgeBody(body: BodyInit | null | undefined): Promise<ForgeBody> {
  if (body === null || body === undefined) return undefined;
  if (typeof body === 'string' || body instanceof URLSearchParams || body instanceof ArrayBuffer) return body;
  if (ArrayBuffer.isView(body)) {
    return body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer;
  }
  // Blob, FormData, ReadableStream: let the platform's Response do the encoding.
  return new Response(body).arrayBuffer();
}

function toHeaderRecord(headers: HeadersInit | undefined): Record<string, string> | undefined {
  if (headers === undefined) return undefined;
  const record: Record<string, string> = {};
  new Headers(headers).forEach((value, name) => {
    record[name] = value;
  });
  return record;
}

/**
 * openid-client (through oauth4webapi) accepts any object whose prototype is tagged `Response`.
 * The Forge runtime's fetch returns one; anything else is copied into a real `Response` so the
 * core never has to care which fetch it got.
 */
async function toResponse(result: unknown): Promise<Response> {
  if (result instanceof Response) return result;
  const tag = typeof result === 'object' && result !== null ? Object.getPrototypeOf(result)?.[Symbol.toStringTag] : undefined;
  if (tag === 'Response') return result as Response;
  const source = result as {
    status: number;
    statusText: string;
    headers: { forEach(callback: (value: string, key: string) => void): void };
    arrayBuffer(): Promise<ArrayBuffer>;
  };
  const headers = new Headers();
  source.headers.forEach((value, key) => headers.append(key, value));
  const body = NULL_BODY_STATUSES.has(source.status) ? null : await source.arrayBuffer();
  return new Response(body, { status: source.status, statusText: source.statusText, headers });
}

/**
 * The `Fetch` port on `@forge/api`'s `fetch`, which goes through Forge's egress proxy (and so
 * only reaches the hosts the manifest allows). It takes a URL string and a narrow `RequestInit`;
 * this adapter accepts what openid-client's `customFetch` and the core pass (`URL`, `Request`,
 * any `HeadersInit`, typed-array and stream bodies) and narrows it.
 */
export function forgeFetchPort(forgeFetch: ForgeFetchMethod = apiFetch as unknown as ForgeFetchMethod): Fetch {
  return async (input, init = {}) => {
    let url: string;
    let base: RequestInit = {};
    if (input instanceof Request) {
      url = input.url;
      base = {
        method: input.method,
        headers: input.headers,
        body: input.body === null ? undefined : await input.arrayBuffer(),
        redirect: input.redirect,
        signal: input.signal,
      };
    } else {
      url = input instanceof URL ? input.href : input;
    }
    const merged = { ...base, ...init };
    const body = await toForgeBody(merged.body);
    const headers = toHeaderRecord(merged.headers);
    const result = await forgeFetch(url, {
      ...(merged.method !== undefined ? { method: merged.method } : {}),
      ...(headers !== undefined ? { headers } : {}),
      ...(body !== undefined ? { body } : {}),
      ...(merged.redirect !== undefined ? { redirect: merged.redirect } : {}),
      ...(merged.signal ? { signal: merged.signal } : {}),
    });
    return toResponse(result);
  };
}
