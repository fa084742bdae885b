/**
 * How errors and repeated lines reach the log: an error by its class, message,
 * code and stack (scalar properties and a bounded cause chain), never as the
 * objects drivers hang on it (pg's client, with its type tables and secret key);
 * and a line that repeats during an outage collapsed to one per interval with a
 * count.
 */
import pg from 'pg';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, inject, it, vi } from 'vitest';
import { collapseRepeats, loggerOptions, serializeError } from '../../src/logger.ts';
import { createTestDatabase } from '../support/database.ts';

/** A logger made with vsnap's options, its lines captured. */
function capturingLogger() {
  const lines: string[] = [];
  const logger = pino(loggerOptions('info'), { write: (line: string) => lines.push(line) });
  return { logger, lines, parsed: () => lines.map((line) => JSON.parse(line) as Record<string, unknown> & { msg: string }) };
}

describe('the err serializer of every vsnap logger', () => {
  it("logs pg's lost-connection error by name, message, code and stack, without the client pg hangs on it", async () => {
    const database = await createTestDatabase();
    const pool = new pg.Pool({ connectionString: database.url, max: 1 });
    const { logger, lines, parsed } = capturingLogger();
    const lost = new Promise<Error & { client?: unknown }>((resolve) => pool.once('error', resolve));
    try {
      const client = await pool.connect();
      const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
      client.release();
      const admin = new pg.Client({ connectionString: inject('postgresAdminUrl') });
      await admin.connect();
      await admin.query('select pg_terminate_backend($1)', [rows[0]!.pid]);
      await admin.end();
      const error = await lost;
      // What made the old line several KB: the whole client, type-parser tables and secret key included.
      expect(error.client).toBeDefined();

      logger.warn({ err: error }, 'job scheduler lost a database connection; it reconnects');

      expect(lines).toHaveLength(1);
      expect(lines[0]!.length).toBeLessThan(3_000);
      for (const fragment of ['_types', 'connectionParameters', 'secretKey', '"client"', 'TIMESTAMPTZ']) expect(lines[0]).not.toContain(fragment);
      expect(parsed()[0]!.err).toEqual({
        type: 'DatabaseError',
        name: 'error',
        message: 'terminating connection due to administrator command',
        stack: expect.stringMatching(/^error: terminating connection due to administrator command\n\s+at /) as unknown,
        length: expect.any(Number) as unknown,
        severity: 'FATAL',
        code: '57P01',
        file: expect.any(String) as unknown,
        line: expect.any(String) as unknown,
        routine: expect.any(String) as unknown,
      });
    } finally {
      await pool.end();
      await database.drop();
    }
  });

  it('keeps a cause chain three levels deep, then says the rest was left out', () => {
    const root = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED', syscall: 'connect', port: 5432 });
    const chain = new Error('level 1', { cause: new Error('level 2', { cause: new Error('level 3', { cause: root }) }) });
    const serialized = serializeError(chain);
    expect(serialized).toMatchObject({
      message: 'level 1',
      cause: { message: 'level 2', cause: { message: 'level 3', cause: { message: 'connect ECONNREFUSED 127.0.0.1:5432', code: 'ECONNREFUSED', syscall: 'connect', port: 5432 } } },
    });
    const deeper = new Error('level 0', { cause: chain });
    expect(serializeError(deeper)).toMatchObject({ cause: { cause: { cause: { message: 'level 3', cause: '(further causes left out)' } } } });
  });

  it('survives a cycle of causes', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    Object.assign(a, { cause: b });
    expect(JSON.stringify(serializeError(a)).length).toBeLessThan(10_000);
  });

  it('keeps only scalar properties, each cut to 2,000 characters, and at most 20 of them', () => {
    const error = Object.assign(new Error('x'.repeat(5_000)), {
      request: { headers: { authorization: 'Bearer secret' } },
      detail: 'd'.repeat(3_000),
      retryable: true,
      ...Object.fromEntries(Array.from({ length: 30 }, (_, index) => [`p${index}`, index])),
    });
    const serialized = serializeError(error);
    expect(serialized).not.toHaveProperty('request');
    expect(serialized.message).toBe(`${'x'.repeat(2_000)}… (5000 characters)`);
    expect(serialized.detail).toBe(`${'d'.repeat(2_000)}… (3000 characters)`);
    expect(serialized.retryable).toBe(true);
    expect(Object.keys(serialized).filter((key) => !['type', 'name', 'message', 'stack'].includes(key))).toHaveLength(20);
    expect(JSON.stringify(serialized)).not.toContain('secret');
  });

  it('shows the errors of an AggregateError (a dual-stack connection refusal), at most three', () => {
    const refusals = Array.from({ length: 5 }, (_, index) => Object.assign(new Error(`connect ECONNREFUSED ::${index}`), { code: 'ECONNREFUSED' }));
    const serialized = serializeError(new AggregateError(refusals, 'all attempts failed'));
    expect(serialized.errors).toEqual(refusals.slice(0, 3).map((error) => expect.objectContaining({ message: error.message, code: 'ECONNREFUSED' })));
  });

  it('shows a thrown non-Error by its class only, a primitive as it is', () => {
    class Client {
      secretKey = 1234567;
      connection = { stream: { buffer: 'b'.repeat(10_000) } };
    }
    expect(serializeError(new Client())).toEqual({ type: 'object', message: 'a Client was thrown, not an Error' });
    expect(serializeError('plain text')).toEqual({ type: 'string', message: 'plain text' });
    expect(serializeError(404)).toEqual({ type: 'number', message: '404' });
    expect(serializeError(null)).toEqual({ type: 'object', message: 'null' });
  });
});

describe('collapseRepeats', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('writes the first line, then one line per interval with the count and the last fields, until the kind goes quiet', () => {
    const { logger, parsed } = capturingLogger();
    const repeats = collapseRepeats(logger, 10_000);

    repeats.error({ attempt: 1 }, 'database unreachable');
    for (let attempt = 2; attempt <= 38; attempt++) repeats.error({ attempt }, 'database unreachable');
    expect(parsed().map((line) => line.msg)).toEqual(['database unreachable']);

    vi.advanceTimersByTime(10_000);
    expect(parsed().at(-1)).toMatchObject({ level: 50, msg: 'database unreachable (37 times in the last 10 s)', repeated: 37, attempt: 38 });

    // Still happening: counted again, one line at the end of the next interval.
    repeats.error({ attempt: 39 }, 'database unreachable');
    vi.advanceTimersByTime(9_999);
    expect(parsed()).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(parsed().at(-1)).toMatchObject({ msg: 'database unreachable (1 time in the last 10 s)', repeated: 1, attempt: 39 });

    // A quiet interval ends the window; the next line is written at once again.
    vi.advanceTimersByTime(10_000);
    expect(parsed()).toHaveLength(3);
    repeats.error({ attempt: 40 }, 'database unreachable');
    expect(parsed().at(-1)).toMatchObject({ msg: 'database unreachable', attempt: 40 });
    expect(parsed().at(-1)).not.toHaveProperty('repeated');
  });

  it('keeps kinds apart: another message or another level is its own kind', () => {
    const { logger, parsed } = capturingLogger();
    const repeats = collapseRepeats(logger, 10_000);
    repeats.warn({}, 'heartbeat failed');
    repeats.warn({}, 'heartbeat failed');
    repeats.error({}, 'heartbeat failed');
    repeats.warn({}, 'job scheduler lost a database connection; it reconnects');
    expect(parsed().map((line) => `${line.level} ${line.msg}`)).toEqual([
      '40 heartbeat failed',
      '50 heartbeat failed',
      '40 job scheduler lost a database connection; it reconnects',
    ]);
    vi.advanceTimersByTime(10_000);
    expect(parsed().slice(3).map((line) => `${line.level} ${line.msg}`)).toEqual(['40 heartbeat failed (1 time in the last 10 s)']);
  });

  it('bounds an outage of a minute at 20 lines a second to one line per interval', () => {
    const { logger, parsed } = capturingLogger();
    const repeats = collapseRepeats(logger, 10_000);
    for (let tick = 0; tick < 60 * 20; tick++) {
      repeats.error({}, 'database unreachable');
      vi.advanceTimersByTime(50);
    }
    vi.advanceTimersByTime(10_000);
    const lines = parsed();
    expect(lines).toHaveLength(1 + 6);
    expect(lines.slice(1).reduce((sum, line) => sum + Number(line.repeated), 0)).toBe(60 * 20 - 1);
  });

  it('flush writes what is pending at once', () => {
    const { logger, parsed } = capturingLogger();
    const repeats = collapseRepeats(logger, 10_000);
    repeats.warn({}, 'job scheduler error');
    repeats.warn({}, 'job scheduler error');
    repeats.warn({}, 'job scheduler error');
    repeats.flush();
    expect(parsed().map((line) => line.msg)).toEqual(['job scheduler error', 'job scheduler error (2 times in the last 10 s)']);
    vi.advanceTimersByTime(60_000);
    expect(parsed()).toHaveLength(2);
  });
});
