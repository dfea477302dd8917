// @ts-check
// The advisory-database benchmark: generates (or reuses) a synthetic OSV corpus of 500,000
// records as per-ecosystem zips, runs `db build` on it in a child process (wall time, peak RSS),
// then opens the database and looks packages up in fresh processes: under this Node (whose SQLite
// binding it reports) and, with --node, under a second Node (e.g. 24, node:sqlite). Prints a
// table, writes results.json. See docs/benchmarks-vulns.md.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { intArg } from "../common/cli-args.mjs";
import { loadAverage, machineInfo } from "../common/machine.mjs";
import { writeResults } from "../common/results.mjs";
import { runMain } from "../common/run-main.mjs";
import { mb, round } from "../common/stats.mjs";
import { writeOsvCorpus } from "./corpus.mjs";

const here = dirname(fileURLToPath(import.meta.url));

const USAGE = `usage: node benchmarks/vulns/run.mjs [options]
  --records N     OSV records in the corpus (default 500000)
  --seed N        corpus seed (default 1)
  --lookups N     lookups measured per process (default 10000)
  --node PATH     also measure open and lookups under this node binary (e.g. Node 24: node:sqlite)
  --work DIR      where the corpus and database go (default ~/.cache/rafscan/bench-vulns)
  --reuse-build   keep the database and build figures of the last run with these --records/--seed
  --out FILE      results file (default benchmarks/vulns/results.json)`;

/**
 * Runs a script under `node`, returning its one JSON line.
 * @param {string} node
 * @param {string} script
 * @param {string[]} args
 */
function child(node, script, args) {
  const out = execFileSync(node, [join(here, script), ...args], {
    encoding: "utf8",
    maxBuffer: 16 * 1024 * 1024,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const last = out.trim().split("\n").pop() ?? "";
  return JSON.parse(last);
}

async function main() {
  const { values } = parseArgs({
    options: {
      records: { type: "string", default: "500000" },
      seed: { type: "string", default: "1" },
      lookups: { type: "string", default: "10000" },
      node: { type: "string" },
      work: { type: "string", default: join(homedir(), ".cache", "rafscan", "bench-vulns") },
      out: { type: "string", default: join(here, "results.json") },
      "reuse-build": { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const records = intArg("records", values.records, 1, 10_000_000);
  const seed = intArg("seed", values.seed, 0, 2 ** 31);
  const lookups = intArg("lookups", values.lookups, 1, 10_000_000);
  const loadBefore = loadAverage();
  const started = performance.now();
  const corpusDir = join(values.work, `corpus-${records}-${seed}`);
  const marker = join(corpusDir, "corpus.json");
  /** @type {{ files: string[], perEcosystem: Record<string, number>, bytes: number, seconds?: number }} */
  let corpus;
  if (existsSync(marker)) {
    corpus = JSON.parse(readFileSync(marker, "utf8"));
    console.error(`reusing the corpus in ${corpusDir}`);
  } else {
    console.error(`generating ${records} OSV records (seed ${seed}) in ${corpusDir} ...`);
    rmSync(corpusDir, { recursive: true, force: true });
    const t = performance.now();
    corpus = {
      ...writeOsvCorpus({ outDir: corpusDir, records, seed }),
      seconds: (performance.now() - t) / 1000,
    };
    writeFileSync(marker, JSON.stringify(corpus));
  }
  const zipBytes = corpus.files.reduce((n, f) => n + statSync(f).size, 0);
  const dbDir = join(values.work, `db-${records}-${seed}`);
  const buildFile = join(values.work, `build-${records}-${seed}.json`);
  /** @type {any} */
  let build;
  if (values["reuse-build"] && existsSync(buildFile) && existsSync(join(dbDir, "vulndb.sqlite"))) {
    build = JSON.parse(readFileSync(buildFile, "utf8"));
    console.error(`reusing the database and build figures of ${build.measuredAt}`);
  } else {
    rmSync(dbDir, { recursive: true, force: true });
    console.error(`db build of ${corpus.files.length} zips (${mb(zipBytes)} MB) ...`);
    build = {
      ...child(process.execPath, "build-child.mjs", [dbDir, ...corpus.files]),
      measuredAt: new Date().toISOString(),
    };
    // Kept, so that the query half can be re-run alone (--reuse-build) on the same database.
    writeFileSync(buildFile, JSON.stringify(build));
  }
  const dbFile = join(dbDir, "vulndb.sqlite");
  const dbBytes = statSync(dbFile).size;
  const nodes = [process.execPath, ...(values.node === undefined ? [] : [values.node])];
  const queries = nodes.map((node) => {
    const full = child(node, "query-child.mjs", [dbFile, String(lookups)]);
    // The first open in a fresh process, sampled over more processes: with the file in the page
    // cache (warm), and after dropping the file's pages (cold: `dd iflag=nocache count=0` asks the
    // kernel to drop this file only, not the whole cache).
    const warm = [full.firstOpenMs];
    const cold = [];
    for (let i = 0; i < 6; i++) {
      warm.push(child(node, "query-child.mjs", [dbFile, "0"]).firstOpenMs);
      execFileSync("dd", [`if=${dbFile}`, "iflag=nocache", "count=0", "status=none"]);
      cold.push(child(node, "query-child.mjs", [dbFile, "0"]).firstOpenMs);
    }
    return { ...full, firstOpenWarm: summary(warm), firstOpenCold: summary(cold) };
  });
  const results = {
    benchmark: "vulns",
    corpus: {
      records,
      seed,
      ecosystems: Object.keys(corpus.perEcosystem).length,
      perEcosystem: corpus.perEcosystem,
      jsonBytes: corpus.bytes,
      zipBytes,
      zips: corpus.files.length,
    },
    build: {
      seconds: round(build.seconds, 1),
      peakRssMB: round(build.peakRssBytes / 1e6, 1),
      driver: build.driver,
      records: build.records,
      withdrawn: build.withdrawn,
      indexed: build.indexed,
      badRecords: build.badRecords,
      duplicates: build.duplicates,
      recordsPerSecond: Math.round(build.read / build.seconds),
      measuredAt: build.measuredAt,
    },
    database: {
      bytes: dbBytes,
      MB: round(dbBytes / 1e6, 1),
      bytesPerRecord: Math.round(dbBytes / build.records),
    },
    query: queries.map((q) => ({
      node: q.node,
      driver: q.driver,
      firstOpenWarmMs: q.firstOpenWarm,
      firstOpenColdMs: q.firstOpenCold,
      openMs: { median: round(q.openMs.median, 2), p95: round(q.openMs.p95, 2), max: round(q.openMs.max, 2) },
      lookupUs: {
        median: round(q.lookupUs.median, 1),
        p95: round(q.lookupUs.p95, 1),
        max: round(q.lookupUs.max, 1),
        mean: round(q.lookupUs.mean, 1),
      },
      recordsPerLookup: { mean: round(q.recordsPerLookup.mean, 2), max: q.recordsPerLookup.max },
      hitRate: round(q.hitRate, 3),
      busiest: { ...q.busiest, ms: round(q.busiest.ms, 1) },
    })),
    goal: { openMs: 50 },
    machine: machineInfo(loadBefore),
    totalSeconds: round((performance.now() - started) / 1000, 1),
  };
  writeResults(values.out, results, print, (m) => console.error(m));
}

/**
 * Median and max of samples, rounded to 0.01.
 * @param {number[]} xs
 */
function summary(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return { median: round(s[s.length >> 1] ?? 0, 2), max: round(s[s.length - 1] ?? 0, 2), samples: s.length };
}

/** @param {any} r */
function print(r) {
  const lines = [
    `corpus: ${r.corpus.records} records in ${r.corpus.ecosystems} ecosystems, ${r.corpus.zips} zips, ${mb(r.corpus.zipBytes)} MB zipped (${mb(r.corpus.jsonBytes)} MB JSON)`,
    `db build: ${r.build.seconds} s (${r.build.recordsPerSecond} records/s), peak RSS ${r.build.peakRssMB} MB, ${r.build.driver}`,
    `database: ${r.database.MB} MB (${r.database.bytesPerRecord} B/record), ${r.build.indexed} index rows`,
    "node      driver          first open warm/cold  open median/p95   lookup median/p95/max (us)  records/lookup  busiest",
  ];
  for (const q of r.query) {
    lines.push(
      `${q.node.padEnd(9)} ${q.driver.padEnd(15)} ${q.firstOpenWarmMs.median}/${q.firstOpenColdMs.median} ms`.padEnd(
        47,
      ) +
        `${q.openMs.median}/${q.openMs.p95} ms`.padEnd(18) +
        `${q.lookupUs.median}/${q.lookupUs.p95}/${q.lookupUs.max}`.padEnd(28) +
        `${q.recordsPerLookup.mean}`.padEnd(16) +
        `${q.busiest.records} in ${q.busiest.ms} ms`,
    );
  }
  process.stdout.write(`${lines.join("\n")}\n`);
}

runMain(main);
