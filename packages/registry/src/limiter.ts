// A counting semaphore: at most `limit` tasks run at once, the rest wait in arrival order.

/** Bounds concurrent requests, e.g. to one registry. */
export class Limiter {
  readonly limit: number;
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(limit: number) {
    if (!(Number.isInteger(limit) && limit >= 1))
      throw new RangeError(`concurrency must be >= 1, not ${limit}`);
    this.limit = limit;
  }

  /** Runs `task` when a slot is free. An abort while waiting rejects without running it. */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    signal?.throwIfAborted();
    if (this.#running >= this.limit) {
      await new Promise<void>((resolve, reject) => {
        const go = () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        };
        const onAbort = () => {
          const at = this.#waiting.indexOf(go);
          if (at !== -1) this.#waiting.splice(at, 1);
          reject(signal?.reason);
        };
        signal?.addEventListener("abort", onAbort, { once: true });
        this.#waiting.push(go);
      });
    }
    this.#running++;
    try {
      return await task();
    } finally {
      this.#running--;
      this.#waiting.shift()?.();
    }
  }
}
