// @ts-check
// A synthetic OSV corpus for the advisory-database benchmarks: deterministic for a seed, with
// ecosystem shares, package-name popularity (Zipf: a few packages such as the kernel or openssl
// carry thousands of advisories, most carry one or two), version syntaxes per ecosystem, and the
// record shapes osv.dev serves (fixed, unfixed, last_affected, explicit version lists of malicious
// npm packages, GIT ranges, withdrawn records, multi-package advisories). Written as one zip per
// ecosystem (like osv.dev's `<ecosystem>/all.zip`) or as JSON Lines.
import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";
import { ZipFileWriter } from "./zip-writer.mjs";

/**
 * mulberry32: a small seeded PRNG.
 * @param {number} seed
 * @returns {() => number} uniform in [0, 1)
 */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Ecosystems with their share of records, package-pool size, id prefix and version style.
 * Shares follow osv.dev's mix roughly: distro feeds (Debian, Ubuntu, Alpine, Red Hat family) are
 * half; npm is large because of malicious-package (MAL) records with version lists.
 * @type {readonly { ecosystem: string, share: number, pool: number, prefix: string, style: string }[]}
 */
export const ECOSYSTEMS = [
  { ecosystem: "Debian:11", share: 0.07, pool: 12000, prefix: "DEBIAN-CVE", style: "deb" },
  { ecosystem: "Debian:12", share: 0.09, pool: 12000, prefix: "DEBIAN-CVE", style: "deb" },
  { ecosystem: "Debian:13", share: 0.07, pool: 12000, prefix: "DEBIAN-CVE", style: "deb" },
  { ecosystem: "Ubuntu:20.04:LTS", share: 0.06, pool: 15000, prefix: "UBUNTU-CVE", style: "deb" },
  { ecosystem: "Ubuntu:22.04:LTS", share: 0.07, pool: 15000, prefix: "UBUNTU-CVE", style: "deb" },
  { ecosystem: "Ubuntu:24.04:LTS", share: 0.06, pool: 15000, prefix: "UBUNTU-CVE", style: "deb" },
  { ecosystem: "Alpine:v3.19", share: 0.025, pool: 3000, prefix: "ALPINE-CVE", style: "apk" },
  { ecosystem: "Alpine:v3.20", share: 0.03, pool: 3000, prefix: "ALPINE-CVE", style: "apk" },
  { ecosystem: "Alpine:v3.21", share: 0.025, pool: 3000, prefix: "ALPINE-CVE", style: "apk" },
  {
    ecosystem: "Red Hat:enterprise_linux:9::appstream",
    share: 0.03,
    pool: 6000,
    prefix: "RHSA",
    style: "rpm",
  },
  { ecosystem: "Red Hat:enterprise_linux:8::baseos", share: 0.02, pool: 6000, prefix: "RHSA", style: "rpm" },
  { ecosystem: "Rocky Linux:9", share: 0.015, pool: 6000, prefix: "RLSA", style: "rpm" },
  { ecosystem: "AlmaLinux:9", share: 0.015, pool: 6000, prefix: "ALSA", style: "rpm" },
  { ecosystem: "npm", share: 0.2, pool: 250000, prefix: "MAL", style: "semver" },
  { ecosystem: "PyPI", share: 0.08, pool: 60000, prefix: "PYSEC", style: "pep440" },
  { ecosystem: "Maven", share: 0.04, pool: 30000, prefix: "GHSA", style: "maven" },
  { ecosystem: "Go", share: 0.03, pool: 15000, prefix: "GO", style: "semver" },
  { ecosystem: "crates.io", share: 0.01, pool: 8000, prefix: "RUSTSEC", style: "semver" },
  { ecosystem: "RubyGems", share: 0.01, pool: 8000, prefix: "GHSA", style: "semver" },
  { ecosystem: "NuGet", share: 0.01, pool: 8000, prefix: "GHSA", style: "semver" },
  { ecosystem: "Packagist", share: 0.01, pool: 8000, prefix: "GHSA", style: "semver" },
  { ecosystem: "openSUSE:Tumbleweed", share: 0.01, pool: 10000, prefix: "openSUSE-SU", style: "rpm" },
];

const SYLLABLES = [
  "lib",
  "py",
  "net",
  "http",
  "xml",
  "json",
  "ssl",
  "core",
  "util",
  "io",
  "fs",
  "gtk",
  "qt",
  "db",
  "sql",
  "web",
  "log",
  "zip",
  "img",
  "auth",
  "cli",
  "api",
  "yaml",
  "data",
  "kit",
  "tools",
  "base",
  "dev",
  "ng",
  "js",
];
const REAL = [
  "openssl",
  "linux",
  "curl",
  "glibc",
  "zlib",
  "bash",
  "python3",
  "perl",
  "sqlite3",
  "git",
  "tar",
  "systemd",
  "openssh",
  "busybox",
  "musl",
  "expat",
  "libxml2",
  "nginx",
  "vim",
  "sudo",
];

/**
 * The name of the `rank`-th most advisory-laden package of an ecosystem (rank 0 is the busiest).
 * Deterministic, so callers can draw lookups from the same names without keeping the corpus.
 * @param {string} ecosystem
 * @param {number} rank
 */
export function packageName(ecosystem, rank) {
  const style = ECOSYSTEMS.find((e) => e.ecosystem === ecosystem)?.style ?? "semver";
  if (style !== "semver" && style !== "pep440" && style !== "maven" && rank < REAL.length)
    return REAL[rank] ?? "";
  let x = (rank * 2654435761) >>> 0;
  const parts = [];
  for (let i = 0; i < 2 + (rank % 2); i++) {
    parts.push(SYLLABLES[x % SYLLABLES.length]);
    x = Math.floor(x / SYLLABLES.length) + rank * 7;
  }
  const base = `${parts.join("")}${rank}`;
  if (ecosystem === "Maven") return `org.${parts[0]}:${base}`;
  if (ecosystem === "Go") return `github.com/${parts[0]}/${base}`;
  if (ecosystem === "npm" && rank % 5 === 0) return `@${parts[0]}/${base}`;
  if (ecosystem === "PyPI" && rank % 3 === 0) return `${parts[0]}-${base}`;
  return base;
}

/**
 * A Zipf(s = 1.1) rank in [0, n): draws by inverting the continuous approximation of the CDF.
 * @param {() => number} random
 * @param {number} n
 */
export function zipfRank(random, n) {
  const s = 1.1;
  const hn = (n ** (1 - s) - 1) / (1 - s);
  const u = random() * hn;
  const r = Math.floor((u * (1 - s) + 1) ** (1 / (1 - s))) - 1;
  return Math.min(n - 1, Math.max(0, r));
}

/**
 * @param {() => number} random
 * @param {string} style
 */
function version(random, style) {
  const major = Math.floor(random() * 12);
  const minor = Math.floor(random() * 30);
  const patch = Math.floor(random() * 40);
  switch (style) {
    case "deb":
      return `${random() < 0.2 ? "1:" : ""}${major}.${minor}.${patch}-${1 + Math.floor(random() * 5)}${random() < 0.5 ? `+deb12u${1 + Math.floor(random() * 4)}` : `ubuntu0.${Math.floor(random() * 5)}`}`;
    case "apk":
      return `${major}.${minor}.${patch}-r${Math.floor(random() * 9)}`;
    case "rpm":
      return `${random() < 0.1 ? "2:" : ""}${major}.${minor}.${patch}-${1 + Math.floor(random() * 200)}.el9_${Math.floor(random() * 5)}`;
    case "pep440":
      return random() < 0.1
        ? `${major}.${minor}.${patch}rc${1 + Math.floor(random() * 3)}`
        : `${major}.${minor}.${patch}`;
    case "maven":
      return random() < 0.2 ? `${major}.${minor}.${patch}.Final` : `${major}.${minor}.${patch}`;
    default:
      return random() < 0.1
        ? `${major}.${minor}.${patch}-beta.${Math.floor(random() * 5)}`
        : `${major}.${minor}.${patch}`;
  }
}

const WORDS = [
  "buffer",
  "overflow",
  "in",
  "the",
  "parser",
  "allows",
  "remote",
  "attackers",
  "to",
  "cause",
  "a",
  "denial",
  "of",
  "service",
  "via",
  "crafted",
  "input",
  "heap",
  "use-after-free",
  "when",
  "handling",
  "certificate",
  "request",
  "path",
  "traversal",
  "memory",
  "leak",
  "integer",
  "signature",
  "validation",
];

/**
 * @param {() => number} random
 * @param {number} words
 */
function prose(random, words) {
  const out = [];
  for (let i = 0; i < words; i++) out.push(WORDS[Math.floor(random() * WORDS.length)]);
  return out.join(" ");
}

/**
 * One affected entry.
 * @param {() => number} random
 * @param {{ ecosystem: string, pool: number, style: string, prefix: string }} eco
 * @param {string} name
 */
function affectedEntry(random, eco, name) {
  const r = random();
  if (eco.prefix === "MAL") {
    const versions = Array.from({ length: 1 + Math.floor(random() * 4) }, () => version(random, eco.style));
    return { package: { ecosystem: eco.ecosystem, name }, versions };
  }
  /** @type {Record<string, string>[]} */
  const events = [{ introduced: random() < 0.7 ? "0" : version(random, eco.style) }];
  const distro = ["deb", "apk", "rpm"].includes(eco.style);
  let database_specific;
  if (distro && r < 0.12) {
    // No fix yet; some with the feed's own status word.
    if (random() < 0.3) database_specific = { status: random() < 0.5 ? "will not fix" : "deferred" };
  } else if (r < 0.16) events.push({ last_affected: version(random, eco.style) });
  else if (eco.ecosystem.startsWith("Debian") && r < 0.19) events.push({ fixed: "0" });
  else events.push({ fixed: version(random, eco.style) });
  const ranges = [
    {
      type:
        eco.style === "semver" || eco.style === "pep440"
          ? eco.ecosystem === "Go"
            ? "SEMVER"
            : "ECOSYSTEM"
          : "ECOSYSTEM",
      events,
    },
  ];
  if (!distro && random() < 0.15) {
    ranges.push({
      type: "GIT",
      repo: `https://github.com/example/${name.replace(/[^a-z0-9]/gi, "")}`,
      events: [
        { introduced: "0" },
        {
          fixed: Math.floor(random() * 2 ** 52)
            .toString(16)
            .padStart(40, "0"),
        },
      ],
    });
  }
  return {
    package: { ecosystem: eco.ecosystem, name },
    ranges,
    ...(database_specific === undefined ? {} : { database_specific }),
  };
}

/**
 * Generates `count` OSV records, deterministic for `seed`.
 * @param {{ records?: number, seed?: number }} [options]  default 500,000 records, seed 1
 * @returns {Generator<{ ecosystem: string, record: Record<string, unknown> }>}
 */
export function* osvRecords(options = {}) {
  const count = options.records ?? 500_000;
  const random = prng(options.seed ?? 1);
  const cumulative = [];
  let sum = 0;
  for (const e of ECOSYSTEMS) {
    sum += e.share;
    cumulative.push(sum);
  }
  for (let i = 0; i < count; i++) {
    const pick = random() * sum;
    const eco = ECOSYSTEMS[cumulative.findIndex((c) => pick < c)] ?? ECOSYSTEMS[0];
    if (eco === undefined) throw new Error("no ecosystems");
    const year = 2010 + Math.floor(random() * 16);
    const cve = `CVE-${year}-${String(1000 + i).padStart(5, "0")}`;
    const id = eco.prefix.endsWith("CVE")
      ? `${eco.prefix}-${year}-${String(1000 + i).padStart(5, "0")}`
      : `${eco.prefix}-${year}-${i}`;
    const packages =
      eco.style === "semver" && eco.prefix !== "MAL" && random() < 0.1
        ? 2
        : eco.prefix === "RHSA" && random() < 0.3
          ? 3
          : 1;
    const affected = [];
    const seen = new Set();
    for (let p = 0; p < packages; p++) {
      const name = packageName(eco.ecosystem, zipfRank(random, eco.pool));
      if (seen.has(name)) continue;
      seen.add(name);
      affected.push(affectedEntry(random, eco, name));
    }
    const month = String(1 + Math.floor(random() * 12)).padStart(2, "0");
    /** @type {Record<string, unknown>} */
    const record = {
      schema_version: "1.6.0",
      id,
      modified: `${year + 1}-${month}-15T12:00:00Z`,
      published: `${year}-${month}-01T00:00:00Z`,
      ...(random() < 0.01 ? { withdrawn: `${year + 1}-${month}-20T00:00:00Z` } : {}),
      aliases: eco.prefix === "MAL" ? [] : [cve],
      summary: prose(random, 6 + Math.floor(random() * 8)),
      details: prose(random, 20 + Math.floor(random() * 80)),
      ...(random() < 0.5
        ? {
            severity: [
              {
                type: "CVSS_V3",
                score: `CVSS:3.1/AV:N/AC:${random() < 0.5 ? "L" : "H"}/PR:N/UI:N/S:U/C:H/I:H/A:H`,
              },
            ],
          }
        : {}),
      affected,
      references: Array.from({ length: 1 + Math.floor(random() * 3) }, (_, k) => ({
        type: k === 0 ? "ADVISORY" : "WEB",
        url: `https://security.example.org/${id}/${k}`,
      })),
    };
    yield { ecosystem: eco.ecosystem, record };
  }
}

/**
 * Writes the corpus under `outDir`: `<ecosystem>/all.zip` per ecosystem (`:` in ecosystem names
 * becomes `_`), or one `osv.jsonl`. Returns the files written, the record count per ecosystem and the JSON bytes written.
 * @param {{ outDir: string, records?: number, seed?: number, format?: "zip" | "jsonl" }} options
 * @returns {{ files: string[], perEcosystem: Record<string, number>, bytes: number }}
 */
export function writeOsvCorpus(options) {
  mkdirSync(options.outDir, { recursive: true });
  /** @type {Record<string, number>} */
  const perEcosystem = {};
  let bytes = 0;
  if (options.format === "jsonl") {
    const path = join(options.outDir, "osv.jsonl");
    const fd = openSync(path, "w");
    for (const { ecosystem, record } of osvRecords(options)) {
      const line = Buffer.from(`${JSON.stringify(record)}\n`);
      writeSync(fd, line);
      bytes += line.length;
      perEcosystem[ecosystem] = (perEcosystem[ecosystem] ?? 0) + 1;
    }
    closeSync(fd);
    return { files: [path], perEcosystem, bytes };
  }
  /** @type {Map<string, { zip: ZipFileWriter, path: string }>} */
  const zips = new Map();
  for (const { ecosystem, record } of osvRecords(options)) {
    let z = zips.get(ecosystem);
    if (z === undefined) {
      const dir = join(options.outDir, ecosystem.replace(/[:/ ]/g, "_"));
      mkdirSync(dir, { recursive: true });
      const path = join(dir, "all.zip");
      z = { zip: new ZipFileWriter(path), path };
      zips.set(ecosystem, z);
    }
    const data = Buffer.from(JSON.stringify(record));
    z.zip.add(`${record.id}.json`, data);
    bytes += data.length;
    perEcosystem[ecosystem] = (perEcosystem[ecosystem] ?? 0) + 1;
  }
  for (const z of zips.values()) z.zip.close();
  return { files: [...zips.values()].map((z) => z.path).sort(), perEcosystem, bytes };
}
