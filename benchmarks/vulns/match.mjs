// @ts-check
// The matching benchmark: matchVulnerabilities over the Debian bookworm image's packages plus N
// language packages, against the databases run.mjs built (one per --records), each case in a
// fresh process (match-child.mjs). Adds a `matching` section to results.json, keeping the rest.
// See docs/benchmarks-vulns.md#matching.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { intArg } from "../common/cli-args.mjs";
import { loadAverage, machineInfo } from "../common/machine.mjs";
import { runMain } from "../common/run-main.mjs";
import { round } from "../common/stats.mjs";

const here = dirname(fileURLToPath(import.meta.url));

const USAGE = `usage: node benchmarks/vulns/match.mjs [options]
  --sizes LIST    database sizes (records) built by run.mjs --records N (default 50000,150000,500000)
  --counts LIST   language packages added to the Debian image's (default 1000,5000,10000)
  --runs N        warm runs after the first, per process (default 1)
  --seed N        corpus seed of the databases (default 1)
  --work DIR      run.mjs's work directory (default ~/.cache/rafscan/bench-vulns)
  --status FILE   a dpkg status file (default: the scan tests' cached Debian bookworm tree)
  --out FILE      results file to add \`matching\` to (default benchmarks/vulns/results.json)`;

/** The dpkg status of the Debian tree tests/support/debian-rootfs.ts caches. */
function defaultStatus() {
  const cache = join(homedir(), ".cache", "rafscan");
  const dir = existsSync(cache)
    ? execFileSync("ls", [cache], { encoding: "utf8" })
        .split("\n")
        .find((d) => d.startsWith("debian-bookworm-minbase-"))
    : undefined;
  if (dir === undefined)
    throw new Error("no cached Debian tree: run the scan tests or benchmarks/scan once, or pass --status");
  return join(cache, dir, "rootfs", "var", "lib", "dpkg", "status");
}

/** @param {string} text */
const list = (text) => text.split(",").map((x) => intArg("list item", x, 0, 10_000_000));

async function main() {
  const { values } = parseArgs({
    options: {
      sizes: { type: "string", default: "50000,150000,500000" },
      counts: { type: "string", default: "1000,5000,10000" },
      runs: { type: "string", default: "1" },
      seed: { type: "string", default: "1" },
      work: { type: "string", default: join(homedir(), ".cache", "rafscan", "bench-vulns") },
      status: { type: "string" },
      out: { type: "string", default: join(here, "results.json") },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const status = values.status ?? defaultStatus();
  const sizes = list(values.sizes);
  const counts = list(values.counts);
  const largest = Math.max(...sizes);
  const loadBefore = loadAverage();
  const started = performance.now();
  const rows = [];
  // Every count on the largest database (growth with package count), the largest count on every
  // database (growth with database size).
  const cases = [
    ...counts.map((n) => [largest, n]),
    ...sizes.filter((s) => s !== largest).map((s) => [s, Math.max(...counts)]),
  ];
  for (const [records, n] of cases) {
    const dbFile = join(values.work, `db-${records}-${values.seed}`, "vulndb.sqlite");
    if (!existsSync(dbFile)) {
      console.error(`no database for ${records} records: run run.mjs --records ${records} first; skipped`);
      continue;
    }
    console.error(`matching the Debian image + ${n} language packages against ${records} records ...`);
    const out = execFileSync(
      process.execPath,
      [join(here, "match-child.mjs"), dbFile, status, String(n), values.runs],
      { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 16 * 1024 * 1024 },
    );
    const r = JSON.parse(out.trim().split("\n").pop() ?? "");
    rows.push({
      dbRecords: records,
      languagePackages: n,
      packages: r.packages,
      openMs: round(r.openMs, 1),
      firstMs: { wall: round(r.first.wallMs, 0), cpu: round(r.first.cpuMs, 0) },
      warmMs: { wall: round(r.warm.wallMs, 0), cpu: round(r.warm.cpuMs, 0), runs: r.warm.runs },
      lookups: r.lookups,
      records: r.records,
      findings: r.findings,
      languageHitRate: round(r.languageHitRate, 3),
      cpuUsPerRecord: round((r.warm.cpuMs * 1000) / Math.max(1, r.records), 1),
      peakRssMB: round(r.peakRssMB, 0),
    });
    console.error(JSON.stringify(rows[rows.length - 1]));
  }
  const previous = existsSync(values.out) ? JSON.parse(readFileSync(values.out, "utf8")) : {};
  const matching = {
    status,
    goal: { languagePackages: 10_000, ms: 200 },
    rows,
    machine: machineInfo(loadBefore),
    measuredAt: new Date().toISOString(),
    totalSeconds: round((performance.now() - started) / 1000, 1),
  };
  writeFileSync(values.out, `${JSON.stringify({ ...previous, matching }, null, 2)}\n`);
  console.error(`wrote matching to ${values.out} in ${matching.totalSeconds} s`);
}

runMain(main);
