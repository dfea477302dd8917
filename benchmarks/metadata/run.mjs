// @ts-check
// The metadata benchmark: open + full walk + stat of every entry of EROFS images with our reader,
// against fsck.erofs walking the same images in the same run. Prints a table and writes
// results.json. See docs/benchmarks-metadata.md.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { loadAverage, machineInfo } from "../common/machine.mjs";
import { CORPUS_VERSION, DEBIAN, ensureCorpora, pruneCache, SYNTHETIC } from "./corpus.mjs";
import { summarizeProfile } from "./profile.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, "..", "..");
const CHILD = join(here, "walk-child.mjs");
/** Tools we time. `ours` rows are walk-child.mjs modes; `fsck` is fsck.erofs, the baseline. */
const TOOLS = /** @type {const} */ (["ours:walk", "ours:walkSync", "ours:walk+lstat", "fsck.erofs"]);
/** @typedef {(typeof TOOLS)[number]} Tool */

const USAGE = `usage: node benchmarks/metadata/run.mjs [options]
  --runs N        measured runs per tool and image (default 5)
  --only NAME     corpus to run: debian-minbase or synthetic-100k (repeatable; default both)
  --out FILE      where to write results (default benchmarks/metadata/results.json)
  --cache DIR     corpus cache (default benchmarks/.cache)
  --lstat-runs N  runs of ours:walk+lstat (default 1; 0 skips it)
  --lstat-all     run ours:walk+lstat on every layout (default only blobdev: the lookups cost
                  the same on every layout, and on the 100k tree they take seconds)
  --profile       also take one CPU profile of ours:walk per image and list its hot spots
  --prune         delete cached corpora of other CORPUS_VERSIONs first
  --help`;

/**
 * @typedef {object} Run
 * @property {number} wallMs  spawn to exit, as seen by this process
 * @property {number} maxRssKiB  peak RSS reported by /usr/bin/time (%M)
 * @property {{ importMs: number, openMs: number, walkMs: number, entries: number, checksum: number }} [inner]
 *   what walk-child.mjs measured inside itself (ours only)
 */

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});

async function main() {
  const { values } = parseArgs({
    options: {
      runs: { type: "string", default: "5" },
      only: { type: "string", multiple: true },
      out: { type: "string", default: join(here, "results.json") },
      cache: { type: "string", default: join(here, "..", ".cache") },
      "lstat-runs": { type: "string", default: "1" },
      "lstat-all": { type: "boolean", default: false },
      profile: { type: "boolean", default: false },
      prune: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1 || runs > 100)
    throw new Error(`--runs must be 1..100, got ${values.runs}`);
  const lstatRuns = Number(values["lstat-runs"]);
  if (!Number.isInteger(lstatRuns) || lstatRuns < 0 || lstatRuns > 100) {
    throw new Error(`--lstat-runs must be 0..100, got ${values["lstat-runs"]}`);
  }
  for (const name of values.only ?? []) {
    if (name !== "debian-minbase" && name !== "synthetic-100k") throw new Error(`unknown corpus '${name}'`);
  }
  checkPrerequisites();
  const log = (/** @type {string} */ msg) => process.stderr.write(`${msg}\n`);
  if (values.prune) pruneCache(values.cache, log);

  const benchStart = performance.now();
  // The machine may be shared: the load average around the run says how far to trust medians.
  const loadBefore = loadAverage();
  const cases = await ensureCorpora({
    cacheDir: values.cache,
    log,
    ...(values.only ? { only: values.only } : {}),
  });

  // Warm-up and correctness: one unmeasured run of both tools per image brings the image into
  // the page cache (both tools then read from memory) and checks that both saw every entry.
  log("checking entry counts (warm-up)");
  /** @type {Record<string, { ok: boolean } & Record<string, unknown>>} */
  const checks = {};
  /** @type {Map<string, number>} */
  const walkChecksum = new Map();
  for (const c of cases) {
    const walk = innerOf(timeRun(oursCmd(c.image, "walk")), c.name);
    walkChecksum.set(c.name, walk.checksum);
    const fsckInodes = fsckCheckedInodes(c);
    checks[c.name] = {
      ok: walk.entries === c.tree.entries && fsckInodes === c.tree.entries,
      treeEntries: c.tree.entries,
      oursEntries: walk.entries,
      fsckCheckedInodes: fsckInodes,
    };
  }

  /** @type {(c: { layout: string }) => readonly Tool[]} */
  const toolsOf = (c) =>
    lstatRuns > 0 && (values["lstat-all"] || c.layout === "blobdev")
      ? TOOLS
      : ["ours:walk", "ours:walkSync", "fsck.erofs"];
  const nodeStartup = [];
  /** @type {Map<string, Run[]>} */
  const samples = new Map();
  const key = (/** @type {string} */ caseName, /** @type {string} */ tool) => `${caseName}\0${tool}`;
  const record = (/** @type {string} */ caseName, /** @type {Tool} */ tool, /** @type {Run} */ run) => {
    const list = samples.get(key(caseName, tool)) ?? [];
    list.push(run);
    samples.set(key(caseName, tool), list);
  };
  for (let r = 0; r < runs; r++) {
    log(`run ${r + 1}/${runs}`);
    nodeStartup.push(timeRun([process.execPath, "-e", "0"]).wallMs);
    // Tools alternate within a round so drift in machine load hits both alike.
    for (const c of cases) {
      const ours = timeRun(oursCmd(c.image, "walk"));
      ours.inner = innerOf(ours, c.name);
      record(c.name, "ours:walk", ours);
      const sync = timeRun(oursCmd(c.image, "walkSync"));
      sync.inner = innerOf(sync, c.name);
      record(c.name, "ours:walkSync", sync);
      record(c.name, "fsck.erofs", timeRun(fsckCmd(c)));
    }
  }
  // Path lookups from the root are measured apart and fewer times: see --lstat-runs.
  for (let r = 0; r < lstatRuns; r++) {
    for (const c of cases) {
      if (!toolsOf(c).includes("ours:walk+lstat")) continue;
      log(`ours:walk+lstat ${c.name} (${r + 1}/${lstatRuns})`);
      const run = timeRun(oursCmd(c.image, "walk+lstat"));
      run.inner = innerOf(run, c.name);
      record(c.name, "ours:walk+lstat", run);
      const check = /** @type {{ ok: boolean } & Record<string, unknown>} */ (checks[c.name]);
      // Both modes read the same fields of the same entries, so their checksums must agree.
      const agree = run.inner.entries === c.tree.entries && run.inner.checksum === walkChecksum.get(c.name);
      check.lstatAgreesWithWalk = agree;
      check.ok &&= agree;
    }
  }
  const failed = Object.values(checks).some((c) => !c.ok);
  for (const [name, check] of Object.entries(checks)) {
    if (!check.ok) log(`  MISMATCH ${name}: ${JSON.stringify(check)}`);
  }

  const rows = [];
  for (const c of cases) {
    /** @type {Record<string, object>} */
    const tools = {};
    for (const tool of toolsOf(c))
      tools[tool] = summarize(samples.get(key(c.name, tool)) ?? [], c.tree.entries);
    const ours = /** @type {ReturnType<typeof summarize>} */ (tools["ours:walk"]);
    const oursLstat = /** @type {ReturnType<typeof summarize> | undefined} */ (tools["ours:walk+lstat"]);
    const oursSync = /** @type {ReturnType<typeof summarize>} */ (tools["ours:walkSync"]);
    const fsck = /** @type {ReturnType<typeof summarize>} */ (tools["fsck.erofs"]);
    rows.push({
      case: c.name,
      corpus: c.corpus,
      layout: c.layout,
      entries: c.tree.entries,
      imageBytes: c.imageBytes,
      devices: c.devices.map((d) => relative(repoRoot, d)),
      tools,
      ratio: {
        // Whole processes against each other: what a user running either tool waits for.
        wallMedian: round(ours.wallMs.median / fsck.wallMs.median, 2),
        wallBest: round(ours.wallMs.best / fsck.wallMs.best, 2),
        // Our open + walk without node's start-up and module loading, against fsck's whole run.
        innerMedian: "innerMs" in ours ? round(ours.innerMs.median / fsck.wallMs.median, 2) : null,
        // The same with walkSync (no promise per entry).
        syncWallMedian: round(oursSync.wallMs.median / fsck.wallMs.median, 2),
        syncInnerMedian:
          "innerMs" in oursSync ? round(oursSync.innerMs.median / fsck.wallMs.median, 2) : null,
        ...(oursLstat
          ? {
              walkLstatWallMedian: round(oursLstat.wallMs.median / fsck.wallMs.median, 2),
              walkLstatWallBest: round(oursLstat.wallMs.best / fsck.wallMs.best, 2),
            }
          : {}),
        peakRss: round(ours.maxRssKiB / fsck.maxRssKiB, 1),
      },
    });
  }

  const growth = growthOf(rows);
  /** @type {Record<string, unknown>} */
  const profiles = {};
  if (values.profile) {
    const dir = join(values.cache, "profiles");
    for (const c of cases) {
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      const res = spawnSync(
        process.execPath,
        ["--cpu-prof", `--cpu-prof-dir=${dir}`, "--cpu-prof-interval=200", CHILD, c.image, "walk"],
        { encoding: "utf8" },
      );
      if (res.status !== 0) throw new Error(`profiling ${c.name} failed: ${res.stderr}`);
      const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
      if (file === undefined) throw new Error(`no .cpuprofile written for ${c.name}`);
      profiles[c.name] = summarizeProfile(join(dir, file), { repoRoot, top: 12 });
    }
  }

  const results = {
    benchmark: "metadata",
    date: new Date().toISOString(),
    machine: machineInfo(loadBefore, {
      fsck: spawnSync("fsck.erofs", ["-V"], { encoding: "utf8" }).stdout.trim(),
    }),
    settings: {
      runs,
      lstatRuns,
      lstatAll: values["lstat-all"],
      corpusVersion: CORPUS_VERSION,
      debian: DEBIAN,
      synthetic: SYNTHETIC,
    },
    nodeStartupMs: stat(nodeStartup),
    checks,
    cases: rows,
    growth,
    ...(values.profile ? { profiles } : {}),
    totalSeconds: round((performance.now() - benchStart) / 1000, 1),
  };
  writeFileSync(values.out, formatJson(results));
  printTable(results);
  log(`wrote ${relative(process.cwd(), values.out)} in ${results.totalSeconds} s`);
  if (failed) {
    log("entry counts disagree: see `checks` in the results");
    process.exitCode = 1;
  }
}

/** Fails early, with the fix, when something the benchmark needs is missing. */
function checkPrerequisites() {
  let dist;
  try {
    dist = fileURLToPath(import.meta.resolve("@rafscan/vfs"));
  } catch {
    dist = "";
  }
  if (dist === "" || !existsSync(dist)) {
    throw new Error("@rafscan/vfs is not built: run `npx tsc -b packages/cli` at the repo root first");
  }
  for (const tool of ["/usr/bin/time", "fsck.erofs", "mkfs.erofs"]) {
    const found = tool.startsWith("/")
      ? existsSync(tool)
      : spawnSync("sh", ["-c", `command -v ${tool}`]).status === 0;
    if (!found) throw new Error(`${tool} not found (apt-get install -y erofs-utils time)`);
  }
}

/**
 * @param {string} image
 * @param {"walk" | "walkSync" | "walk+lstat"} mode
 */
function oursCmd(image, mode) {
  return [process.execPath, CHILD, image, mode];
}

/** @param {{ image: string, devices: string[] }} c */
function fsckCmd(c) {
  return ["fsck.erofs", ...c.devices.map((d) => `--device=${d}`), c.image];
}

/**
 * Runs fsck.erofs once at debug level 9 and counts the inodes it says it checked, so the
 * baseline is shown to visit as many entries as our walk (hardlinks count once per path in both).
 * @param {{ name: string, image: string, devices: string[] }} c
 */
function fsckCheckedInodes(c) {
  const [cmd, ...args] = fsckCmd(c);
  const res = spawnSync(/** @type {string} */ (cmd), ["-d9", ...args], {
    encoding: "utf8",
    maxBuffer: 1 << 30,
  });
  if (res.status !== 0) throw new Error(`fsck.erofs failed on ${c.name}: ${res.stderr.slice(-500)}`);
  return (`${res.stdout}${res.stderr}`.match(/check inode: nid/g) ?? []).length;
}

/**
 * Runs a command under /usr/bin/time, timing it from here.
 * @param {string[]} cmd
 * @returns {Run}
 */
function timeRun(cmd) {
  const t0 = performance.now();
  const res = spawnSync("/usr/bin/time", ["-f", "@@maxrss=%M", ...cmd], {
    encoding: "utf8",
    maxBuffer: 1 << 26,
  });
  const wallMs = performance.now() - t0;
  if (res.status !== 0) throw new Error(`${cmd.join(" ")} exited ${res.status}: ${res.stderr.slice(-2000)}`);
  const m = /@@maxrss=(\d+)\s*$/.exec(res.stderr);
  if (m === null) throw new Error(`no RSS from /usr/bin/time for ${cmd.join(" ")}`);
  /** @type {Run & { stdout?: string }} */
  const run = { wallMs, maxRssKiB: Number(m[1]) };
  Object.defineProperty(run, "stdout", { value: res.stdout, enumerable: false });
  return run;
}

/**
 * Parses walk-child.mjs's JSON line.
 * @param {Run & { stdout?: string }} run
 * @param {string} name
 * @returns {NonNullable<Run["inner"]>}
 */
function innerOf(run, name) {
  const line = (run.stdout ?? "").trim().split("\n").pop() ?? "";
  try {
    const j = JSON.parse(line);
    return {
      importMs: j.importMs,
      openMs: j.openMs,
      walkMs: j.walkMs,
      entries: j.entries,
      checksum: j.checksum,
    };
  } catch {
    throw new Error(`walk-child printed no result for ${name}: ${line.slice(0, 200)}`);
  }
}

/** @param {number[]} xs */
function stat(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
  return { best: round(s[0] ?? 0, 1), median: round(median, 1), worst: round(s[s.length - 1] ?? 0, 1) };
}

/**
 * @param {Run[]} list
 * @param {number} entries
 */
function summarize(list, entries) {
  const wallMs = stat(list.map((r) => r.wallMs));
  const base = {
    wallMs,
    // The largest peak over all runs: the memory a user must have, not a typical figure.
    maxRssKiB: Math.max(...list.map((r) => r.maxRssKiB)),
    entriesPerSecWall: Math.round(entries / (wallMs.median / 1000)),
  };
  const inner = list.flatMap((r) => (r.inner ? [r.inner] : []));
  if (inner.length === 0) return base;
  const innerMs = stat(inner.map((i) => i.openMs + i.walkMs));
  return {
    ...base,
    innerMs,
    innerParts: {
      importMs: stat(inner.map((i) => i.importMs)).median,
      openMs: stat(inner.map((i) => i.openMs)).median,
      walkMs: stat(inner.map((i) => i.walkMs)).median,
    },
    entriesPerSecInner: Math.round(entries / (innerMs.median / 1000)),
    usPerEntryInner: round((1000 * innerMs.median) / entries, 2),
  };
}

/**
 * How cost grows from the Debian image to the 100k one, per layout: µs per entry at each size
 * and the marginal cost of the extra entries.
 * @param {any[]} rows
 */
function growthOf(rows) {
  const out = [];
  for (const layout of ["flat", "chunked", "blobdev"]) {
    const small = rows.find((r) => r.corpus === "debian-minbase" && r.layout === layout);
    const big = rows.find((r) => r.corpus === "synthetic-100k" && r.layout === layout);
    if (!small || !big) continue;
    const per = (
      /** @type {any} */ row,
      /** @type {string} */ tool,
      /** @type {"wallMs" | "innerMs"} */ field,
    ) => row.tools[tool][field].median;
    const entry = { layout, smallEntries: small.entries, bigEntries: big.entries };
    const dn = big.entries - small.entries;
    for (const [label, tool, field] of /** @type {const} */ ([
      ["oursInner", "ours:walk", "innerMs"],
      ["oursWall", "ours:walk", "wallMs"],
      ["fsckWall", "fsck.erofs", "wallMs"],
    ])) {
      const a = per(small, tool, field);
      const b = per(big, tool, field);
      Object.assign(entry, {
        [label]: {
          smallMs: a,
          bigMs: b,
          usPerEntrySmall: round((1000 * a) / small.entries, 2),
          usPerEntryBig: round((1000 * b) / big.entries, 2),
          marginalUsPerEntry: round((1000 * (b - a)) / dn, 2),
        },
      });
    }
    out.push(entry);
  }
  return out;
}

/** @param {any} results */
function printTable(results) {
  const lines = [];
  const pad = (/** @type {unknown} */ s, /** @type {number} */ n) => String(s).padStart(n);
  const mib = (/** @type {number} */ kib) => (kib / 1024).toFixed(0);
  lines.push(
    `node start-up (node -e 0): median ${results.nodeStartupMs.median} ms; ${results.machine.cpus} × ${results.machine.cpuModel}, ${results.machine.node}, ${results.machine.fsck}`,
  );
  const load = results.machine.loadAverage1_5_15;
  lines.push(`load average before ${load.before.join(" ")}, after ${load.after.join(" ")}`);
  lines.push(
    [
      "case".padEnd(24),
      pad("entries", 7),
      pad("image MiB", 9),
      "tool".padEnd(16),
      pad("best ms", 8),
      pad("med ms", 8),
      pad("open+walk", 9),
      pad("RSS MiB", 7),
      pad("entries/s", 10),
      pad("÷fsck med", 9),
      pad("÷fsck best", 10),
    ].join(" "),
  );
  for (const row of results.cases) {
    for (const tool of TOOLS) {
      const t = row.tools[tool];
      if (t === undefined) continue;
      const fsck = row.tools["fsck.erofs"];
      const ratio = (/** @type {"median" | "best"} */ k) =>
        tool === "fsck.erofs" ? "" : `${round(t.wallMs[k] / fsck.wallMs[k], 2)}×`;
      lines.push(
        [
          (tool === TOOLS[0] ? row.case : "").padEnd(24),
          pad(tool === TOOLS[0] ? row.entries : "", 7),
          pad(tool === TOOLS[0] ? (row.imageBytes / 2 ** 20).toFixed(1) : "", 9),
          tool.padEnd(16),
          pad(t.wallMs.best, 8),
          pad(t.wallMs.median, 8),
          pad(t.innerMs ? t.innerMs.median : "", 9),
          pad(mib(t.maxRssKiB), 7),
          pad(t.entriesPerSecWall, 10),
          pad(ratio("median"), 9),
          pad(ratio("best"), 10),
        ].join(" "),
      );
    }
  }
  if (results.growth.length > 0) {
    lines.push("");
    lines.push(
      "growth debian-minbase -> synthetic-100k (µs per entry, median; marginal = extra ms / extra entries)",
    );
  }
  for (const g of results.growth) {
    const f = (/** @type {any} */ x) =>
      `${x.usPerEntrySmall} -> ${x.usPerEntryBig} (marginal ${x.marginalUsPerEntry})`;
    lines.push(
      `  ${g.layout.padEnd(8)} ours open+walk ${f(g.oursInner)}; ours process ${f(g.oursWall)}; fsck ${f(g.fsckWall)}`,
    );
  }
  if (results.profiles) {
    for (const [name, p] of Object.entries(results.profiles)) {
      lines.push("");
      lines.push(`hot spots of ours:walk on ${name} (self time, ${p.totalMs} ms sampled)`);
      lines.push(
        `  by kind: ${p.categories.map((/** @type {any} */ c) => `${c.category} ${c.selfMs} ms`).join("; ")}`,
      );
      for (const h of p.top)
        lines.push(`  ${pad(h.selfMs, 7)} ms ${pad(h.selfPct, 5)}%  ${h.fn}  ${h.where}`);
    }
  }
  process.stdout.write(`${lines.join("\n")}\n`);
}

/**
 * JSON as the repo's formatter (Biome) lays it out, so a fresh results.json passes `biome check`:
 * two-space indents, and arrays of scalars on one line when that line fits in 110 columns.
 * @param {unknown} value
 */
function formatJson(value) {
  const text = JSON.stringify(value, null, 2).replace(
    /^( *)("[^"\n]*": )?\[\n((?: *(?:"(?:[^"\\\n]|\\.)*"|-?[\d.e+-]+|true|false|null),?\n)+) *\]/gm,
    (whole, indent, key = "", items) => {
      const one = `${indent}${key}[${items
        .split("\n")
        .filter((/** @type {string} */ l) => l.trim() !== "")
        .map((/** @type {string} */ l) => l.trim().replace(/,$/, ""))
        .join(", ")}]`;
      return one.length <= 110 ? one : whole;
    },
  );
  return `${text}\n`;
}

/**
 * @param {number} x
 * @param {number} digits
 */
function round(x, digits) {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
