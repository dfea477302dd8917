#!/usr/bin/env node
// The mutation campaign: `node fuzz/run.mjs --minutes N | --inputs N [--seed S] [--target T]
// [--workers K]`. Builds the corpus, forks K workers that mutate and read it, watches them (a case
// running over 5 s is a hang, a worker over 1 GiB RSS or dying is a finding), writes every finding
// with its replay command under the findings directory, prints counts per target and exits 1 if
// there was any finding. `--target T --seed S --case K` replays one case in this process.
// See docs/fuzzing.md.
import { fork } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { loadCorpus, prepareCorpus } from "./corpus.mjs";
import { runCase } from "./engine.mjs";
import { typedPredicate } from "./oracle.mjs";
import { setupTargets, TARGET_NAMES } from "./targets.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
/** A case still running after this long is a hang. */
const HANG_MS = 5000;
/** A worker whose resident set grows past this is a finding (and is restarted). */
const MAX_RSS = 1024 ** 3;
/** Findings written per distinct signature; the rest are only counted. */
const MAX_FILES_PER_SIGNATURE = 10;

const USAGE = `usage: node fuzz/run.mjs (--minutes N | --inputs N) [--seed S] [--target T[,T...]] [--workers K]
                        [--findings DIR] [--batch N]
       node fuzz/run.mjs --target T --seed S --case K      replay one case here
       node fuzz/run.mjs --replay FINDING.json             the same, from a finding file
targets: ${TARGET_NAMES.join(", ")}`;

function fail(message) {
  process.stderr.write(`fuzz: ${message}\n${USAGE}\n`);
  process.exit(2);
}

const { values: args } = parseArgs({
  options: {
    minutes: { type: "string" },
    inputs: { type: "string" },
    seed: { type: "string" },
    target: { type: "string" },
    workers: { type: "string" },
    findings: { type: "string" },
    batch: { type: "string" },
    case: { type: "string" },
    replay: { type: "string" },
    corpus: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});
if (args.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const num = (name, value, min) => {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min) fail(`--${name} must be a number >= ${min}, got '${value}'`);
  return n;
};

const targetList = args.target === undefined ? TARGET_NAMES : args.target.split(",");
for (const t of targetList) if (!TARGET_NAMES.includes(t)) fail(`unknown target '${t}'`);

/** The corpus, or an empty one when only the harness's self-test runs (it needs none). */
async function makeCorpus(dir, targets) {
  if (!targets.every((t) => t === "selftest")) return prepareCorpus(dir);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "corpus.json"), JSON.stringify({ images: [], tars: [], metas: [], layouts: [] }));
}

// ---- replay one case, in this process -------------------------------------------------------
if (args.replay !== undefined || args.case !== undefined) {
  let target = args.target;
  let seed = args.seed;
  let k = num("case", args.case, 0);
  if (args.replay !== undefined) {
    const f = JSON.parse(readFileSync(args.replay, "utf8"));
    ({ target, seed, case: k } = f);
  }
  if (target === undefined || seed === undefined || k === undefined)
    fail("a replay needs --target, --seed and --case");
  const corpusDir = args.corpus ?? join(tmpdir(), `rafscan-fuzz-replay-${process.pid}`);
  if (args.corpus === undefined) await makeCorpus(corpusDir, [target]);
  const isTyped = typedPredicate();
  const targets = await setupTargets(loadCorpus(corpusDir), join(corpusDir, "replay"), isTyped);
  const r = await runCase(targets, target, String(seed), k, isTyped);
  process.stdout.write(`${JSON.stringify({ target, seed: String(seed), case: k, ...r }, null, 2)}\n`);
  if (args.corpus === undefined) rmSync(corpusDir, { recursive: true, force: true });
  process.exit(r.outcome === "finding" ? 1 : 0);
}

// ---- the campaign ----------------------------------------------------------------------------
const minutes = num("minutes", args.minutes, 0);
const maxInputs = num("inputs", args.inputs, 1);
if (minutes === undefined && maxInputs === undefined) fail("give --minutes N or --inputs N");
const workerCount = num("workers", args.workers, 1) ?? 1;
const batchSize = num("batch", args.batch, 1) ?? 50;
const seed = args.seed ?? String(Date.now() % 1_000_000_007);
const findingsDir = args.findings ?? join(HERE, "findings");
const deadline = minutes === undefined ? Number.POSITIVE_INFINITY : Date.now() + minutes * 60_000;
const started = Date.now();

const corpusDir = args.corpus ?? join(tmpdir(), `rafscan-fuzz-corpus-${process.pid}`);
if (args.corpus === undefined || !existsSync(join(corpusDir, "corpus.json")))
  await makeCorpus(corpusDir, targetList);
mkdirSync(findingsDir, { recursive: true });

/** Per-target tallies. */
const stats = new Map();
const tally = (t) => {
  const s = stats.get(t) ?? { inputs: 0, ok: 0, typed: 0, findings: 0, codes: {} };
  stats.set(t, s);
  return s;
};
const signatures = new Map();
let totalFindings = 0;

function record(target, k, finding) {
  totalFindings++;
  tally(target).findings++;
  const frame = (finding.stack ?? "").split("\n").find((l) => l.includes("packages/")) ?? "";
  const sig = `${target}|${finding.kind}|${(finding.message ?? "").replace(/\d+/g, "N").slice(0, 120)}|${frame.trim()}`;
  const n = (signatures.get(sig) ?? 0) + 1;
  signatures.set(sig, n);
  if (n > MAX_FILES_PER_SIGNATURE) return;
  const file = join(findingsDir, `${target}-${finding.kind}-${seed}-${k}.json`);
  const replay = `node fuzz/run.mjs --target ${target} --seed ${seed} --case ${k}`;
  writeFileSync(file, `${JSON.stringify({ target, seed, case: k, ...finding, replay }, null, 2)}\n`);
  process.stderr.write(
    `fuzz: FINDING ${finding.kind} in ${target} case ${k}: ${finding.message}\n  replay: ${replay}\n`,
  );
}

// Batches: targets in rotation, each with its own case counter; cases a dead worker left are redone first.
const nextCase = Object.fromEntries(targetList.map((t) => [t, 0]));
const requeued = [];
let issued = 0;
let rotation = 0;
let available = targetList;
let stopping = false;
function nextBatch() {
  if (stopping) return undefined;
  const again = requeued.shift();
  if (again !== undefined) return again;
  if (Date.now() >= deadline || (maxInputs !== undefined && issued >= maxInputs)) return undefined;
  const target = available[rotation++ % available.length];
  const count = maxInputs === undefined ? batchSize : Math.min(batchSize, maxInputs - issued);
  issued += count;
  const from = nextCase[target];
  nextCase[target] += count;
  return { target, seed, from, to: from + count };
}

const workers = [];
let setupFailures = 0;

function spawnWorker(id) {
  const child = fork(join(HERE, "worker.mjs"), [corpusDir, join(corpusDir, `w${id}`)], {
    stdio: ["ignore", "ignore", "pipe", "ipc"],
    execArgv: ["--max-old-space-size=1536"],
  });
  const w = {
    id,
    child,
    ready: false,
    batch: undefined,
    k: undefined,
    startedAt: 0,
    stderr: "",
    killedByUs: false,
  };
  child.stderr.on("data", (d) => {
    w.stderr = (w.stderr + d.toString()).slice(-4000);
  });
  child.on("message", (msg) => onMessage(w, msg));
  child.on("exit", (code, signal) => onExit(w, code, signal));
  workers[id] = w;
  return w;
}

function dispatch(w) {
  const b = nextBatch();
  w.batch = b;
  w.k = undefined;
  if (b === undefined) {
    w.child.kill();
    return;
  }
  w.child.send({ type: "batch", ...b });
}

function onMessage(w, msg) {
  if (msg.type === "ready") {
    w.ready = true;
    available = targetList.filter((t) => msg.targets.includes(t));
    if (available.length === 0) {
      process.stderr.write(`fuzz: no corpus for targets ${targetList.join(",")}\n`);
      process.exit(2);
    }
    dispatch(w);
  } else if (msg.type === "at") {
    w.k = msg.k;
    w.startedAt = Date.now();
  } else if (msg.type === "result") {
    const s = tally(msg.target);
    s.inputs++;
    if (msg.outcome !== "finding") s[msg.outcome]++;
    for (const c of msg.codes) s.codes[c] = (s.codes[c] ?? 0) + 1;
    w.k = undefined;
  } else if (msg.type === "finding") {
    record(msg.target, msg.k, msg.finding);
  } else if (msg.type === "done") {
    dispatch(w);
  }
}

function killFor(w, kind, message) {
  if (w.batch !== undefined && w.k !== undefined) {
    const s = tally(w.batch.target);
    s.inputs++;
    record(w.batch.target, w.k, { kind, message, stack: w.stderr.slice(-2000) });
    if (w.k + 1 < w.batch.to) requeued.push({ ...w.batch, from: w.k + 1 });
  } else if (w.batch !== undefined) {
    requeued.push(w.batch);
  }
  w.batch = undefined;
  w.killedByUs = true;
  w.child.kill("SIGKILL");
}

function onExit(w, code, signal) {
  if (!w.ready) {
    if (!w.killedByUs) {
      process.stderr.write(`fuzz: worker ${w.id} failed to start (exit ${code ?? signal}):\n${w.stderr}\n`);
      if (++setupFailures >= 3) process.exit(2);
    }
  } else if (!w.killedByUs && w.batch !== undefined) {
    killFor(w, "crash", `worker exited (${signal ?? `code ${code}`}) during the case`);
  }
  const finished = w.batch === undefined && requeued.length === 0 && nextBatchWouldBeEmpty();
  if (!finished || (!w.killedByUs && w.batch !== undefined)) {
    spawnWorker(w.id);
    return;
  }
  workers[w.id] = undefined;
  if (workers.every((x) => x === undefined)) finish();
}

function nextBatchWouldBeEmpty() {
  return stopping || Date.now() >= deadline || (maxInputs !== undefined && issued >= maxInputs);
}

// Ctrl-C (or SIGTERM): finish the batches running, then print and save the counts as usual.
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    if (stopping) process.exit(130);
    stopping = true;
    requeued.length = 0;
    process.stderr.write(`fuzz: ${sig}: finishing the running batches (again to quit now)\n`);
  });
}

function rssOf(pid) {
  try {
    const pages = Number(readFileSync(`/proc/${pid}/statm`, "utf8").split(" ")[1]);
    return pages * 4096;
  } catch {
    return 0;
  }
}

let lastReport = Date.now();
const watchdog = setInterval(() => {
  const now = Date.now();
  for (const w of workers) {
    if (w === undefined || !w.ready || w.killedByUs) continue;
    if (w.k !== undefined && now - w.startedAt > HANG_MS) {
      killFor(w, "hang", `case still running after ${HANG_MS / 1000} s`);
      continue;
    }
    const rss = rssOf(w.child.pid);
    if (rss > MAX_RSS) killFor(w, "rss", `worker resident set ${Math.round(rss / 1024 ** 2)} MiB > 1 GiB`);
  }
  if (now - lastReport >= 30_000) {
    lastReport = now;
    writeSummary(true);
    const inputs = [...stats.values()].reduce((a, s) => a + s.inputs, 0);
    const secs = (now - started) / 1000;
    process.stderr.write(
      `fuzz: ${Math.round(secs)} s, ${inputs} inputs (${Math.round(inputs / secs)}/s), ${totalFindings} findings\n`,
    );
  }
}, 250);

/** Writes the counts so far to summary-SEED.json (`partial` while the campaign runs). */
function writeSummary(partial) {
  const rows = targetList.filter((t) => stats.has(t)).map((t) => [t, stats.get(t)]);
  const total = rows.reduce((a, [, s]) => a + s.inputs, 0);
  const seconds = Math.round((Date.now() - started) / 1000);
  const summary = { seed, partial, seconds, workers: workerCount, total, findings: totalFindings };
  writeFileSync(
    join(findingsDir, `summary-${seed}.json`),
    `${JSON.stringify({ ...summary, targets: Object.fromEntries(rows) }, null, 2)}\n`,
  );
}

function finish() {
  clearInterval(watchdog);
  const secs = (Date.now() - started) / 1000;
  const rows = targetList.filter((t) => stats.has(t)).map((t) => [t, stats.get(t)]);
  const total = rows.reduce((a, [, s]) => a + s.inputs, 0);
  const lines = [
    `fuzz: seed ${seed}, ${total} inputs in ${secs.toFixed(0)} s (${Math.round(total / secs)}/s), ${workerCount} worker(s)`,
    `${"target".padEnd(14)} ${"inputs".padStart(9)} ${"ok".padStart(9)} ${"typed".padStart(9)} ${"findings".padStart(8)}  top codes`,
  ];
  for (const [t, s] of rows) {
    const top = Object.entries(s.codes)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 4)
      .map(([c, n]) => `${c} ${n}`)
      .join(", ");
    lines.push(
      `${t.padEnd(14)} ${String(s.inputs).padStart(9)} ${String(s.ok).padStart(9)} ${String(s.typed).padStart(9)} ${String(s.findings).padStart(8)}  ${top}`,
    );
  }
  lines.push(totalFindings === 0 ? "no findings" : `${totalFindings} findings in ${findingsDir}`);
  process.stdout.write(`${lines.join("\n")}\n`);
  writeSummary(false);
  if (args.corpus === undefined) rmSync(corpusDir, { recursive: true, force: true });
  process.exit(totalFindings > 0 ? 1 : 0);
}

for (let i = 0; i < workerCount; i++) spawnWorker(i);
