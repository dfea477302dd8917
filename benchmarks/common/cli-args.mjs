// @ts-check
// Command lines of the benchmark runners: parseArgs gives strings, these check their range.
import { join } from "node:path";
import { parseArgs } from "node:util";

/**
 * Parses `--name`'s value as a finite number within `[min, max]`.
 * @param {string} name  the option's name, without the dashes, for the error message
 * @param {string | undefined} text  the option's value as parseArgs returned it
 * @param {number} min
 * @param {number} max
 * @returns {number}
 */
export function numArg(name, text, min, max) {
  const n = Number(text);
  if (!Number.isFinite(n) || n < min || n > max)
    throw new Error(`--${name} must be ${min}..${max}, got ${text}`);
  return n;
}

/**
 * Like {@link numArg}, and the number must also be an integer.
 * @param {string} name
 * @param {string | undefined} text
 * @param {number} min
 * @param {number} max
 * @returns {number}
 */
export function intArg(name, text, min, max) {
  const n = numArg(name, text, min, max);
  if (!Number.isInteger(n)) throw new Error(`--${name} must be an integer, got ${text}`);
  return n;
}

/** parseArgs options of every network benchmark: measured runs and the emulated link's speed. */
const LINK_BENCH_OPTIONS = /** @type {const} */ ({
  runs: { type: "string", default: "3" },
  mbit: { type: "string", default: "100" },
  rtt: { type: "string", default: "30" },
  help: { type: "boolean", default: false },
});

/**
 * Parses the command line of a network benchmark: `options` plus `--runs` (default 3, 1..50),
 * `--mbit` (default 100, 1..10000), `--rtt` (default 30 ms, 0..2000), `--out` (default
 * `results.json` in `dir`) and `--help`, which prints `usage` and gives undefined.
 * @template {NonNullable<import("node:util").ParseArgsConfig["options"]>} O
 * @param {string} usage
 * @param {string} dir  the benchmark's directory
 * @param {O} options  the benchmark's own options
 */
export function parseLinkBenchArgs(usage, dir, options) {
  const out = /** @type {const} */ ({ type: "string", default: join(dir, "results.json") });
  const { values } = parseArgs({ options: { ...LINK_BENCH_OPTIONS, out, ...options } });
  // The shared options, seen through a plain type: TS cannot resolve them on the generic result.
  const shared = /** @type {{ runs: string, mbit: string, rtt: string, help: boolean }} */ (
    /** @type {unknown} */ (values)
  );
  if (shared.help) {
    process.stdout.write(`${usage}\n`);
    return undefined;
  }
  const link = {
    runs: intArg("runs", shared.runs, 1, 50),
    mbit: numArg("mbit", shared.mbit, 1, 10_000),
    rttMs: numArg("rtt", shared.rtt, 0, 2000),
  };
  return { values, ...link };
}
