/**
 * Retries of Kubernetes API requests. Transient answers (5xx, 429) and
 * transport failures (a reset or refused connection, a timeout) are tried
 * again with exponential backoff and full jitter (a 429's or 503's
 * Retry-After honoured, capped), within bounds per request (attempts and
 * time) and per snapshot (one budget shared by all of its requests), so an API
 * server that keeps failing fails the snapshot in bounded time. Any other
 * answer is returned at once.
 *
 * Mutations are retried too: every one vsnap sends settles a repeat (a create
 * answered 409 is adopted when the object is vsnap's, a delete answered 404 is
 * done, a merge patch sets the same fields again).
 */
import {
  IsomorphicFetchHttpLibrary,
  ResponseContext,
  SelfDecodingBody,
  wrapHttpLibrary,
  type HttpLibrary,
  type RequestContext,
} from '@kubernetes/client-node';

export interface KubeRetrySettings {
  /** Attempts per request, the first included (1: no retry). */
  attempts: number;
  /** Backoff before retry n: uniform in [0, min(maxDelayMs, baseDelayMs * 2^(n-1))] (full jitter). */
  baseDelayMs: number;
  /** The longest single wait, Retry-After included. */
  maxDelayMs: number;
  /** No retry is started once a request has taken this long, attempts and waits together. */
  requestDeadlineMs: number;
  /** Retries all requests of one snapshot may take together. */
  budget: number;
}

export const DEFAULT_KUBE_RETRY: KubeRetrySettings = {
  attempts: 5,
  baseDelayMs: 200,
  maxDelayMs: 10_000,
  requestDeadlineMs: 60_000,
  budget: 100,
};

/**
 * Why a request was tried again: the HTTP status ("500", "429"; "410" for a
 * list restarted after its continue token expired) or what happened to the
 * connection. Also the `reason` label of vsnap_kube_request_retries_total.
 */
export type RetryReason = string;

/** One answer of the API server; the body only of a 2xx (a failure's body is the server's to choose, and never shown). */
export interface KubeAnswer {
  status: number;
  headers: Record<string, string>;
  text: string;
}

/** An attempt the API server did not answer within its time. */
export class KubeRequestTimeout extends Error {
  constructor(
    readonly timeoutMs: number,
    options?: { cause?: unknown },
  ) {
    super(`no answer within ${timeoutMs} ms`, options);
    this.name = 'TimeoutError';
  }
}

/**
 * The retries of one snapshot's Kubernetes requests: its budget, what was
 * retried and why (for the snapshot's message), and the observer that counts
 * each retry in metrics.
 */
export class KubeRetries {
  readonly settings: KubeRetrySettings;
  private readonly http = new IsomorphicFetchHttpLibrary();
  private readonly retriedRequests = new WeakSet<object>();
  private readonly reasons = new Map<RetryReason, number>();
  private requests = 0;
  private spent = 0;
  private budgetSpent = false;

  constructor(
    settings: Partial<KubeRetrySettings> = {},
    private readonly onRetry?: (reason: RetryReason) => void,
  ) {
    this.settings = { ...DEFAULT_KUBE_RETRY, ...settings };
  }

  /** Retries taken so far. */
  get count(): number {
    return this.spent;
  }

  /** Whether a retry was refused because the budget was used up. */
  get exhausted(): boolean {
    return this.budgetSpent;
  }

  /**
   * Takes one retry of `request` (any object naming it: the first retry of a
   * request counts it as retried) from the budget; false when none is left.
   */
  take(reason: RetryReason, request: object): boolean {
    if (this.spent >= this.settings.budget) {
      this.budgetSpent = true;
      return false;
    }
    this.spent += 1;
    if (!this.retriedRequests.has(request)) {
      this.retriedRequests.add(request);
      this.requests += 1;
    }
    this.reasons.set(reason, (this.reasons.get(reason) ?? 0) + 1);
    this.onRetry?.(reason);
    return true;
  }

  /** The wait before retry `n` (1-based): full jitter over an exponentially growing ceiling. */
  backoff(n: number): number {
    const ceiling = Math.min(this.settings.maxDelayMs, this.settings.baseDelayMs * 2 ** Math.max(0, n - 1));
    return Math.floor(Math.random() * ceiling);
  }

  /**
   * One clause for the snapshot's message, or undefined when nothing was retried:
   * "3 Kubernetes requests retried (500, 429)".
   */
  summary(): string | undefined {
    if (this.spent === 0 && !this.budgetSpent) return undefined;
    const requests = `${this.requests} Kubernetes request${this.requests === 1 ? '' : 's'} retried`;
    const times = this.spent > this.requests ? ` ${this.spent} times` : '';
    const why = [...this.reasons.keys()].map((reason) => reason.replaceAll('_', ' ')).join(', ');
    const spent = this.budgetSpent ? `; the retry budget of ${this.settings.budget} is spent` : '';
    return `${requests}${times}${why ? ` (${why})` : ''}${spent}`;
  }

  /**
   * Sends `context` until an answer that is not worth retrying, or the bounds
   * are reached (then the last answer, or error, is the result). Each attempt
   * gets `attemptTimeoutMs`, body included; the context's own signal (the
   * caller's) ends everything at once.
   */
  async exchange(context: RequestContext, attemptTimeoutMs: number): Promise<KubeAnswer> {
    const caller = context.getSignal();
    const started = Date.now();
    for (let attempt = 1; ; attempt++) {
      const timeout = AbortSignal.timeout(attemptTimeoutMs);
      context.setSignal(caller ? AbortSignal.any([caller, timeout]) : timeout);
      let outcome: { answer: KubeAnswer } | { error: unknown };
      try {
        outcome = { answer: await this.once(context) };
      } catch (error) {
        caller?.throwIfAborted();
        outcome = { error: timeout.aborted ? new KubeRequestTimeout(attemptTimeoutMs, { cause: error }) : error };
      } finally {
        if (caller) context.setSignal(caller);
      }
      const reason = 'answer' in outcome ? statusRetryReason(outcome.answer.status) : transportRetryReason(outcome.error);
      if (reason !== undefined && attempt < this.settings.attempts) {
        const wait = 'answer' in outcome ? (this.retryAfter(outcome.answer.headers['retry-after']) ?? this.backoff(attempt)) : this.backoff(attempt);
        if (Date.now() - started + wait <= this.settings.requestDeadlineMs && this.take(reason, context)) {
          await sleep(wait, caller);
          continue;
        }
      }
      if ('error' in outcome) throw outcome.error;
      return outcome.answer;
    }
  }

  /** A client-node HTTP library that sends every request through `exchange`: for the generated API clients. */
  httpLibrary(attemptTimeoutMs: number): HttpLibrary {
    return wrapHttpLibrary({
      send: async (context) => {
        const answer = await this.exchange(context, attemptTimeoutMs);
        return new ResponseContext(answer.status, answer.headers, new SelfDecodingBody(Promise.resolve(Buffer.from(answer.text))));
      },
    });
  }

  /** The wait a Retry-After header asks for (seconds or an HTTP date), capped; undefined without a usable one. */
  retryAfter(header: string | undefined, now = Date.now()): number | undefined {
    if (header === undefined) return undefined;
    const text = header.trim();
    const ms = /^\d+$/.test(text) ? Number(text) * 1000 : /[a-z]/i.test(text) ? Date.parse(text) - now : Number.NaN;
    if (Number.isNaN(ms)) return undefined;
    return Math.min(this.settings.maxDelayMs, Math.max(0, ms));
  }

  /** One attempt: the answer, with the body read only when it is a success (inside the attempt's time). */
  private async once(context: RequestContext): Promise<KubeAnswer> {
    const response = await this.http.send(context).toPromise();
    const { httpStatusCode: status, headers } = response;
    if (status >= 200 && status < 300) return { status, headers, text: await response.body.text() };
    await response.body.stream()?.cancel().catch(() => undefined);
    return { status, headers, text: '' };
  }
}

/** 429 and every 5xx: the server may answer differently in a moment. */
export function statusRetryReason(status: number): RetryReason | undefined {
  return status === 429 || (status >= 500 && status <= 599) ? String(status) : undefined;
}

/** Connection failures that a moment may cure; TLS, DNS names that do not exist and egress refusals are not among them. */
const TRANSIENT_CODES: Record<string, RetryReason> = {
  ECONNRESET: 'connection_reset',
  EPIPE: 'connection_reset',
  UND_ERR_SOCKET: 'connection_reset',
  UND_ERR_CLOSED: 'connection_reset',
  ECONNREFUSED: 'connection_refused',
  ETIMEDOUT: 'timeout',
  UND_ERR_CONNECT_TIMEOUT: 'timeout',
  UND_ERR_HEADERS_TIMEOUT: 'timeout',
  UND_ERR_BODY_TIMEOUT: 'timeout',
  EHOSTUNREACH: 'unreachable',
  ENETUNREACH: 'unreachable',
  EAI_AGAIN: 'unreachable',
};

/** Why a failed attempt is worth another, or undefined when it is not. */
export function transportRetryReason(error: unknown): RetryReason | undefined {
  for (let current = error, depth = 0; depth < 6; depth++) {
    if (current instanceof KubeRequestTimeout) return 'timeout';
    if (current instanceof AggregateError && current.errors[0] instanceof Error) current = current.errors[0];
    if (!(current instanceof Error)) return undefined;
    const code = 'code' in current && typeof current.code === 'string' ? current.code : undefined;
    if (code !== undefined) return TRANSIENT_CODES[code];
    current = current.cause;
  }
  return undefined;
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
