// @ts-check
// Small figures shared by the benchmark runners: best/median/worst of samples, rounding, MB text.

/** @typedef {{ best: number, median: number, worst: number }} Stat  of a case's samples, in their unit */

/**
 * Best, median and worst of `xs`, each rounded to 0.1; all 0 when `xs` is empty.
 * @param {number[]} xs
 * @returns {Stat}
 */
export function stat(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
  return { best: round(s[0] ?? 0, 1), median: round(median, 1), worst: round(s[s.length - 1] ?? 0, 1) };
}

/**
 * Bytes as decimal megabytes (10^6), three decimals below 1 MB so small reads do not show as 0.0.
 * @param {number} bytes
 * @returns {string}
 */
export function mb(bytes) {
  return (bytes / 1e6).toFixed(bytes < 1e6 ? 3 : 1);
}

/**
 * Rounds `x` to `digits` decimals.
 * @param {number} x
 * @param {number} digits
 * @returns {number}
 */
export function round(x, digits) {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/**
 * {@link stat} of the numbers `pick` finds in `samples`, skipping samples without one; undefined
 * when none has one.
 * @template S
 * @param {readonly S[]} samples
 * @param {(sample: S) => number | undefined} pick
 * @returns {Stat | undefined}
 */
export function statOf(samples, pick) {
  const xs = samples.map(pick).filter((x) => typeof x === "number");
  return xs.length === 0 ? undefined : stat(xs);
}
