// @ts-check
// Matching a scan report against the database, in a fresh process: opens DB_FILE, builds a
// ScanReport-shaped input of the Debian bookworm image's dpkg packages (the scan tests' debootstrap
// tree) plus N language packages drawn from the corpus's own names across eight ecosystems (so
// lookups hit as in a real image), and times matchVulnerabilities: the first run in this process
// (cold: SQLite pages, JIT), then RUNS more (median). Wall and CPU time (process.cpuUsage: the
// machine is shared, CPU time is the steadier figure). Prints one JSON line.
//
// usage: match-child.mjs DB_FILE DPKG_STATUS N [RUNS] [SEED]
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { importBuilt } from "../common/prerequisites.mjs";
import { ECOSYSTEMS, packageName, prng } from "./corpus.mjs";

const [dbFile, statusFile, nText, runsText, seedText] = process.argv.slice(2);
if (dbFile === undefined || statusFile === undefined || nText === undefined)
  throw new Error("usage: match-child.mjs DB_FILE DPKG_STATUS N [RUNS] [SEED]");
const languagePackages = Number(nText);
const runs = Number(runsText ?? "5");
const build = "npx tsc -b packages/vulndb packages/analyzers";
const { SqliteAdvisoryStore, matchVulnerabilities, openSqlite } = await importBuilt("@rafscan/vulndb", build);
const { dpkgPackages, parseDeb822 } = await importBuilt("@rafscan/analyzers", build);
// The binding is loaded before the clock starts, as in query-child.mjs.
openSqlite(":memory:").close();

/** purl type and corpus ecosystem of the language packages, with their share of an image's. */
const LANGUAGES = [
  { type: "npm", ecosystem: "npm", share: 0.35 },
  { type: "pypi", ecosystem: "PyPI", share: 0.2 },
  { type: "maven", ecosystem: "Maven", share: 0.15 },
  { type: "golang", ecosystem: "Go", share: 0.1 },
  { type: "cargo", ecosystem: "crates.io", share: 0.05 },
  { type: "gem", ecosystem: "RubyGems", share: 0.05 },
  { type: "nuget", ecosystem: "NuGet", share: 0.05 },
  { type: "composer", ecosystem: "Packagist", share: 0.05 },
];
/** The most-advised names an image draws from (what images install), as query-child.mjs. */
const INSTALLED = 2000;
/** Share of language packages whose name the corpus has (the rest have no advisory at all). */
const KNOWN = 0.6;

const os = { family: "debian", version: "12", codename: "bookworm", source: "/etc/os-release" };
const stanzas = parseDeb822(readFileSync(statusFile, "utf8"));
const debs = dpkgPackages(stanzas, "/var/lib/dpkg/status", os, () => {});

const random = prng(Number(seedText ?? "3"));
/** @type {any[]} */
const packages = [...debs];
for (let i = 0; i < languagePackages; i++) {
  const pick = random();
  let cumulative = 0;
  const lang =
    LANGUAGES.find((l) => {
      cumulative += l.share;
      return pick < cumulative;
    }) ?? LANGUAGES[0];
  if (lang === undefined) break;
  const pool = ECOSYSTEMS.find((e) => e.ecosystem === lang.ecosystem)?.pool ?? 1000;
  const rank = Math.floor(random() * Math.min(INSTALLED, pool));
  const name = random() < KNOWN ? packageName(lang.ecosystem, rank) : `unadvised-${lang.type}-${i}`;
  const version = `${Math.floor(random() * 12)}.${Math.floor(random() * 30)}.${Math.floor(random() * 40)}`;
  packages.push({
    name,
    version,
    ecosystem: lang.type,
    purl: `pkg:${lang.type}/${encodeURIComponent(name)}@${version}`,
    source: `/app/${lang.type}/lock`,
  });
}
const report = {
  schemaVersion: 1,
  image: { reference: "bench" },
  os,
  packages,
  secrets: [],
  notes: [],
  warnings: [],
  analyzers: [],
  telemetry: {},
  createdAt: "2026-12-01T00:00:00Z",
};

/** Wall and CPU ms of one matching, with its stats. */
function once(/** @type {any} */ store) {
  /** @type {any} */
  let stats;
  const cpu = process.cpuUsage();
  const t = performance.now();
  const out = matchVulnerabilities(report, store, { onStats: (/** @type {any} */ s) => (stats = s) });
  const wallMs = performance.now() - t;
  const c = process.cpuUsage(cpu);
  return { wallMs, cpuMs: (c.user + c.system) / 1000, findings: out.findings.length, stats };
}

const t = performance.now();
const store = await SqliteAdvisoryStore.open(dbFile);
const openMs = performance.now() - t;
const first = once(store);
const wall = [];
const cpu = [];
for (let r = 0; r < runs; r++) {
  const x = once(store);
  wall.push(x.wallMs);
  cpu.push(x.cpuMs);
}
// Share of the language packages whose lookup finds records, counted after the clock.
let hits = 0;
for (const p of packages.slice(debs.length)) {
  const eco = LANGUAGES.find((l) => l.type === p.ecosystem)?.ecosystem ?? "";
  if (store.lookup(eco, p.name).length > 0) hits++;
}
store.close();
const median = (/** @type {number[]} */ xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};
const s = first.stats;
process.stdout.write(
  `${JSON.stringify({
    languagePackages,
    debPackages: debs.length,
    packages: packages.length,
    openMs,
    first: { wallMs: first.wallMs, cpuMs: first.cpuMs },
    warm: { runs, wallMs: median(wall), cpuMs: median(cpu), bestWallMs: Math.min(...wall) },
    findings: first.findings,
    lookups: s.lookups,
    records: s.records,
    matched: s.matched,
    languageHitRate: languagePackages === 0 ? 0 : hits / languagePackages,
    peakRssMB: (process.resourceUsage().maxRSS * 1024) / 1e6,
  })}\n`,
);
