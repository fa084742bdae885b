/**
 * Preloaded into the service that bench/fanout.ts starts (`node --expose-gc --import tsx
 * --import ./bench/fanout-probe.ts src/main.ts`): answers the parent's `memory` message, over
 * the IPC channel, with the process's memory after a full garbage collection. Nothing else.
 */
process.on('message', (message: unknown) => {
  if (message !== 'memory') return;
  const collect = (globalThis as { gc?: () => void }).gc;
  collect?.();
  collect?.();
  const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
  process.send?.({ type: 'memory', rss, heapUsed, external, arrayBuffers, collected: collect !== undefined });
});
// The channel must not keep the service alive once it has shut down.
process.channel?.unref();
