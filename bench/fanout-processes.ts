/**
 * The processes of bench/fanout.ts: the service under test (src/main.ts, or bench/fanout-floor.ts
 * with BENCH_FLOOR, with bench/fanout-probe.ts preloaded) and the client processes (bench/fanout-client.ts), with what the bench reads of them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClientMessage, Order } from './fanout-client.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const JWT_SECRET = 'vsnap-bench-secret-that-is-long-enough-for-hs256';

export interface Memory {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  collected: boolean;
}

/** A client process and a way to ask it something and wait for the answer of that type. */
export class Client {
  private readonly waiting = new Map<string, (message: ClientMessage) => void>();
  constructor(readonly child: ChildProcess) {
    child.on('message', (message: ClientMessage) => {
      this.waiting.get(message.type)?.(message);
      this.waiting.delete(message.type);
    });
  }
  ask<T extends ClientMessage['type']>(order: Order & { type: T | 'open' }, answer: T): Promise<Extract<ClientMessage, { type: T }>> {
    return new Promise((resolve) => {
      this.waiting.set(answer, resolve as (message: ClientMessage) => void);
      this.child.send(order);
    });
  }
}

/** The service: src/main.ts with the memory probe preloaded; resolves once it serves GraphQL. */
export async function startService(
  databaseUrl: string,
  /** bench/fanout-floor.ts instead of vsnap: the same transports with nothing behind them (BENCH_FLOOR). */
  floor = false,
): Promise<{
  child: ChildProcess;
  url: string;
  exited: Promise<number | null>;
  memory(): Promise<Memory>;
  heapSnapshot(file: string): Promise<string>;
  profileStart(): Promise<unknown>;
  profileStop(file: string): Promise<string>;
}> {
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', '--import', './bench/fanout-probe.ts', floor ? 'bench/fanout-floor.ts' : 'src/main.ts'], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/root',
      NODE_ENV: 'production',
      DATABASE_URL: databaseUrl,
      AUTH_JWT_SECRET: JWT_SECRET,
      PORT: '0',
      VSNAP_ROLES: 'api',
      LOG_FORMAT: 'json',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
      SHUTDOWN_TIMEOUT_MS: '10000',
    },
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      const serving = /"url":"(http:\/\/[^"]+)\/graphql"[^\n]*"msg":"vsnap is serving GraphQL"/.exec(output);
      if (serving) resolve(serving[1]!);
      if (process.env.BENCH_VERBOSE) process.stderr.write(chunk);
    });
    void exited.then((code) => reject(new Error(`the service exited (${code}) before serving:\n${output}`)));
  });
  const ask = <T>(order: object | string) =>
    new Promise<T>((resolve) => {
      child.once('message', (message: T) => resolve(message));
      child.send(order);
    });
  return {
    child,
    url,
    exited,
    memory: () => ask<Memory>('memory'),
    heapSnapshot: async (file: string) => (await ask<{ file: string }>({ heapSnapshot: file })).file,
    profileStart: () => ask<unknown>({ profileStart: true }),
    profileStop: async (file: string) => (await ask<{ file: string }>({ profileStop: file })).file,
  };
}

/** Waits until /metrics counts `expected` active subscriptions of `transport` (false if the metric never shows them). */
export async function subscriptionsActive(url: string, transport: string, expected: number, timeoutMs: number): Promise<boolean> {
  const pattern = new RegExp(`^vsnap_subscriptions_active\\{[^}]*transport="${transport}"[^}]*\\} (\\d+)`, 'm');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const text = await (await fetch(`${url}/metrics`)).text();
    if (Number(pattern.exec(text)?.[1] ?? -1) >= expected) return true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return false;
}

/** CPU time (user + system, ms) a process has used so far, from /proc (clock ticks of 10 ms). */
export async function cpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
