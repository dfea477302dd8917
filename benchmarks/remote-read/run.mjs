// @ts-check
// The remote-read benchmark: what reading a few files of a Nydus image straight from a registry
// costs over an emulated link (default 100 Mbit/s, 30 ms RTT), against downloading the whole image
// as a plain pull does, measured in the same run. Prints a table and writes results.json.
// See docs/benchmarks-remote-read.md.
import { spawn } from "node:child_process";
import { createCipheriv, createHash } from "node:crypto";
import { setMaxListeners } from "node:events";
import { createWriteStream, readFileSync, rmSync, statSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { intArg, parseLinkBenchArgs } from "../common/cli-args.mjs";
import { loadAverage, machineInfo } from "../common/machine.mjs";
import { commandExists, importBuilt, requireRegistry } from "../common/prerequisites.mjs";
import { writeResults } from "../common/results.mjs";
import { runMain } from "../common/run-main.mjs";
import { mb, round, stat, statOf } from "../common/stats.mjs";
import { withWorkSession } from "../common/work-session.mjs";
import { CORPUS_VERSION, DEBIAN, ensureCorpora } from "../metadata/corpus.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const REPO = "bench/minbase";

const USAGE = `usage: node benchmarks/remote-read/run.mjs [options]
  --runs N       measured runs of every case (default 3)
  --mbit N       emulated link bandwidth, Mbit/s, shared by all responses (default 100)
  --rtt MS       emulated round trip, added once per request before its answer (default 30)
  --large MIB    size of the large file added to the Debian tree (default 64)
  --grow MIB     also measure (a) and the baseline on an image whose large file has this size,
                 to show how cost grows with image size; 0 skips it (default 256)
  --no-skopeo    skip the skopeo copy baseline (it is skipped anyway when skopeo is missing)
  --out FILE     where to write results (default benchmarks/remote-read/results.json)
  --cache DIR    corpus cache (default benchmarks/.cache)
  --help`;

/**
 * What a scanner reads from a Debian image: OS identification, the package database, accounts,
 * a few configs and license files. 20 files, 6 bytes to 77 KB; /etc/os-release is a symlink.
 */
const SMALL_FILES = /** @type {const} */ ([
  "/etc/os-release",
  "/etc/debian_version",
  "/var/lib/dpkg/status",
  "/etc/passwd",
  "/etc/group",
  "/etc/shadow",
  "/etc/hostname",
  "/etc/apt/sources.list",
  "/etc/issue",
  "/etc/login.defs",
  "/etc/nsswitch.conf",
  "/etc/shells",
  "/etc/ld.so.conf",
  "/etc/profile",
  "/etc/bash.bashrc",
  "/var/lib/dpkg/info/base-files.list",
  "/usr/share/doc/base-files/copyright",
  "/usr/share/doc/libc6/copyright",
  "/usr/share/doc/bash/copyright",
  "/usr/share/doc/coreutils/copyright",
]);
/** Where the large file sits in the image (its own layer, as a `COPY` in a Dockerfile would put it). */
const LARGE_PATH = "/opt/bench/large.bin";

/**
 * @typedef {object} Sample
 * @property {number} wallMs  open + reads (or the whole download), as this process waited for it
 * @property {number} [openMs]  openImage: manifest, config and bootstrap layer
 * @property {number} [readMs]  the reads after open
 * @property {number} clientRequests  requests the client counted (image.origin.transport, or our own count)
 * @property {number} clientBytes  body bytes the client counted
 * @property {{ requests: number, bytes: number, failed: number, byKind: Record<string, { requests: number, bytes: number }> }} proxy
 *   what the proxy counted: every request, and response body bytes
 * @property {Record<string, number>} [transport]  image.origin.transport after the reads
 */

/**
 * @typedef {object} Case
 * @property {string} name  id used in tables and results.json
 * @property {"a" | "b" | "c"} group  a: small files, b: the large file, c: whole-image baseline
 * @property {number} largeMiB  which image
 * @property {"small" | "large" | "getBlob" | "skopeo"} kind
 * @property {Record<string, number>} [options]  openImage options that differ from the defaults
 * @property {string} what  one line for the table
 */

runMain(main);

async function main() {
  const args = parseLinkBenchArgs(USAGE, here, {
    large: { type: "string", default: "64" },
    grow: { type: "string", default: "256" },
    "no-skopeo": { type: "boolean", default: false },
    cache: { type: "string", default: join(here, "..", ".cache") },
  });
  if (args === undefined) return;
  const { values, runs, mbit, rttMs } = args;
  const largeMiB = intArg("large", values.large, 1, 4096);
  const growMiB = intArg("grow", values.grow, 0, 4096);
  if (growMiB !== 0 && growMiB <= largeMiB) throw new Error("--grow must be 0 or larger than --large");
  const bandwidth = (mbit * 1e6) / 8;
  const useSkopeo = !values["no-skopeo"] && commandExists("skopeo");
  const log = (/** @type {string} */ msg) => process.stderr.write(`${msg}\n`);

  const buildCommand = "npx tsc -b packages/cli packages/builder";
  const { buildImage, pushImage, readDirectory } = await importBuilt("@rafscan/builder", buildCommand);
  const { openImage, RegistryClient } = await importBuilt("@rafscan/registry", buildCommand);
  requireRegistry();

  const benchStart = performance.now();
  const loadBefore = loadAverage();
  await ensureCorpora({ cacheDir: values.cache, log, only: ["debian-minbase"] });
  const rootfs = join(values.cache, `debian-${DEBIAN.suite}-${DEBIAN.variant}-v${CORPUS_VERSION}`, "rootfs");
  const expectedSmall = SMALL_FILES.map((p) => readFileSync(join(rootfs, p)));

  await withWorkSession("rafscan-remote-read-", async ({ work, startLink }) => {
    // --- the images: the Debian tree as one layer, a large file as a second layer ---
    const sizes = growMiB === 0 ? [largeMiB] : [largeMiB, growMiB];
    /** @type {Map<number, { ref: string, sha256: string, build: object, layers: { mediaType: string, size: number }[] }>} */
    const images = new Map();
    const link = await startLink(mbit, rttMs);
    log(`registry ${link.registry}, link proxy ${link.proxy} (${mbit} Mbit/s, ${rttMs} ms RTT)`);
    for (const mib of sizes) {
      const layerDir = join(work, `layer-${mib}`);
      const sha256 = await writeLargeFile(join(layerDir, LARGE_PATH), mib);
      const t0 = performance.now();
      const built = await buildImage([readDirectory(rootfs), readDirectory(layerDir)], {
        outDir: join(work, `image-${mib}`),
        fsVersion: 6,
      });
      const buildMs = performance.now() - t0;
      // Pushed straight to the registry, not through the link: only reads are measured.
      const tag = `large-${mib}`;
      const t1 = performance.now();
      await pushImage(built, `${link.registry}/${REPO}:${tag}`, {
        insecure: true,
        signal: AbortSignal.timeout(300_000),
      });
      const pushMs = performance.now() - t1;
      rmSync(layerDir, { recursive: true, force: true });
      const manifest = JSON.parse(
        Buffer.from(
          (await new RegistryClient(link.registry, { insecure: true }).getManifest(REPO, tag)).bytes,
        ).toString("utf8"),
      );
      const layers = manifest.layers.map((/** @type {any} */ l) => ({
        mediaType: l.mediaType,
        size: l.size,
      }));
      images.set(mib, {
        ref: `${link.proxy}/${REPO}:${tag}`,
        sha256,
        layers,
        build: {
          buildMs: Math.round(buildMs),
          pushMs: Math.round(pushMs),
          bootstrapBytes: statSync(built.bootstrap).size,
          blobBytes: built.blobs.map((/** @type {{ size: number }} */ b) => b.size),
          imageBytes: layers.reduce(
            (/** @type {number} */ n, /** @type {{ size: number }} */ l) => n + l.size,
            0,
          ),
          configBytes: manifest.config.size,
        },
      });
      log(
        `image large-${mib}: built in ${(buildMs / 1000).toFixed(1)} s, pushed in ${(pushMs / 1000).toFixed(1)} s, layers ${layers.map((/** @type {{ size: number }} */ l) => mb(l.size)).join(" + ")} MB`,
      );
      // The builder's output is in the registry now; the copies here only take disk.
      rmSync(join(work, `image-${mib}`), { recursive: true, force: true });
    }

    /** @type {Case[]} */
    const cases = [
      { name: "a default", group: "a", largeMiB, kind: "small", what: "20 small files, default options" },
      {
        name: "a no-coalesce",
        group: "a",
        largeMiB,
        kind: "small",
        options: { gap: 0, maxRequestBytes: 1 },
        what: "20 small files, gap 0 + maxRequestBytes 1 (one request per chunk)",
      },
      {
        name: "a concurrency-1",
        group: "a",
        largeMiB,
        kind: "small",
        options: { concurrency: 1 },
        what: "20 small files, concurrency 1",
      },
      ...[8, 4, 1].map(
        (n) =>
          /** @type {Case} */ ({
            name: `b concurrency-${n}`,
            group: "b",
            largeMiB,
            kind: "large",
            options: { concurrency: n },
            what: `the ${largeMiB} MiB file, concurrency ${n}${n === 8 ? " (default)" : ""}`,
          }),
      ),
      { name: "c getBlob", group: "c", largeMiB, kind: "getBlob", what: "baseline: every layer + config" },
      ...(useSkopeo
        ? [
            /** @type {Case} */ ({
              name: "c skopeo",
              group: "c",
              largeMiB,
              kind: "skopeo",
              what: "baseline: skopeo copy docker:// dir:",
            }),
          ]
        : []),
      ...(growMiB === 0
        ? []
        : /** @type {Case[]} */ ([
            {
              name: `a default @${growMiB}`,
              group: "a",
              largeMiB: growMiB,
              kind: "small",
              what: `20 small files, image with a ${growMiB} MiB file`,
            },
            {
              name: `c getBlob @${growMiB}`,
              group: "c",
              largeMiB: growMiB,
              kind: "getBlob",
              what: `baseline, image with a ${growMiB} MiB file`,
            },
          ])),
    ];

    const ctx = { link, images, expectedSmall, openImage, RegistryClient, bandwidth, work };
    // Warm-up, unmeasured: module loading, JIT and the codecs' set-up would otherwise land on the
    // first case; it also checks both read paths once more before anything is timed.
    log("warm-up");
    await runCase(ctx, /** @type {Case} */ (cases[0]));
    await runCase(ctx, /** @type {Case} */ (cases[3]));

    /** @type {Map<string, Sample[]>} */
    const samples = new Map();
    for (let r = 0; r < runs; r++) {
      // Cases alternate within a round, so drift in machine load hits them all alike.
      for (const c of cases) {
        log(`run ${r + 1}/${runs}: ${c.name}`);
        const s = await runCase(ctx, c);
        samples.set(c.name, [...(samples.get(c.name) ?? []), s]);
      }
    }

    const rows = cases.map((c) => summarizeCase(c, samples.get(c.name) ?? []));
    for (const row of rows) {
      const base = rows.find((b) => b.name.startsWith("c getBlob") && b.largeMiB === row.largeMiB);
      if (base === undefined) continue;
      row.vsBaseline = {
        bytes: round(row.proxyBytes.median / base.proxyBytes.median, 4),
        wall: round(row.wallMs.median / base.wallMs.median, 3),
        speedup: round(base.wallMs.median / row.wallMs.median, 1),
      };
    }
    const results = {
      benchmark: "remote-read",
      date: new Date().toISOString(),
      machine: machineInfo(loadBefore),
      settings: {
        runs,
        mbit,
        rttMs,
        bytesPerSecond: bandwidth,
        largeMiB,
        growMiB,
        skopeo: useSkopeo,
        smallFiles: SMALL_FILES,
        smallFileBytes: expectedSmall.reduce((n, b) => n + b.length, 0),
        corpusVersion: CORPUS_VERSION,
        debian: DEBIAN,
      },
      images: Object.fromEntries([...images].map(([mib, img]) => [`large-${mib}`, img])),
      cases: rows,
      growth: growthOf(rows, largeMiB, growMiB),
      linkCheck: linkCheckOf(rows, mbit),
      totalSeconds: round((performance.now() - benchStart) / 1000, 1),
    };
    writeResults(values.out, results, printTable, log);
  });
}

/**
 * One measured run of one case, with the proxy's counters reset before it. Every read is checked
 * against the source tree (small files) or the large file's digest, so a fast wrong answer fails.
 * @param {{ link: import("../common/link.mjs").Link, images: Map<number, any>, expectedSmall: Buffer[], openImage: any, RegistryClient: any, bandwidth: number, work: string }} ctx
 * @param {Case} c
 * @returns {Promise<Sample>}
 */
async function runCase(ctx, c) {
  const img = ctx.images.get(c.largeMiB);
  // Generous but finite: five times what the whole image takes at the link's rate, plus a minute.
  const limitMs = Math.round(60_000 + (5000 * img.build.imageBytes) / ctx.bandwidth);
  const signal = AbortSignal.timeout(limitMs);
  // Every pending chunk read listens on the signal (RegistryBlobSource does not remove its
  // listener when a read completes), so one signal over 20 files passes node's default of 10.
  setMaxListeners(10_000, signal);
  await ctx.link.reset();
  /** @type {Omit<Sample, "proxy">} */
  let sample;
  if (c.kind === "small" || c.kind === "large") {
    const t0 = performance.now();
    const image = await ctx.openImage(img.ref, {
      insecure: true,
      dockerConfig: false,
      signal,
      ...(c.options ?? {}),
    });
    const t1 = performance.now();
    try {
      if (c.kind === "small") {
        const got = await Promise.all(SMALL_FILES.map((p) => image.readFile(p, { signal })));
        got.forEach((b, i) => {
          if (!Buffer.from(b).equals(/** @type {Buffer} */ (ctx.expectedSmall[i]))) {
            throw new Error(`${c.name}: ${SMALL_FILES[i]} differs from the source tree`);
          }
        });
      } else {
        const got = await image.readFile(LARGE_PATH, { signal });
        if (createHash("sha256").update(got).digest("hex") !== img.sha256) {
          throw new Error(`${c.name}: ${LARGE_PATH} differs from the file written`);
        }
      }
    } finally {
      await image.close();
    }
    const t2 = performance.now();
    const transport = { ...image.origin.transport };
    sample = {
      wallMs: t2 - t0,
      openMs: t1 - t0,
      readMs: t2 - t1,
      clientRequests: transport.rangeRequests + transport.otherRequests,
      clientBytes: transport.bytesFetched,
      transport: Object.fromEntries(Object.entries(transport).map(([k, v]) => [k, round(v, 1)])),
    };
  } else if (c.kind === "getBlob") {
    sample = await pullAll(ctx, img.ref, signal);
  } else {
    sample = await skopeoCopy(ctx, img.ref, limitMs);
  }
  const proxy = await ctx.link.stats();
  if (proxy.failed > 0) throw new Error(`${c.name}: ${proxy.failed} requests failed at the proxy`);
  return { ...sample, proxy };
}

/**
 * The baseline: what a plain pull downloads, through the same link. The manifest, then the config
 * and every layer (data blobs and the bootstrap layer) at once, each stream verified (length and
 * digest) by RegistryClient.getBlob and read to the end.
 * @param {{ RegistryClient: any }} ctx
 * @param {string} ref  `host/repo:tag`
 * @param {AbortSignal} signal
 */
async function pullAll(ctx, ref, signal) {
  const [host, rest] = splitRef(ref);
  const [repo, tag] = rest.split(":");
  const t0 = performance.now();
  const client = new ctx.RegistryClient(host, { insecure: true });
  const fetched = await client.getManifest(repo, tag, { signal });
  const manifest = JSON.parse(Buffer.from(fetched.bytes).toString("utf8"));
  let bytes = fetched.bytes.length;
  /** @type {{ digest: string, size: number }[]} */
  const blobs = [manifest.config, ...manifest.layers];
  await Promise.all(
    blobs.map(async (d) => {
      const stream = await client.getBlob(repo, d.digest, { size: d.size, signal });
      for await (const chunk of stream) bytes += chunk.length;
    }),
  );
  return { wallMs: performance.now() - t0, clientRequests: 1 + blobs.length, clientBytes: bytes };
}

/**
 * The other baseline: `skopeo copy docker://… dir:…`, the whole image to disk, as a user would
 * pull it. The copy is deleted afterwards; the run is killed past `limitMs`.
 * @param {{ work: string }} ctx
 * @param {string} ref
 * @param {number} limitMs
 */
async function skopeoCopy(ctx, ref, limitMs) {
  const dest = join(ctx.work, "skopeo-out");
  await rm(dest, { recursive: true, force: true });
  const t0 = performance.now();
  const child = spawn(
    "skopeo",
    ["copy", "--quiet", "--src-tls-verify=false", "--retry-times=0", `docker://${ref}`, `dir:${dest}`],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr.on("data", (/** @type {Buffer} */ d) => {
    stderr = (stderr + d.toString("utf8")).slice(-4000);
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), limitMs);
  const code = await new Promise((resolve) => child.once("exit", (c, sig) => resolve(c ?? sig)));
  clearTimeout(timer);
  const wallMs = performance.now() - t0;
  if (code !== 0) throw new Error(`skopeo copy exited with ${code}: ${stderr}`);
  let bytes = 0;
  let files = 0;
  for (const name of ["manifest.json", ...listBlobs(dest)]) {
    bytes += statSync(join(dest, name)).size;
    files++;
  }
  await rm(dest, { recursive: true, force: true });
  return { wallMs, clientRequests: files, clientBytes: bytes };
}

/**
 * Names of the blob files skopeo wrote into a `dir:` copy (64 hex digits, no `sha256:` prefix).
 * @param {string} dir
 */
function listBlobs(dir) {
  const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
  return [manifest.config, ...manifest.layers].map((/** @type {{ digest: string }} */ d) =>
    d.digest.replace(/^sha256:/, ""),
  );
}

/**
 * Writes `mib` MiB of deterministic, incompressible bytes (AES-256-CTR keystream over zeros, fixed
 * key): zstd cannot shrink them, so every chunk costs its full size on the wire, as media,
 * archives or binaries already compressed would. Returns the sha256 hex of the file.
 * @param {string} path
 * @param {number} mib
 */
async function writeLargeFile(path, mib) {
  await mkdir(dirname(path), { recursive: true });
  const cipher = createCipheriv("aes-256-ctr", Buffer.alloc(32, 0x5e), Buffer.alloc(16, 0));
  const hash = createHash("sha256");
  const out = createWriteStream(path);
  const zeros = Buffer.alloc(1 << 20);
  for (let i = 0; i < mib; i++) {
    const piece = cipher.update(zeros);
    hash.update(piece);
    if (!out.write(piece)) await new Promise((resolve) => out.once("drain", () => resolve(undefined)));
  }
  await new Promise((resolve, reject) =>
    out.end((/** @type {unknown} */ err) => (err ? reject(err) : resolve(undefined))),
  );
  return hash.digest("hex");
}

/**
 * @param {Case} c
 * @param {Sample[]} list
 */
function summarizeCase(c, list) {
  const medianOf = (/** @type {(s: Sample) => number | undefined} */ f) => statOf(list, f)?.median;
  const last = list[list.length - 1];
  return {
    name: c.name,
    group: c.group,
    what: c.what,
    largeMiB: c.largeMiB,
    options: c.options ?? {},
    wallMs: stat(list.map((s) => s.wallMs)),
    openMs: medianOf((s) => s.openMs),
    readMs: medianOf((s) => s.readMs),
    clientRequests: stat(list.map((s) => s.clientRequests)),
    clientBytes: stat(list.map((s) => s.clientBytes)),
    proxyRequests: stat(list.map((s) => s.proxy.requests)),
    proxyBytes: stat(list.map((s) => s.proxy.bytes)),
    // Effective rate over the case's whole wall time: near the link rate only for big transfers.
    mbitPerSec: round(
      (stat(list.map((s) => s.proxy.bytes)).median * 8) /
        1e6 /
        (stat(list.map((s) => s.wallMs)).median / 1000),
      1,
    ),
    proxyByKind: last?.proxy.byKind ?? {},
    ...(last?.transport === undefined ? {} : { transport: last.transport }),
    /** @type {{ bytes: number, wall: number, speedup: number } | undefined} */
    vsBaseline: undefined,
  };
}

/**
 * How cost grows with the image: (a) and the baseline on the image with the `--large` file and on
 * the one with the `--grow` file.
 * @param {ReturnType<typeof summarizeCase>[]} rows
 * @param {number} largeMiB
 * @param {number} growMiB
 */
function growthOf(rows, largeMiB, growMiB) {
  if (growMiB === 0) return undefined;
  const pick = (/** @type {string} */ prefix, /** @type {number} */ mib) =>
    rows.find((r) => r.name.startsWith(prefix) && r.largeMiB === mib);
  const out = {};
  for (const [label, prefix] of /** @type {const} */ ([
    ["smallFiles", "a default"],
    ["baseline", "c getBlob"],
  ])) {
    const a = pick(prefix, largeMiB);
    const b = pick(prefix, growMiB);
    if (a === undefined || b === undefined) continue;
    Object.assign(out, {
      [label]: {
        bytes: [a.proxyBytes.median, b.proxyBytes.median],
        wallMs: [a.wallMs.median, b.wallMs.median],
        requests: [a.proxyRequests.median, b.proxyRequests.median],
        extraBytesPerExtraMiB: round((b.proxyBytes.median - a.proxyBytes.median) / (growMiB - largeMiB), 0),
        extraMsPerExtraMiB: round((b.wallMs.median - a.wallMs.median) / (growMiB - largeMiB), 1),
      },
    });
  }
  return out;
}

/**
 * The rate the baseline actually reached against the nominal one. The emulated link paces in
 * pieces on node timers, which tops out around 200-250 Mbit/s on the machine measured: past that
 * the figures describe a slower link than asked for, and the table says so.
 * @param {ReturnType<typeof summarizeCase>[]} rows
 * @param {number} mbit
 */
function linkCheckOf(rows, mbit) {
  const base = rows.find((r) => r.name === "c getBlob");
  if (base === undefined) return undefined;
  const ratio = round(base.mbitPerSec / mbit, 3);
  return { nominalMbit: mbit, baselineMbit: base.mbitPerSec, ratio, ok: ratio >= 0.85 };
}

/** @param {any} results */
function printTable(results) {
  const lines = [];
  const pad = (/** @type {unknown} */ s, /** @type {number} */ n) => String(s).padStart(n);
  const s = results.settings;
  lines.push(
    `link ${s.mbit} Mbit/s, ${s.rttMs} ms RTT; ${s.runs} runs; ${results.machine.cpus} × ${results.machine.cpuModel}, ${results.machine.node}`,
  );
  const load = results.machine.loadAverage1_5_15;
  lines.push(`load average before ${load.before.join(" ")}, after ${load.after.join(" ")}`);
  for (const [name, img] of Object.entries(results.images)) {
    lines.push(
      `image ${name}: ${img.layers.length} layers, ${mb(img.build.imageBytes)} MB (bootstrap ${mb(img.build.bootstrapBytes)} MB before gzip, blobs ${img.build.blobBytes.map(mb).join(" + ")} MB)`,
    );
  }
  lines.push(
    [
      "case".padEnd(20),
      pad("req", 4),
      pad("proxy", 5),
      pad("MB wire", 8),
      pad("open ms", 7),
      pad("read ms", 7),
      pad("wall med", 8),
      pad("best", 6),
      pad("worst", 6),
      pad("Mbit/s", 6),
      pad("×bytes", 7),
      pad("×time", 6),
    ].join(" "),
  );
  for (const r of results.cases) {
    lines.push(
      [
        r.name.padEnd(20),
        pad(r.clientRequests.median, 4),
        pad(r.proxyRequests.median, 5),
        pad(mb(r.proxyBytes.median), 8),
        pad(r.openMs === undefined ? "" : Math.round(r.openMs), 7),
        pad(r.readMs === undefined ? "" : Math.round(r.readMs), 7),
        pad(Math.round(r.wallMs.median), 8),
        pad(Math.round(r.wallMs.best), 6),
        pad(Math.round(r.wallMs.worst), 6),
        pad(r.mbitPerSec, 6),
        pad(r.vsBaseline ? r.vsBaseline.bytes.toFixed(4) : "", 7),
        pad(r.vsBaseline ? r.vsBaseline.wall.toFixed(3) : "", 6),
      ].join(" "),
    );
  }
  const check = results.linkCheck;
  if (check !== undefined) {
    lines.push(
      `link check: the baseline moved ${check.baselineMbit} Mbit/s of the ${check.nominalMbit} asked for (${Math.round(check.ratio * 100)}%)${check.ok ? "" : ": WARNING, the emulated link is slower than asked; lower --mbit"}`,
    );
  }
  const g = results.growth;
  if (g !== undefined) {
    lines.push("");
    lines.push(`growth large-${s.largeMiB} -> large-${s.growMiB} (medians)`);
    for (const [label, x] of Object.entries(g)) {
      lines.push(
        `  ${label.padEnd(10)} ${x.bytes.map(mb).join(" -> ")} MB, ${x.wallMs.map(Math.round).join(" -> ")} ms, ${x.requests.join(" -> ")} requests; ${x.extraBytesPerExtraMiB} bytes and ${x.extraMsPerExtraMiB} ms per extra MiB of image`,
      );
    }
  }
  process.stdout.write(`${lines.join("\n")}\n`);
}

/** @param {string} ref `host:port/repo:tag` */
function splitRef(ref) {
  const i = ref.indexOf("/");
  return /** @type {[string, string]} */ ([ref.slice(0, i), ref.slice(i + 1)]);
}
