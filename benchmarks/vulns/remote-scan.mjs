// @ts-check
// What vulnerability matching adds to a remote scan: the scan benchmark's Debian image as a Nydus
// image in a registry behind the emulated link (100 Mbit/s, 30 ms RTT by default), scanned in
// fresh processes (benchmarks/scan/scan-child.mjs) without and with matching against a database
// run.mjs built, alternately, so drift in the machine's load hits both alike. Adds a `remoteScan`
// section to results.json. See docs/benchmarks-vulns.md#matching.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { tsImport } from "tsx/esm/api";
import { intArg, numArg } from "../common/cli-args.mjs";
import { loadAverage, machineInfo } from "../common/machine.mjs";
import { importBuilt, requireRegistry } from "../common/prerequisites.mjs";
import { runMain } from "../common/run-main.mjs";
import { round, stat } from "../common/stats.mjs";
import { withWorkSession } from "../common/work-session.mjs";
import { forkTimed } from "../scan/proc.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const SCAN_CHILD = join(here, "..", "scan", "scan-child.mjs");
const DEBIAN_ROOTFS = new URL("../../tests/support/debian-rootfs.ts", import.meta.url).href;

const USAGE = `usage: node benchmarks/vulns/remote-scan.mjs [options]
  --records N   the database run.mjs built for --records N (default 500000)
  --runs N      measured runs of each case (default 3)
  --mbit N      emulated link bandwidth, Mbit/s (default 100)
  --rtt MS      emulated round trip, ms (default 30)
  --work DIR    run.mjs's work directory (default ~/.cache/rafscan/bench-vulns)
  --section KEY the results file's key to write (default remoteScan)
  --out FILE    results file to add the section to (default benchmarks/vulns/results.json)`;

async function main() {
  const { values } = parseArgs({
    options: {
      records: { type: "string", default: "500000" },
      runs: { type: "string", default: "3" },
      mbit: { type: "string", default: "100" },
      rtt: { type: "string", default: "30" },
      work: { type: "string", default: join(homedir(), ".cache", "rafscan", "bench-vulns") },
      out: { type: "string", default: join(here, "results.json") },
      section: { type: "string", default: "remoteScan" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const records = intArg("records", values.records, 1, 10_000_000);
  const runs = intArg("runs", values.runs, 1, 50);
  const mbit = numArg("mbit", values.mbit, 1, 100_000);
  const rttMs = numArg("rtt", values.rtt, 0, 2000);
  const dbDir = join(values.work, `db-${records}-1`);
  if (!existsSync(join(dbDir, "vulndb.sqlite")))
    throw new Error(`no database in ${dbDir}: run benchmarks/vulns/run.mjs --records ${records} first`);
  requireRegistry();
  const log = (/** @type {string} */ m) => process.stderr.write(`${m}\n`);
  const build = "npx tsc -b packages/cli packages/builder";
  const { buildImage, pushImage, readDirectory } = await importBuilt("@rafscan/builder", build);
  const loadBefore = loadAverage();
  const started = performance.now();
  const { debianRootfs } = await tsImport(DEBIAN_ROOTFS, import.meta.url);
  const deb = await debianRootfs({ log });
  await withWorkSession("rafscan-vulns-scan-bench-", async ({ work, startLink }) => {
    log("Nydus image of the Debian tree ...");
    const nydus = await buildImage([readDirectory(deb.root)], { outDir: join(work, "nydus"), fsVersion: 6 });
    const link = await startLink(mbit, rttMs);
    await pushImage(nydus, `${link.registry}/bench/debian:nydus`, {
      insecure: true,
      signal: AbortSignal.timeout(600_000),
    });
    const ref = `${link.proxy}/bench/debian:nydus`;
    const limit = 300_000;
    /** @param {boolean} vulns */
    const scan = async (vulns) => {
      await link.reset();
      const { wallMs, result } = await forkTimed(
        SCAN_CHILD,
        ["remote", ref, String(limit), ...(vulns ? [dbDir] : [])],
        limit + 10_000,
      );
      const wire = await link.stats();
      return {
        wallMs,
        scanMs: result.phases.scanMs,
        totalMs: result.phases.totalMs,
        bytes: wire.bytes,
        requests: wire.requests,
        findings: result.findings,
        packages: result.packages.length,
        maxRssKiB: result.maxRssKiB,
      };
    };
    log("warm-up");
    await scan(false);
    await scan(true);
    /** @type {any[]} */
    const off = [];
    /** @type {any[]} */
    const on = [];
    for (let r = 0; r < runs; r++) {
      // Alternating, and the order swapped every round.
      for (const vulns of r % 2 === 0 ? [false, true] : [true, false]) {
        log(`run ${r + 1}/${runs}: vulnerabilities ${vulns ? "on" : "off"}`);
        (vulns ? on : off).push(await scan(vulns));
      }
    }
    const offWall = stat(off.map((x) => x.wallMs));
    const onWall = stat(on.map((x) => x.wallMs));
    const remoteScan = {
      image:
        "Debian bookworm minbase + python3 and node packages (benchmarks/scan's base image), Nydus RAFS v6",
      link: { mbit, rttMs },
      dbRecords: records,
      runs,
      off: { wallMs: offWall, bytes: off[0]?.bytes, requests: off[0]?.requests, packages: off[0]?.packages },
      on: {
        wallMs: onWall,
        bytes: on[0]?.bytes,
        requests: on[0]?.requests,
        findings: on[0]?.findings,
        maxRssMB: round(Math.max(...on.map((x) => x.maxRssKiB)) / 1000, 0),
      },
      offMaxRssMB: round(Math.max(...off.map((x) => x.maxRssKiB)) / 1000, 0),
      ratio: round(onWall.median / offWall.median, 3),
      goal: { ratio: 1.1 },
      samples: { off: off.map((x) => round(x.wallMs, 0)), on: on.map((x) => round(x.wallMs, 0)) },
      machine: machineInfo(loadBefore),
      measuredAt: new Date().toISOString(),
      totalSeconds: round((performance.now() - started) / 1000, 1),
    };
    const previous = existsSync(values.out) ? JSON.parse(readFileSync(values.out, "utf8")) : {};
    writeFileSync(values.out, `${JSON.stringify({ ...previous, [values.section]: remoteScan }, null, 2)}\n`);
    log(JSON.stringify(remoteScan));
  });
}

runMain(main);
