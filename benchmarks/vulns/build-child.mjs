// @ts-check
// One `db build` in its own process, so its peak RSS is the build's alone: reads the OSV inputs
// named on the command line into DB_DIR and prints one JSON line with the summary, the wall time
// and the peak RSS.
import { performance } from "node:perf_hooks";
import { importBuilt } from "../common/prerequisites.mjs";

const [dbDir, ...sources] = process.argv.slice(2);
if (dbDir === undefined || sources.length === 0) throw new Error("usage: build-child.mjs DB_DIR OSV...");
const { buildDatabase, defaultSqliteDriver } = await importBuilt(
  "@rafscan/vulndb",
  "npx tsc -b packages/vulndb",
);
const started = performance.now();
const summary = await buildDatabase({ sources, dbDir });
const seconds = (performance.now() - started) / 1000;
const { problems: _problems, ...rest } = summary;
process.stdout.write(
  `${JSON.stringify({ ...rest, seconds, peakRssBytes: process.resourceUsage().maxRSS * 1024, driver: defaultSqliteDriver() })}\n`,
);
