// @ts-check
// Bounded waits for the benchmark runners: every wait on a child process or a registry has a limit.

/**
 * Rejects with `message` when `promise` has not settled after `ms`; the timer is cleared either way.
 * @template T
 * @param {Promise<T>} promise
 * @param {number} ms
 * @param {string} message
 * @returns {Promise<T>}
 */
export function withTimeout(promise, ms, message) {
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Resolves after `ms`. The timer is unref'd: a pending sleep does not keep the process alive.
 * @param {number} ms
 * @returns {Promise<undefined>}
 */
export function sleep(ms) {
  return new Promise((resolve) => setTimeout(() => resolve(undefined), ms).unref());
}
