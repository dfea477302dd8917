// @ts-check
// The end of a benchmark run: results.json written, the table printed, where it went logged.
import { writeFileSync } from "node:fs";
import { relative } from "node:path";

/**
 * Writes `results` as indented JSON to `path`, prints it with `print`, then logs the path (relative
 * to the working directory) and `results.totalSeconds`.
 * @template {{ totalSeconds: number }} R
 * @param {string} path
 * @param {R} results
 * @param {(results: R) => void} print
 * @param {(message: string) => void} log
 */
export function writeResults(path, results, print, log) {
  writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
  print(results);
  log(`wrote ${relative(process.cwd(), path)} in ${results.totalSeconds} s`);
}
