/**
 * Retrying a storage request that failed for a reason that may pass (a server
 * error, throttling, a reset or silent connection): exponential backoff with
 * full jitter (AWS' recommendation: a random wait between 0 and the capped
 * exponential), bounded in attempts and in total time.
 */
import { cancelled } from './source.ts';

/** Why a request was retried; the `reason` label of vsnap_storage_retries_total. */
export type RetryReason = 'server_error' | 'throttled' | 'timeout' | 'connection_reset' | 'connection_refused';

export const RETRY_REASON_TEXT: Record<RetryReason, string> = {
  server_error: 'server error',
  throttled: 'throttled',
  timeout: 'timed out',
  connection_reset: 'connection reset',
  connection_refused: 'connection refused',
};

/** Told of every retry (metrics); `operation` is the S3 call, e.g. `UploadPart`. */
export interface RetryObserver {
  retried(operation: string, reason: RetryReason): void;
}

export interface RetryPolicy {
  /** Tries in all, the first included. */
  attempts: number;
  /** No retry starts later than this after the first try began. */
  maxElapsedMs: number;
  /** The cap of the first wait; it doubles per retry up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_PART_RETRY: RetryPolicy = { attempts: 6, maxElapsedMs: 120_000, baseDelayMs: 250, maxDelayMs: 20_000 };

/** Retries made, by reason, for a caller to report (a snapshot's message). */
export type RetryCounts = Partial<Record<RetryReason, number>>;

export interface RetryOptions {
  policy: RetryPolicy;
  operation: string;
  /** The reason a failure may pass, or undefined when retrying cannot help. */
  transient(error: unknown): RetryReason | undefined;
  observer?: RetryObserver;
  signal?: AbortSignal;
  /** For tests of the schedule; Math.random otherwise. */
  random?: () => number;
}

/** Runs `request`, retrying transient failures within the policy's bounds; the last failure is thrown as it was. */
export async function withRetries<T>(request: () => Promise<T>, options: RetryOptions): Promise<T> {
  const { policy, random = Math.random } = options;
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await request();
    } catch (error) {
      const reason = attempt < policy.attempts ? options.transient(error) : undefined;
      if (!reason) throw error;
      const delay = random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
      if (Date.now() - started + delay > policy.maxElapsedMs) throw error;
      options.observer?.retried(options.operation, reason);
      await pause(delay, options.signal);
    }
  }
}

function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(cancelled(signal));
    const stop = () => {
      clearTimeout(timer);
      reject(cancelled(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', stop);
      resolve();
    }, ms);
    signal?.addEventListener('abort', stop, { once: true });
  });
}

/** "3 retried (server error ×2, connection reset ×1)" style summary of counts; undefined when there were none. */
export function describeRetries(counts: RetryCounts | undefined): { total: number; text: string } | undefined {
  const entries = Object.entries(counts ?? {}).filter(([, count]) => (count ?? 0) > 0) as [RetryReason, number][];
  if (entries.length === 0) return undefined;
  const total = entries.reduce((sum, [, count]) => sum + count, 0);
  return { total, text: entries.map(([reason, count]) => `${RETRY_REASON_TEXT[reason]} ×${count}`).join(', ') };
}
