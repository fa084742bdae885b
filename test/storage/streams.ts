import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';

export { randomBytes };

export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** `bytes` as a pull stream of `chunkSize` chunks (not aligned to any part size). */
export function chunked(bytes: Buffer, chunkSize = 10_000): Readable {
  return Readable.from(
    (function* () {
      for (let offset = 0; offset < bytes.length; offset += chunkSize) yield bytes.subarray(offset, offset + chunkSize);
    })(),
    { objectMode: false },
  );
}

/** Yields the first `failAt` bytes of `bytes`, then fails the way a broken archive producer would. */
export function failingAfter(bytes: Buffer, failAt: number, chunkSize = 10_000): Readable {
  return Readable.from(
    (async function* () {
      for (let offset = 0; offset < failAt; offset += chunkSize) yield bytes.subarray(offset, Math.min(offset + chunkSize, failAt));
      throw new Error('kube list failed: connection reset');
    })(),
    { objectMode: false },
  );
}

/** Polls `check` until it returns something other than undefined/false, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await check();
    if (result !== undefined && result !== false) return result;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export interface FedSource {
  stream: Readable;
  /** Queues `bytes` as `chunkSize` chunks, handed over one at a time as the reader asks. */
  feed(bytes: Buffer, chunkSize?: number): void;
  end(bytes?: Buffer): void;
  /**
   * Resolves once the reader has taken every chunk fed so far and asks for more:
   * it has done all it will do with them (for S3, every full part is stored).
   */
  hungry(): Promise<void>;
}

/** A source that holds nothing ahead of its reader, so "the reader asks for more" is observable. */
export function fedSource(): FedSource {
  const queue: Buffer[] = [];
  let asking = false;
  let ended = false;
  const stream = new Readable({
    highWaterMark: 1,
    read() {
      const next = queue.shift();
      asking = next === undefined && !ended;
      if (next !== undefined) this.push(next);
      else if (ended) this.push(null);
    },
  });
  const handOver = () => {
    if (!asking) return;
    const next = queue.shift();
    if (next === undefined && !ended) return;
    asking = false;
    stream.push(next ?? null);
  };
  const feed = (bytes: Buffer, chunkSize = 10_000) => {
    for (let offset = 0; offset < bytes.length; offset += chunkSize) queue.push(bytes.subarray(offset, offset + chunkSize));
    handOver();
  };
  return {
    stream,
    feed,
    end(bytes) {
      if (bytes) feed(bytes);
      ended = true;
      handOver();
    },
    hungry: () => eventually(() => asking && queue.length === 0).then(() => undefined),
  };
}
