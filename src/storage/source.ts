import type { Readable } from 'node:stream';
import { errorMessage, StorageError } from './errors.ts';

/**
 * The archive stream as Buffers, pulled one chunk at a time so the writer's
 * pace is the stream's pace. Firing `signal` destroys the source; its error and
 * the source's own errors come out as StorageErrors ('cancelled' / 'source').
 */
export async function* sourceChunks(source: Readable, signal?: AbortSignal): AsyncGenerator<Buffer> {
  if (signal?.aborted) {
    // Nothing listens to the source yet: destroying it with an error would make that error uncaught.
    source.destroy();
    throw cancelled(signal);
  }
  const cancel = () => source.destroy(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
  signal?.addEventListener('abort', cancel, { once: true });
  try {
    for await (const chunk of source as AsyncIterable<unknown>) yield asBuffer(chunk);
  } catch (error) {
    if (signal?.aborted) throw cancelled(signal);
    throw new StorageError('source', errorMessage(error), { cause: error });
  } finally {
    signal?.removeEventListener('abort', cancel);
  }
}

export function cancelled(signal: AbortSignal): StorageError {
  return new StorageError('cancelled', errorMessage(signal.reason), { cause: signal.reason });
}

function asBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (typeof chunk === 'string') return Buffer.from(chunk);
  throw new TypeError(`archive stream yielded a ${typeof chunk}, not bytes`);
}
