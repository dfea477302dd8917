// @ts-check
// benchmarks/build: how fast @rafscan/builder turns a Debian root filesystem into a RAFS v6 + zstd
// image, against `tar | zstd -3` of the same tree in the same run, and how its memory grows with
// input size (it must stream file data, not hold the image).
//
// usage: node benchmarks/build/run.mjs [--runs N] [--sizes 64,256,1024] [--out FILE]
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { CORPUS_VERSION, DEBIAN, ensureCorpora } from "../metadata/corpus.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "3" },
    sizes: { type: "string", default: "64,256,1024" },
    out: { type: "string", default: join(here, "results.json") },
  },
});
const runs = Number(values.runs);
const sizes = String(values.sizes).split(",").map(Number);
const cacheDir = join(here, "..", ".cache");
const log = (/** @type {string} */ m) => process.stderr.write(`${m}\n`);

await ensureCorpora({ cacheDir, log, only: ["debian-minbase"] });
const rootfs = join(cacheDir, `debian-${DEBIAN.suite}-${DEBIAN.variant}-v${CORPUS_VERSION}`, "rootfs");
const work = mkdtempSync(join(tmpdir(), "rafscan-build-bench-"));

/** @param {string[]} args */
function child(args) {
  const r = spawnSync(process.execPath, [join(here, "build-child.mjs"), ...args], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`build-child failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** Wall time of `tar -C DIR -cf - . | zstd -3 -T1`: the same bytes through one zstd thread. */
function tarZstdMs() {
  const t = performance.now();
  execFileSync("bash", ["-c", `tar -C ${JSON.stringify(rootfs)} -cf - . | zstd -3 -T1 -q -c > /dev/null`]);
  return performance.now() - t;
}

const median = (/** @type {number[]} */ xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
try {
  // Warm the page cache so both sides read the tree from memory.
  tarZstdMs();
  const ours = [];
  const base = [];
  for (let i = 0; i < runs; i++) {
    log(`debian build ${i + 1}/${runs}`);
    ours.push(child(["dir", rootfs, join(work, "debian")]));
    base.push(tarZstdMs());
  }
  const oursMs = median(ours.map((r) => r.ms));
  const baseMs = median(base);
  const bytesIn = ours[0].bytesIn;
  const debian = {
    entries: ours[0].entries,
    files: ours[0].files,
    bytesIn,
    blobBytes: ours[0].blobBytes,
    chunks: ours[0].chunks,
    dedupedChunks: ours[0].dedupedChunks,
    oursMsMedian: Math.round(oursMs),
    oursMBps: Math.round(bytesIn / 1e6 / (oursMs / 1000)),
    tarZstdMsMedian: Math.round(baseMs),
    tarZstdMBps: Math.round(bytesIn / 1e6 / (baseMs / 1000)),
    ratioOursToTarZstd: Math.round((oursMs / baseMs) * 100) / 100,
    peakRssMiB: Math.round(Math.max(...ours.map((r) => r.maxRssKiB)) / 1024),
  };
  const growth = [];
  for (const mib of sizes) {
    log(`synthetic ${mib} MiB`);
    const r = child(["synthetic", String(mib), join(work, `syn-${mib}`)]);
    growth.push({
      inputMiB: mib,
      ms: Math.round(r.ms),
      MBps: Math.round(r.bytesIn / 1e6 / (r.ms / 1000)),
      peakRssMiB: Math.round(r.maxRssKiB / 1024),
      blobMiB: Math.round(r.blobBytes / 1048576),
    });
    rmSync(join(work, `syn-${mib}`), { recursive: true, force: true });
  }
  const results = { date: new Date().toISOString(), node: process.version, runs, debian, growth };
  writeFileSync(String(values.out), `${JSON.stringify(results, null, 2)}\n`);
  console.log(
    `debian minbase: ${debian.entries} entries, ${(bytesIn / 1e6).toFixed(1)} MB in -> ${(debian.blobBytes / 1e6).toFixed(1)} MB blob`,
  );
  console.log(
    `  rafscan build (v6, zstd): ${debian.oursMsMedian} ms, ${debian.oursMBps} MB/s, peak RSS ${debian.peakRssMiB} MiB`,
  );
  console.log(
    `  tar | zstd -3 -T1:        ${debian.tarZstdMsMedian} ms, ${debian.tarZstdMBps} MB/s  (ours/baseline ${debian.ratioOursToTarZstd}x)`,
  );
  console.log("memory against input size (synthetic tar stream, zstd):");
  for (const g of growth)
    console.log(
      `  ${String(g.inputMiB).padStart(5)} MiB in: ${g.ms} ms, ${g.MBps} MB/s, peak RSS ${g.peakRssMiB} MiB`,
    );
} finally {
  rmSync(work, { recursive: true, force: true });
}
