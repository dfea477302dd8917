// @ts-check
// The scan benchmark: scanning a Debian image straight from a registry (openImage + scanImage, only
// the bootstrap and the files the analyzers read cross the link) against pulling the plain OCI image
// of the same tree (skopeo copy), extracting it (tar -x) and running the same analyzers on the
// extracted tree, over the same emulated link in the same run. Prints a table, writes results.json.
// See docs/benchmarks-scan.md.
import { createCipheriv } from "node:crypto";
import { createWriteStream, existsSync, readFileSync, rmSync, statSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { tsImport } from "tsx/esm/api";
import { intArg, numArg, parseLinkBenchArgs } from "../common/cli-args.mjs";
import { loadAverage, machineInfo } from "../common/machine.mjs";
import { commandExists, importBuilt, requireRegistry } from "../common/prerequisites.mjs";
import { writeResults } from "../common/results.mjs";
import { runMain } from "../common/run-main.mjs";
/** @import { Stat } from "../common/stats.mjs" */
import { mb, round, statOf } from "../common/stats.mjs";
import { withWorkSession } from "../common/work-session.mjs";
import { pushOciImage, writeTarGzLayer } from "./oci-image.mjs";
import { forkTimed, GNU_TIME, runTimed } from "./proc.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const SCAN_CHILD = join(here, "scan-child.mjs");
const DEBIAN_ROOTFS = new URL("../../tests/support/debian-rootfs.ts", import.meta.url).href;
const REPO = "bench/debian";
/** Where the growth image's extra data files go: no analyzer matches them. */
const DATA_DIR = "/opt/bench-data";

const USAGE = `usage: node benchmarks/scan/run.mjs [options]
  --runs N         measured runs of every case (default 3)
  --mbit N         emulated link bandwidth, Mbit/s (default 100)
  --rtt MS         emulated round trip, ms (default 30)
  --grow MIB       also measure an image with this many MiB of extra data files (1 MiB each,
                   incompressible, their own layer); 0 skips it (default 200)
  --fast-mbit N    a second, faster link for the base image only; 0 skips it (default 1000)
  --fast-rtt MS    its round trip (default 1)
  --no-loopback    skip the base image read straight from the registry on loopback, no emulation
  --out FILE       where to write results (default benchmarks/scan/results.json)
  --help`;

/**
 * @typedef {object} ImageSet  one tree, as a Nydus image and as a plain OCI image
 * @property {string} name  `base` or `grow`
 * @property {number} extraMiB  MiB of data files added to the Debian tree
 * @property {any} nydus  the builder's BuildResult
 * @property {import("./oci-image.mjs").TarGzLayer[]} ociLayers
 */

/**
 * @typedef {object} Pushed  what one link's registry holds of an ImageSet
 * @property {string} nydusRef  through the link
 * @property {string} ociRef  through the link
 * @property {number} nydusBytes  compressed size: layers of the Nydus manifest (blobs + bootstrap layer)
 * @property {number} ociBytes  compressed size: tar.gz layers + config
 */

runMain(main);

async function main() {
  const args = parseLinkBenchArgs(USAGE, here, {
    grow: { type: "string", default: "200" },
    "fast-mbit": { type: "string", default: "1000" },
    "fast-rtt": { type: "string", default: "1" },
    "no-loopback": { type: "boolean", default: false },
  });
  if (args === undefined) return;
  const { values, runs, mbit, rttMs } = args;
  const growMiB = intArg("grow", values.grow, 0, 4096);
  const fastMbit = numArg("fast-mbit", values["fast-mbit"], 0, 100_000);
  const fastRttMs = numArg("fast-rtt", values["fast-rtt"], 0, 2000);
  const log = (/** @type {string} */ msg) => process.stderr.write(`${msg}\n`);
  for (const cmd of ["skopeo", "tar", "gzip"]) {
    if (!commandExists(cmd)) throw new Error(`${cmd} is not installed`);
  }
  requireRegistry();
  if (!existsSync(GNU_TIME))
    log(`${GNU_TIME} is missing (apt-get install time): no peak RSS for skopeo and tar`);
  const buildCommand = "npx tsc -b packages/cli packages/builder packages/analyzers";
  const { buildImage, pushImage, readDirectory } = await importBuilt("@rafscan/builder", buildCommand);
  const { RegistryClient } = await importBuilt("@rafscan/registry", buildCommand);
  await importBuilt("@rafscan/analyzers", buildCommand);

  const benchStart = performance.now();
  const loadBefore = loadAverage();
  // The Debian tree of the scan tests (debootstrap minbase + python3 and node packages), cached.
  const { debianRootfs } = await tsImport(DEBIAN_ROOTFS, import.meta.url);
  const deb = await debianRootfs({ log });
  const dpkgInstalled = deb.dpkg.filter((/** @type {{ status: string }} */ r) => r.status === "ii").length;
  log(`tree ${deb.root}: ${deb.manifest.entries} entries, ${mb(deb.manifest.fileBytes)} MB of files`);

  await withWorkSession("rafscan-scan-bench-", async ({ work, startLink }) => {
    // --- the images, built once: Nydus (zstd, 1 MiB chunks, RAFS v6) and OCI (tar.gz) ---
    /** @type {ImageSet[]} */
    const sets = [];
    const baseLayer = await timedLog(log, "OCI layer of the Debian tree (tar | gzip)", () =>
      writeTarGzLayer(deb.root, join(work, "debian.tar.gz")),
    );
    const baseNydus = await timedLog(log, "Nydus image of the Debian tree", () =>
      buildImage([readDirectory(deb.root)], { outDir: join(work, "nydus-base"), fsVersion: 6 }),
    );
    sets.push({ name: "base", extraMiB: 0, nydus: baseNydus, ociLayers: [baseLayer] });
    if (growMiB > 0) {
      const dataRoot = join(work, "data-layer");
      await writeDataFiles(join(dataRoot, DATA_DIR), growMiB);
      const dataLayer = await timedLog(log, `OCI layer of ${growMiB} MiB of data files`, () =>
        writeTarGzLayer(dataRoot, join(work, "data.tar.gz")),
      );
      const growNydus = await timedLog(log, `Nydus image of the tree + ${growMiB} MiB`, () =>
        buildImage([readDirectory(deb.root), readDirectory(dataRoot)], {
          outDir: join(work, "nydus-grow"),
          fsVersion: 6,
        }),
      );
      rmSync(dataRoot, { recursive: true, force: true });
      sets.push({ name: "grow", extraMiB: growMiB, nydus: growNydus, ociLayers: [baseLayer, dataLayer] });
    }

    const baseOnly = sets.filter((s) => s.name === "base");
    /** @type {{ name: string, mbit: number, rttMs: number, direct: boolean, sets: ImageSet[] }[]} */
    const links = [
      { name: "main", mbit, rttMs, direct: false, sets },
      ...(fastMbit > 0
        ? [{ name: "fast", mbit: fastMbit, rttMs: fastRttMs, direct: false, sets: baseOnly }]
        : []),
      // No emulation at all: the clients talk to docker-registry on loopback (the link child still
      // runs, unused); bytes are then the clients' own counts. The limit of the advantage.
      ...(values["no-loopback"]
        ? []
        : [{ name: "loopback", mbit: 0, rttMs: 0, direct: true, sets: baseOnly }]),
    ];
    /** @type {any[]} */
    const rows = [];
    /** @type {Record<string, any>} */
    const images = {};
    for (const spec of links) {
      const link = await startLink(spec.direct ? 100_000 : spec.mbit, spec.rttMs);
      log(
        `link ${spec.name}: registry ${link.registry}, proxy ${link.proxy} (${spec.mbit} Mbit/s, ${spec.rttMs} ms RTT)`,
      );
      /** @type {Map<string, Pushed>} */
      const pushed = new Map();
      for (const set of spec.sets) {
        // Pushed straight to the registry, not through the link: only the reads are measured.
        const signal = AbortSignal.timeout(600_000);
        await pushImage(set.nydus, `${link.registry}/${REPO}:nydus-${set.name}`, { insecure: true, signal });
        const oci = await pushOciImage(
          RegistryClient,
          link.registry,
          REPO,
          `oci-${set.name}`,
          set.ociLayers,
          signal,
        );
        const manifest = JSON.parse(
          Buffer.from(
            (
              await new RegistryClient(link.registry, { insecure: true }).getManifest(
                REPO,
                `nydus-${set.name}`,
              )
            ).bytes,
          ).toString("utf8"),
        );
        const host = spec.direct ? link.registry : link.proxy;
        const p = {
          nydusRef: `${host}/${REPO}:nydus-${set.name}`,
          ociRef: `${host}/${REPO}:oci-${set.name}`,
          nydusBytes: manifest.layers.reduce(
            (/** @type {number} */ n, /** @type {any} */ l) => n + l.size,
            0,
          ),
          ociBytes: oci.imageBytes,
        };
        pushed.set(set.name, p);
        images[set.name] = {
          extraMiB: set.extraMiB,
          nydusBytes: p.nydusBytes,
          nydusLayers: manifest.layers.map((/** @type {any} */ l) => l.size),
          bootstrapBytes: statSync(set.nydus.bootstrap).size,
          ociBytes: p.ociBytes,
          ociLayers: set.ociLayers.map((l) => ({ size: l.size, tarBytes: l.tarBytes })),
        };
        log(`image ${set.name}: Nydus ${mb(p.nydusBytes)} MB, OCI ${mb(p.ociBytes)} MB`);
      }
      // Time limits assume at least 100 Mbit/s on loopback.
      const bandwidth = ((spec.direct ? 100 : spec.mbit) * 1e6) / 8;
      const ctx = { link, work, bandwidth, direct: spec.direct };
      // Warm-up, unmeasured: the page cache (node, skopeo, the modules) and the registry's own caches.
      log("warm-up");
      const first = /** @type {Pushed} */ (pushed.get("base"));
      await runRafscan(ctx, first);
      await runBaseline(ctx, first);
      /** @type {Map<string, { a: any[], b: any[] }>} */
      const samples = new Map(spec.sets.map((s) => [s.name, { a: [], b: [] }]));
      for (let r = 0; r < runs; r++) {
        // The cases alternate within a round, so drift in the machine's load hits them alike.
        for (const set of spec.sets) {
          const p = /** @type {Pushed} */ (pushed.get(set.name));
          const s = /** @type {{ a: any[], b: any[] }} */ (samples.get(set.name));
          log(`run ${r + 1}/${runs}, link ${spec.name}, image ${set.name}: (a) rafscan`);
          s.a.push(await runRafscan(ctx, p));
          log(`run ${r + 1}/${runs}, link ${spec.name}, image ${set.name}: (b) pull + extract + analyze`);
          s.b.push(await runBaseline(ctx, p));
        }
      }
      for (const set of spec.sets) {
        const s = /** @type {{ a: any[], b: any[] }} */ (samples.get(set.name));
        const p = /** @type {Pushed} */ (pushed.get(set.name));
        rows.push(summarize(spec, set, p, s.a, s.b, dpkgInstalled));
      }
      await link.stop();
    }

    const results = {
      benchmark: "scan",
      date: new Date().toISOString(),
      machine: machineInfo(loadBefore),
      settings: { runs, mbit, rttMs, growMiB, fastMbit, fastRttMs, dataDir: DATA_DIR },
      tree: { root: deb.root, ...deb.manifest, dpkgInstalled },
      images,
      rows,
      growth: growthOf(rows),
      totalSeconds: round((performance.now() - benchStart) / 1000, 1),
    };
    writeResults(values.out, results, printTable, log);
  });
}

/**
 * Case (a): a fresh process opens the Nydus image through the link and scans it.
 * @param {{ link: import("../common/link.mjs").Link, bandwidth: number, direct: boolean }} ctx
 * @param {Pushed} p
 */
async function runRafscan(ctx, p) {
  const limitMs = limitFor(p.nydusBytes, ctx.bandwidth);
  await ctx.link.reset();
  const { wallMs, result } = await forkTimed(
    SCAN_CHILD,
    ["remote", p.nydusRef, String(limitMs)],
    limitMs + 10_000,
  );
  const wire = ctx.direct
    ? // No proxy in the way: the transport's own count (every request and body byte but the ping).
      { requests: result.telemetry.requests, bytes: result.telemetry.bytesFetched, failed: 0, byKind: {} }
    : await ctx.link.stats();
  if (wire.failed > 0) throw new Error(`(a): ${wire.failed} requests failed at the proxy`);
  return { wallMs, wire, ...result };
}

/**
 * Case (b): `skopeo copy docker://… oci:…` through the link, `tar -xzf` of every layer in order,
 * then a fresh process builds an uncompressed RAFS image of the tree and scans it. Each phase is a
 * process of its own, timed and measured on its own; the copies are deleted afterwards, untimed.
 * @param {{ link: import("../common/link.mjs").Link, work: string, bandwidth: number, direct: boolean }} ctx
 * @param {Pushed} p
 */
async function runBaseline(ctx, p) {
  const limitMs = limitFor(p.ociBytes, ctx.bandwidth);
  const layout = join(ctx.work, "pulled");
  const tree = join(ctx.work, "extracted");
  const built = join(ctx.work, "local-image");
  for (const d of [layout, tree, built]) await rm(d, { recursive: true, force: true });
  try {
    await ctx.link.reset();
    const pull = await runTimed(
      "skopeo",
      [
        "copy",
        "--quiet",
        "--src-tls-verify=false",
        "--retry-times=0",
        `docker://${p.ociRef}`,
        `oci:${layout}:latest`,
      ],
      limitMs,
    );
    // The layers the copy wrote, bottom first, found through the layout's index and manifest.
    const index = JSON.parse(readFileSync(join(layout, "index.json"), "utf8"));
    const manifest = JSON.parse(readFileSync(blobPath(layout, index.manifests[0].digest), "utf8"));
    const wire = ctx.direct
      ? // No proxy in the way: what skopeo must have downloaded (config and layers; the manifest
        // is a few hundred bytes more).
        { requests: 2 + manifest.layers.length, bytes: p.ociBytes, failed: 0, byKind: {} }
      : await ctx.link.stats();
    if (wire.failed > 0) throw new Error(`(b): ${wire.failed} requests failed at the proxy`);
    await mkdir(tree, { recursive: true });
    let extractMs = 0;
    let extractRss = 0;
    for (const layer of manifest.layers) {
      // As root, tar restores owners, modes and device nodes, as a container runtime would.
      const t = await runTimed(
        "tar",
        ["--numeric-owner", "-xzf", blobPath(layout, layer.digest), "-C", tree],
        600_000,
      );
      extractMs += t.wallMs;
      extractRss = Math.max(extractRss, t.maxRssKiB ?? 0);
    }
    const analyze = await forkTimed(SCAN_CHILD, ["local", tree, built, "600000"], 610_000);
    return {
      pullMs: pull.wallMs,
      pullRssKiB: pull.maxRssKiB,
      extractMs,
      extractRssKiB: extractRss || undefined,
      analyzeMs: analyze.wallMs,
      wallMs: pull.wallMs + extractMs + analyze.wallMs,
      wire,
      ...analyze.result,
    };
  } finally {
    for (const d of [layout, tree, built]) await rm(d, { recursive: true, force: true });
  }
}

/**
 * A generous but finite limit: five times what `bytes` take at the link's rate, plus two minutes.
 * @param {number} bytes
 * @param {number} bandwidth  bytes per second
 */
function limitFor(bytes, bandwidth) {
  return Math.round(120_000 + (5000 * bytes) / bandwidth);
}

/**
 * @param {string} layout  an OCI image layout
 * @param {string} digest  `sha256:HEX`
 */
function blobPath(layout, digest) {
  const [alg, hex] = digest.split(":");
  if (alg !== "sha256" || hex === undefined || !/^[0-9a-f]{64}$/.test(hex))
    throw new Error(`bad digest ${digest}`);
  return join(layout, "blobs", alg, hex);
}

/**
 * One row per (link, image): medians of both cases, their ratios, and the check that both found
 * the same thing. Throws when they did not: a comparison of unequal work is worthless.
 * @param {{ name: string, mbit: number, rttMs: number, direct: boolean }} spec
 * @param {ImageSet} set
 * @param {Pushed} p
 * @param {any[]} a
 * @param {any[]} b
 * @param {number} dpkgInstalled
 */
function summarize(spec, set, p, a, b, dpkgInstalled) {
  const reference = a[0];
  for (const s of [...a, ...b]) {
    const diff = difference(reference.packages, s.packages);
    if (diff.length > 0 || JSON.stringify(reference.os) !== JSON.stringify(s.os)) {
      throw new Error(
        `link ${spec.name}, image ${set.name}: the scans differ (OS ${JSON.stringify(reference.os)} vs ${JSON.stringify(s.os)}); packages:\n${diff.slice(0, 20).join("\n")}`,
      );
    }
  }
  const dpkgFound = reference.packages.filter((/** @type {string} */ k) => k.startsWith("dpkg |")).length;
  const aWall = /** @type {Stat} */ (statOf(a, (s) => s.wallMs));
  const bWall = /** @type {Stat} */ (statOf(b, (s) => s.wallMs));
  const pullMs = /** @type {Stat} */ (statOf(b, (s) => s.pullMs));
  const pullExtract = /** @type {Stat} */ (statOf(b, (s) => s.pullMs + s.extractMs));
  const aBytes = /** @type {Stat} */ (statOf(a, (s) => s.wire.bytes));
  const bBytes = /** @type {Stat} */ (statOf(b, (s) => s.wire.bytes));
  const last = a[a.length - 1];
  return {
    link: spec.name,
    direct: spec.direct,
    mbit: spec.mbit,
    rttMs: spec.rttMs,
    image: set.name,
    extraMiB: set.extraMiB,
    nydusBytes: p.nydusBytes,
    ociBytes: p.ociBytes,
    a: {
      wallMs: aWall,
      inProcess: {
        loadMs: statOf(a, (s) => s.phases.loadMs),
        openMs: statOf(a, (s) => s.phases.openMs),
        scanMs: statOf(a, (s) => s.phases.scanMs),
      },
      wireBytes: aBytes,
      wireRequests: statOf(a, (s) => s.wire.requests),
      byKind: last.wire.byKind,
      maxRssMiB: statOf(a, (s) => s.maxRssKiB / 1024),
      telemetry: last.telemetry,
      analyzers: last.analyzers,
      warnings: last.warnings,
    },
    b: {
      wallMs: bWall,
      pullMs,
      extractMs: statOf(b, (s) => s.extractMs),
      analyzeMs: statOf(b, (s) => s.analyzeMs),
      analyzeInProcess: {
        loadMs: statOf(b, (s) => s.phases.loadMs),
        buildMs: statOf(b, (s) => s.phases.buildMs),
        openMs: statOf(b, (s) => s.phases.openMs),
        scanMs: statOf(b, (s) => s.phases.scanMs),
      },
      pullExtractMs: pullExtract,
      wireBytes: bBytes,
      wireRequests: statOf(b, (s) => s.wire.requests),
      pullRssMiB: statOf(b, (s) => (s.pullRssKiB === undefined ? undefined : s.pullRssKiB / 1024)),
      extractRssMiB: statOf(b, (s) => (s.extractRssKiB === undefined ? undefined : s.extractRssKiB / 1024)),
      analyzeRssMiB: statOf(b, (s) => s.maxRssKiB / 1024),
      // The rate the pull reached against the nominal one: the emulation tops out near 200 Mbit/s.
      pullMbit: round((bBytes.median * 8) / 1e6 / (pullMs.median / 1000), 1),
    },
    sameResult: {
      packages: reference.packages.length,
      dpkgFound,
      dpkgInstalled,
      os: reference.os,
      runsCompared: a.length + b.length,
    },
    ratios: {
      bytesOfNydus: round(aBytes.median / p.nydusBytes, 5),
      bytesOfOci: round(aBytes.median / p.ociBytes, 5),
      speedup: round(bWall.median / aWall.median, 1),
      speedupPullExtractOnly: round(pullExtract.median / aWall.median, 1),
    },
  };
}

/**
 * Lines of `b` missing from `a` and of `a` missing from `b`, marked `-`/`+`.
 * @param {string[]} a
 * @param {string[]} b
 */
function difference(a, b) {
  const sa = new Set(a);
  const sb = new Set(b);
  return [
    ...a.filter((x) => !sb.has(x)).map((x) => `- ${x}`),
    ...b.filter((x) => !sa.has(x)).map((x) => `+ ${x}`),
  ];
}

/**
 * How each case's cost grows from the base image to the one with extra data files (main link).
 * @param {any[]} rows
 */
function growthOf(rows) {
  const base = rows.find((r) => r.link === "main" && r.image === "base");
  const grow = rows.find((r) => r.link === "main" && r.image === "grow");
  if (base === undefined || grow === undefined) return undefined;
  const per = (/** @type {number} */ x, /** @type {number} */ y) => round((y - x) / grow.extraMiB, 1);
  return {
    extraMiB: grow.extraMiB,
    a: {
      wireBytes: [base.a.wireBytes.median, grow.a.wireBytes.median],
      wallMs: [base.a.wallMs.median, grow.a.wallMs.median],
      bytesPerExtraMiB: per(base.a.wireBytes.median, grow.a.wireBytes.median),
      msPerExtraMiB: per(base.a.wallMs.median, grow.a.wallMs.median),
    },
    b: {
      wireBytes: [base.b.wireBytes.median, grow.b.wireBytes.median],
      wallMs: [base.b.wallMs.median, grow.b.wallMs.median],
      bytesPerExtraMiB: per(base.b.wireBytes.median, grow.b.wireBytes.median),
      msPerExtraMiB: per(base.b.wallMs.median, grow.b.wallMs.median),
    },
  };
}

/** @param {any} results */
function printTable(results) {
  const lines = [];
  const m = results.machine;
  lines.push(`${results.settings.runs} runs; ${m.cpus} × ${m.cpuModel}, ${m.node}`);
  lines.push(
    `load average before ${m.loadAverage1_5_15.before.join(" ")}, after ${m.loadAverage1_5_15.after.join(" ")}`,
  );
  for (const [name, img] of Object.entries(results.images)) {
    lines.push(
      `image ${name}: Nydus ${mb(img.nydusBytes)} MB (bootstrap ${mb(img.bootstrapBytes)} MB before gzip), OCI ${mb(img.ociBytes)} MB`,
    );
  }
  for (const r of results.rows) {
    lines.push("");
    const where = r.direct ? "loopback, no emulation" : `link ${r.mbit} Mbit/s, ${r.rttMs} ms RTT`;
    lines.push(
      `${where}, image ${r.image}: ${r.sameResult.packages} packages in both cases (dpkg ${r.sameResult.dpkgFound} of ${r.sameResult.dpkgInstalled} installed)`,
    );
    const a = r.a;
    const b = r.b;
    const range = (/** @type {any} */ s) =>
      `${Math.round(s.median)} ms (${Math.round(s.best)}-${Math.round(s.worst)})`;
    lines.push(
      `  (a) rafscan:  ${range(a.wallMs)}; ${mb(a.wireBytes.median)} MB in ${a.wireRequests.median} requests (${pct(r.ratios.bytesOfNydus)} of the Nydus image, ${pct(r.ratios.bytesOfOci)} of the OCI image); peak RSS ${Math.round(a.maxRssMiB.median)} MiB; in-process: load ${Math.round(a.inProcess.loadMs.median)}, open ${Math.round(a.inProcess.openMs.median)}, scan ${Math.round(a.inProcess.scanMs.median)} ms`,
    );
    lines.push(
      `  (b) baseline: ${range(b.wallMs)} = pull ${Math.round(b.pullMs.median)} (${b.pullMbit} Mbit/s, ${mb(b.wireBytes.median)} MB, RSS ${rss(b.pullRssMiB)}) + extract ${Math.round(b.extractMs.median)} (RSS ${rss(b.extractRssMiB)}) + analyze ${Math.round(b.analyzeMs.median)} (build ${Math.round(b.analyzeInProcess.buildMs.median)}, scan ${Math.round(b.analyzeInProcess.scanMs.median)}; RSS ${rss(b.analyzeRssMiB)})`,
    );
    lines.push(
      `  speed-up (b)/(a): ${r.ratios.speedup}x; pull + extract only (${Math.round(b.pullExtractMs.median)} ms): ${r.ratios.speedupPullExtractOnly}x`,
    );
  }
  const g = results.growth;
  if (g !== undefined) {
    lines.push("");
    lines.push(`growth with ${g.extraMiB} MiB more data (main link, medians):`);
    for (const k of ["a", "b"]) {
      const x = g[k];
      lines.push(
        `  (${k}) ${x.wireBytes.map(mb).join(" -> ")} MB, ${x.wallMs.map(Math.round).join(" -> ")} ms: ${x.bytesPerExtraMiB} bytes and ${x.msPerExtraMiB} ms per extra MiB`,
      );
    }
  }
  process.stdout.write(`${lines.join("\n")}\n`);
}

/**
 * Writes `mib` files of 1 MiB of deterministic, incompressible bytes (AES-256-CTR keystream over
 * zeros, fixed key, one IV per file): neither gzip nor zstd shrinks them, so they cost their full
 * size in both images, as media, archives or model weights would.
 * @param {string} dir
 * @param {number} mib
 */
async function writeDataFiles(dir, mib) {
  await mkdir(dir, { recursive: true });
  const zeros = Buffer.alloc(1 << 20);
  for (let i = 0; i < mib; i++) {
    const iv = Buffer.alloc(16);
    iv.writeUInt32BE(i, 0);
    const bytes = createCipheriv("aes-256-ctr", Buffer.alloc(32, 0x5e), iv).update(zeros);
    await new Promise((resolve, reject) => {
      const out = createWriteStream(join(dir, `data-${String(i).padStart(4, "0")}.bin`));
      out.once("error", reject);
      out.end(bytes, () => resolve(undefined));
    });
  }
}

/**
 * @template T
 * @param {(m: string) => void} log
 * @param {string} what
 * @param {() => Promise<T>} f
 * @returns {Promise<T>}
 */
async function timedLog(log, what, f) {
  const t0 = performance.now();
  const out = await f();
  log(`${what}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return out;
}

/** @param {number} ratio */
function pct(ratio) {
  return `${(ratio * 100).toFixed(2)}%`;
}

/** @param {{ median: number } | undefined} s */
function rss(s) {
  return s === undefined ? "?" : `${Math.round(s.median)} MiB`;
}
