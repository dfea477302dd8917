// @ts-check
// One scan in a process of its own, so that its peak RSS is its own: forked by run.mjs, it answers
// with one IPC message holding phase times, process.resourceUsage().maxRSS and what the scan found.
//
// usage (from run.mjs only):
//   fork(scan-child.mjs, ["remote", REF, LIMIT_MS])          openImage over the link + scanImage
//   fork(scan-child.mjs, ["remote", REF, LIMIT_MS, DB_DIR])  the same with vulnerability matching
//                                                            against DB_DIR's database (its open
//                                                            and the matching inside scanMs)
//   fork(scan-child.mjs, ["local", TREE, OUT_DIR, LIMIT_MS])  buildImage of an extracted tree
//                                                            (no compression) + openImage + scanImage
import { performance } from "node:perf_hooks";

const [mode, a, b, c] = process.argv.slice(2);
/** The advisory database directory of a remote scan with vulnerabilities on, if any. */
const dbDir = mode === "remote" ? c : undefined;
if (typeof process.send !== "function" || (mode !== "remote" && mode !== "local")) {
  process.stderr.write("scan-child.mjs: run it through run.mjs\n");
  process.exit(2);
}
const limitMs = Number(mode === "remote" ? b : c);

main().then(
  (result) => process.send?.({ type: "result", ...result }, () => process.exit(0)),
  (err) =>
    process.send?.(
      { type: "error", message: err instanceof Error ? (err.stack ?? err.message) : String(err) },
      () => process.exit(1),
    ),
);

async function main() {
  // performance.now() counts from this process's start: loadMs is node's start-up plus imports.
  const signal = AbortSignal.timeout(Number.isFinite(limitMs) && limitMs > 0 ? limitMs : 600_000);
  const { scanImage } = await import("@rafscan/analyzers");
  const { openImage } = await import("@rafscan/registry");
  const t0 = performance.now();
  /** @type {Record<string, number>} */
  const phases = { loadMs: t0 };
  let image;
  if (mode === "remote") {
    image = await openImage(/** @type {string} */ (a), { insecure: true, dockerConfig: false, signal });
  } else {
    const { buildImage, readDirectory } = await import("@rafscan/builder");
    const tb = performance.now();
    // Uncompressed: the tree is on local disk, and compressing it would only add work to the baseline.
    await buildImage([readDirectory(/** @type {string} */ (a))], {
      outDir: /** @type {string} */ (b),
      fsVersion: 6,
      compressor: "none",
    });
    phases.buildMs = performance.now() - tb;
    image = await openImage(/** @type {string} */ (b), { signal });
  }
  const t1 = performance.now();
  phases.openMs = t1 - t0 - (phases.buildMs ?? 0);
  let report;
  /** @type {any} */
  let store;
  try {
    /** @type {any} */
    const options = { signal };
    if (dbDir !== undefined) {
      const { openDatabase, createMatcher } = await import("@rafscan/vulndb");
      store = await openDatabase({ dbDir });
      options.vulnerabilities = createMatcher(store);
    }
    report = await scanImage(image, options);
  } finally {
    store?.close();
    await image.close();
  }
  phases.scanMs = performance.now() - t1;
  phases.totalMs = performance.now();
  return {
    phases,
    maxRssKiB: process.resourceUsage().maxRSS,
    telemetry: report.telemetry,
    findings: report.vulnerabilities?.findings.length,
    os: report.os,
    // What "the same result" means: every package with its identity and where it was found.
    packages: report.packages
      .map((p) => [p.foundBy ?? "", p.purl, p.source, p.arch ?? "", (p.licenses ?? []).join(",")].join(" | "))
      .sort(),
    warnings: report.warnings.map(
      (w) => `${w.plugin}: ${w.message}${w.path === undefined ? "" : ` (${w.path})`}`,
    ),
    analyzers: report.analyzers.map((r) => ({
      id: r.id,
      filesMatched: r.filesMatched,
      filesRead: r.filesRead,
      bytesRead: r.bytesRead,
      packages: r.packages,
      ...(r.error === undefined ? {} : { error: r.error }),
    })),
  };
}
