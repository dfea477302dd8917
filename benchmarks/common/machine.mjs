// @ts-check
// The machine a benchmark ran on, as recorded in every results.json: CPUs, memory, kernel, node and
// the load average before and after, so a reader can tell a busy machine from a slow reader.
import { cpus, loadavg, release, totalmem } from "node:os";
import { round } from "./stats.mjs";

/**
 * The 1, 5 and 15 minute load averages, rounded to 0.01.
 * @returns {number[]}
 */
export function loadAverage() {
  return loadavg().map((x) => round(x, 2));
}

/**
 * The `machine` object of a results.json. The load average after is taken now.
 * @param {number[]} loadBefore  {@link loadAverage} taken when the benchmark started
 * @param {Record<string, unknown>} [extra]  more fields (tool versions), placed before the load
 *   average so existing results keep their key order; default none
 */
export function machineInfo(loadBefore, extra = {}) {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? "unknown",
    memoryGiB: round(totalmem() / 2 ** 30, 1),
    kernel: release(),
    node: process.version,
    ...extra,
    loadAverage1_5_15: { before: loadBefore, after: loadAverage() },
  };
}
