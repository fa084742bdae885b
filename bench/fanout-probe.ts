/**
 * Preloaded into the service that bench/fanout.ts starts (`node --expose-gc --import tsx
 * --import ./bench/fanout-probe.ts src/main.ts`): answers the parent's `memory` message, over
 * the IPC channel, with the process's memory after a full garbage collection, and writes a heap
 * snapshot when asked (BENCH_HEAP_SNAPSHOTS). Nothing else.
 */
import { writeHeapSnapshot } from 'node:v8';

process.on('message', (message: unknown) => {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (typeof message === 'object' && message !== null && 'heapSnapshot' in message && typeof message.heapSnapshot === 'string') {
    collect?.();
    process.send?.({ type: 'heap-snapshot', file: writeHeapSnapshot(message.heapSnapshot) });
    return;
  }
  if (message !== 'memory') return;
  collect?.();
  collect?.();
  const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
  process.send?.({ type: 'memory', rss, heapUsed, external, arrayBuffers, collected: collect !== undefined });
});
// The channel must not keep the service alive once it has shut down.
process.channel?.unref();
