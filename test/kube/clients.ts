/**
 * Test-side helpers around the real @kubernetes/client-node: API clients for
 * a test server, reading the Status out of an ApiException, raw HTTPS
 * requests that trust the server's CA, and waiting on a Watch.
 */
import https from 'node:https';
import { ApiException, KubeConfig, Watch } from '@kubernetes/client-node';
import type { KubeStatus } from './status.ts';

export function kubeConfigOf(server: { kubeconfig: string }): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(server.kubeconfig);
  return kc;
}

/** The Status a failed client-node call carried (client-node hands the body over as a JSON string). */
export function statusOf(error: unknown): KubeStatus & { httpCode: number } {
  if (!(error instanceof ApiException)) throw error;
  const raw: unknown = error.body;
  const body = typeof raw === 'string' && raw ? (JSON.parse(raw) as KubeStatus) : ((raw ?? {}) as KubeStatus);
  return { ...body, httpCode: error.code };
}

/** Awaits `call`, expecting it to fail; returns the Status. */
export async function failure(call: Promise<unknown>): Promise<KubeStatus & { httpCode: number }> {
  try {
    await call;
  } catch (error) {
    return statusOf(error);
  }
  throw new Error('expected the call to fail');
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json<T = unknown>(): T;
}

/** One HTTPS request to the test server, trusting its CA; token defaults to the server's. */
export function raw(
  server: { url: string; ca: string; token: string },
  path: string,
  init: { method?: string; token?: string | null; body?: unknown; contentType?: string } = {},
): Promise<RawResponse> {
  const headers: Record<string, string> = {};
  const token = init.token === undefined ? server.token : init.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const body = init.body === undefined ? undefined : JSON.stringify(init.body);
  if (body !== undefined) headers['content-type'] = init.contentType ?? 'application/json';
  return new Promise((resolve, reject) => {
    const req = https.request(`${server.url}${path}`, { method: init.method ?? 'GET', ca: server.ca, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: <T>() => JSON.parse(text) as T });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

export interface WatchEvent {
  type: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  object: any;
}

export interface CollectedWatch {
  events: WatchEvent[];
  /** Resolves with the done() error (null for a clean end) once the stream ends. */
  done: Promise<unknown>;
  /** Resolves with the first event matching `predicate` (already received ones included). */
  until(predicate: (event: WatchEvent) => boolean, timeoutMs?: number): Promise<WatchEvent>;
  abort(): void;
}

/** Starts a client-node Watch and records its events. */
export async function collectWatch(kc: KubeConfig, path: string, query: Record<string, string | number | boolean | undefined> = {}): Promise<CollectedWatch> {
  const events: WatchEvent[] = [];
  const waiters: { predicate: (e: WatchEvent) => boolean; resolve: (e: WatchEvent) => void }[] = [];
  let finish!: (err: unknown) => void;
  const done = new Promise<unknown>((resolve) => (finish = resolve));
  const controller = await new Watch(kc).watch(
    path,
    query,
    (type, object) => {
      const event = { type, object };
      events.push(event);
      for (const waiter of [...waiters]) {
        if (waiter.predicate(event)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(event);
        }
      }
    },
    (err) => finish(err ?? null),
  );
  return {
    events,
    done,
    abort: () => controller.abort(),
    until(predicate, timeoutMs = 5000) {
      const seen = events.find(predicate);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching watch event within ${timeoutMs} ms; got ${JSON.stringify(events.map((e) => e.type))}`)), timeoutMs);
        waiters.push({ predicate, resolve: (e) => (clearTimeout(timer), resolve(e)) });
      });
    },
  };
}
