// @ts-check
// Opening the database and looking packages up, in a fresh process (the SQLite binding is loaded
// before the clock starts: opening is what is measured). Lookups draw (ecosystem, package) pairs
// with their own seed; one in ten names is absent.
// Prints one JSON line.
import { performance } from "node:perf_hooks";
import { importBuilt } from "../common/prerequisites.mjs";
import { ECOSYSTEMS, packageName, prng } from "./corpus.mjs";

const [path, lookupsText, seedText] = process.argv.slice(2);
if (path === undefined) throw new Error("usage: query-child.mjs DB_FILE [LOOKUPS] [SEED]");
const lookups = Number(lookupsText ?? "10000");
const { SqliteAdvisoryStore, defaultSqliteDriver, openSqlite } = await importBuilt(
  "@rafscan/vulndb",
  "npx tsc -b packages/vulndb",
);
// Load the binding (not the database) first: a scan pays that once per process, whatever the size.
openSqlite(":memory:").close();

/** @param {number[]} xs */
function summary(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (/** @type {number} */ p) => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0;
  return {
    n: s.length,
    median: q(0.5),
    p95: q(0.95),
    max: s[s.length - 1] ?? 0,
    mean: s.reduce((a, b) => a + b, 0) / s.length,
  };
}

let t = performance.now();
const first = await SqliteAdvisoryStore.open(path);
const firstOpenMs = performance.now() - t;
const ecosystems = first.ecosystems().length;
first.close();
const opens = [];
for (let i = 0; i < 20; i++) {
  t = performance.now();
  const s = await SqliteAdvisoryStore.open(path);
  opens.push(performance.now() - t);
  s.close();
}
const db = await SqliteAdvisoryStore.open(path);
// An image's packages are a few hundred of each ecosystem's common ones, not drawn by how many
// advisories they have: names are uniform over the INSTALLED most-advised ranks (plus one in ten
// absent). The busiest package (Debian's kernel, ~16% of its ecosystem's records, as in Debian's
// tracker) is measured on its own below.
const INSTALLED = 2000;
const random = prng(Number(seedText ?? "2"));
const times = [];
const found = [];
let hits = 0;
for (let i = 0; i < lookups; i++) {
  const eco = ECOSYSTEMS[Math.floor(random() * ECOSYSTEMS.length)] ?? ECOSYSTEMS[0];
  if (eco === undefined) break;
  const rank = 1 + Math.floor(random() * Math.min(INSTALLED, eco.pool - 1));
  const name = random() < 0.1 ? `absent-package-${i}` : packageName(eco.ecosystem, rank);
  t = performance.now();
  const records = db.lookup(eco.ecosystem, name);
  times.push((performance.now() - t) * 1000);
  found.push(records.length);
  if (records.length > 0) hits++;
}
t = performance.now();
const busiest = db.lookup("Debian:12", "linux");
const busiestMs = performance.now() - t;
db.close();
process.stdout.write(
  `${JSON.stringify({
    node: process.version,
    driver: defaultSqliteDriver(),
    ecosystems,
    firstOpenMs,
    openMs: summary(opens),
    lookupUs: summary(times),
    recordsPerLookup: summary(found),
    hitRate: hits / lookups,
    busiest: { key: "Debian:12/linux", records: busiest.length, ms: busiestMs },
  })}\n`,
);
