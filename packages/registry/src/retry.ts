// When and how long to wait before retrying a failed request: exponential backoff with full
// jitter (so that many clients failing together do not retry together), and `Retry-After`.

/** Options of the retry policy. */
export interface RetryOptions {
  /** Retries after the first attempt for requests that made no progress. Default 4. */
  readonly retries?: number;
  /** First backoff step, ms. Default 200. */
  readonly baseDelayMs?: number;
  /** Largest backoff step, ms. Default 5000. */
  readonly maxDelayMs?: number;
  /** Longest `Retry-After` honoured, ms; a longer one fails the read instead. Default 30000. */
  readonly maxRetryAfterMs?: number;
}

/** Statuses worth retrying: overload and gateway errors. Other 4xx/5xx will not change. */
export function isRetryableStatus(status: number): boolean {
  return (
    status === 429 || status === 408 || status === 500 || status === 502 || status === 503 || status === 504
  );
}

/** Full-jitter backoff: a uniform wait in [0, min(max, base * 2^attempt)). */
export function backoffMs(
  attempt: number,
  options: RetryOptions = {},
  random: () => number = Math.random,
): number {
  const base = options.baseDelayMs ?? 200;
  const cap = options.maxDelayMs ?? 5000;
  return Math.floor(random() * Math.min(cap, base * 2 ** Math.min(attempt, 20)));
}

/**
 * Parses `Retry-After`: delay-seconds or an HTTP date. Returns ms from `now`, or undefined when
 * absent or unparsable.
 */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d{1,10}$/.test(text)) return Number(text) * 1000;
  // An HTTP-date (RFC 9110 §5.6.7) starts with a day name. Without this check Date.parse's
  // leniency reads "1.5" or "-1" as dates long past, i.e. "retry at once".
  if (!/^[A-Za-z]{3,9},? /.test(text)) return undefined;
  // HTTP dates are GMT; asctime-format ones do not say so and would be read as local time.
  const at = Date.parse(/GMT$/.test(text) ? text : `${text} GMT`);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Waits `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
