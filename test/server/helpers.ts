/** Shared by the test/server files: raw GraphQL over HTTP, polling, free ports and a spawned `src/main.ts`. */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs/promises';
import os from 'node:os';
import { afterEach } from 'vitest';
import { TEST_JWT_SECRET } from '../support/app.ts';
import { createTestDatabase } from '../support/database.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * A kubeconfig as tenants may send it (static token, one context) whose API server refuses
 * connections: it registers, and every snapshot of it fails.
 */
export const UNREACHABLE_KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
  - name: gone
    cluster: { server: "https://127.0.0.1:1" }
users:
  - name: someone
    user: { token: not-a-real-token }
contexts:
  - name: gone
    context: { cluster: gone, user: someone }
current-context: gone
`;

export interface RawResponse {
  status: number;
  headers: Headers;
  body: {
    data?: Record<string, unknown> | null;
    errors?: { message: string; extensions?: Record<string, unknown> }[];
  };
}

/** POSTs a GraphQL document as text; `authorization` is sent verbatim when given. */
export async function postGraphQL(
  url: string,
  query: string,
  options: { token?: string; authorization?: string; variables?: Record<string, unknown> } = {},
): Promise<RawResponse> {
  const authorization = options.authorization ?? (options.token ? `Bearer ${options.token}` : undefined);
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
      ...(authorization ? { authorization } : {}),
    },
    body: JSON.stringify({ query, variables: options.variables ?? {} }),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as RawResponse['body'] };
}

/** Calls `check` until it returns something truthy, or fails with `what` once `timeoutMs` has passed. */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 10_000, everyMs = 25): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves with the error code of a plain TCP connection attempt, or 'connected'. */
export function tryConnect(url: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

/**
 * A GraphQL POST held in flight: it asks `Expect: 100-continue`, so `accepted` resolves once the
 * server has read the headers and is handling the request (it answers 100 Continue), and the
 * body is only sent on `finish()`. Sent over a keep-alive agent, as a gateway would.
 */
export function heldRequest(url: string, query: string, token: string) {
  const body = Buffer.from(JSON.stringify({ query }));
  const { hostname, port } = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let accept!: () => void;
  const accepted = new Promise<void>((resolve) => (accept = resolve));
  let request!: http.ClientRequest;
  const response = new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
    request = http.request(
      {
        host: hostname,
        port: Number(port),
        path: '/graphql',
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json',
          authorization: `Bearer ${token}`,
          'content-length': body.length,
          expect: '100-continue',
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    request.on('continue', () => accept());
    request.on('error', reject);
  });
  // Keep an unhandled rejection from surfacing before the test awaits the response.
  response.catch(() => undefined);
  request.flushHeaders();
  return {
    /** Resolves once the server is handling the request. */
    accepted,
    response,
    finish: () => request.end(body),
    destroy: () => agent.destroy(),
  };
}

export interface SpawnedMain {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Waits until stdout or stderr (as selected) matches, failing early if the process exits. */
  waitForOutput(pattern: RegExp, stream?: 'stdout' | 'stderr', timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Pino's JSON log lines on stdout. */
  logs(): { level: number; msg: string; [key: string]: unknown }[];
}

/**
 * Runs `node --import tsx src/main.ts` with exactly `env` (plus PATH, HOME and LOG_FORMAT=json). `detached` puts
 * it in a process group of its own, as a terminal does with `npm start` (signal it with
 * `process.kill(-pid, signal)`, as Ctrl-C does).
 */
export function spawnMain(env: Record<string, string>, options: { detached?: boolean } = {}): SpawnedMain {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    // JSON logs unless a test asks otherwise: logs() parses them (development's default is pretty).
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      done = true;
      resolve({ code, signal });
    }),
  );
  // 'exit' may fire before the last output is read; 'close' waits for the streams.
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited: exited.then(async (result) => {
      await closed;
      return result;
    }),
    async waitForOutput(pattern, stream = 'stdout', timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const match = (stream === 'stdout' ? stdout : stderr).match(pattern);
        if (match) return match;
        if (done || Date.now() > deadline) {
          const why = done ? 'the child exited' : `${timeoutMs} ms passed`;
          throw new Error(`${why} before ${pattern} appeared on its ${stream}\nstdout:\n${stdout}\nstderr:\n${stderr}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    logs() {
      return stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { level: number; msg: string });
    },
  };
}

/** Pids of the running `postgres` processes serving `postgresDir` (their command line names it after -D). */
export async function postgresProcessesOf(postgresDir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const argv = await fs.readFile(`/proc/${entry}/cmdline`, 'utf8').then((text) => text.split('\0'), (): string[] => []);
    const dataDirArg = argv.indexOf('-D');
    if (path.basename(argv[0] ?? '') === 'postgres' && dataDirArg >= 0 && argv[dataDirArg + 1] === postgresDir) pids.push(Number(entry));
  }
  return pids;
}

/** A vsnap killed by a failed test leaves its embedded Postgres running: stop it by the pid it recorded. */
export async function stopOrphanedPostgres(postgresDir: string): Promise<void> {
  const content = await fs.readFile(path.join(postgresDir, 'postmaster.pid'), 'utf8').catch(() => undefined);
  const pid = Number(content?.split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  const running = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (!running()) return;
  process.kill(pid, 'SIGINT');
  await waitFor(`embedded Postgres ${pid} to stop`, () => !running(), 30_000);
}

/** Kills a child that a failed test left running. */
export async function killIfRunning(main: SpawnedMain | undefined): Promise<void> {
  if (!main || main.child.exitCode !== null || main.child.signalCode !== null) return;
  main.child.kill('SIGKILL');
  await main.exited;
}

/**
 * A vsnap process per test, on a fresh test database and data directory, all
 * removed after the test. Call in a describe block; `start` spawns src/main.ts.
 */
export function useMainOnTestDatabase(label: string): (env?: Record<string, string>) => Promise<{ main: SpawnedMain; database: { url: string } }> {
  let main: SpawnedMain | undefined;
  let drop: (() => Promise<void>) | undefined;
  let dataDir: string | undefined;
  afterEach(async () => {
    await killIfRunning(main);
    await drop?.();
    if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
    main = drop = dataDir = undefined;
  });
  return async (env = {}) => {
    const database = await createTestDatabase();
    drop = database.drop;
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), `vsnap-${label}-`));
    main = spawnMain({ DATABASE_URL: database.url, PORT: '0', AUTH_JWT_SECRET: TEST_JWT_SECRET, LOG_LEVEL: 'info', VSNAP_DATA_DIR: dataDir, ...env });
    return { main, database };
  };
}
