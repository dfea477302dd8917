// Differential property tests of the version schemes against the ecosystems' real tools:
// dpkg through python3-apt's apt_pkg.version_compare, rpm through `rpm --eval` Lua rpm.vercmp,
// PEP 440 through Python's packaging.version, Composer through PHP's version_compare, Maven
// through its own ComparableVersion (java and a maven-artifact jar, when present), RubyGems
// through Ruby's Gem::Version. Each generates
// a few thousand realistic version pairs with fast-check and asks the tool once, in bulk.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compareVersions, SCHEMES_BY_NAME, type VersionScheme } from "../src/versions/index.js";
import { hasPhp, hasRpmLua, hasRuby, mavenArtifactJar, mavenCompare, pythonWith } from "./helpers/oracles.js";

// RAFSCAN_VERSION_PAIRS raises the count for a longer local soak.
const PAIRS = Number(process.env.RAFSCAN_VERSION_PAIRS ?? 3000);
// A new seed each run widens coverage; RAFSCAN_VERSION_SEED replays the seed a failure printed.
const seed = Number(process.env.RAFSCAN_VERSION_SEED ?? Date.now() % 2 ** 31);

/** A string of 1..max tokens drawn from `tokens`. */
function tokens(list: readonly string[], min: number, max: number): fc.Arbitrary<string> {
  return fc.array(fc.constantFrom(...list), { minLength: min, maxLength: max }).map((a) => a.join(""));
}

/** Pairs of versions: independent ones, and a version beside a small edit of itself (ties and
 * near-ties are where orderings differ). */
function pairs(version: fc.Arbitrary<string>, edit: fc.Arbitrary<string>): [string, string][] {
  const near = fc.tuple(version, edit, fc.nat()).map(([v, e, at]): [string, string] => {
    const i = at % (v.length + 1);
    return [v, v.slice(0, i) + e + v.slice(i)];
  });
  const same = version.map((v): [string, string] => [v, v]);
  const arb = fc.oneof(
    { arbitrary: fc.tuple(version, version), weight: 6 },
    { arbitrary: near, weight: 3 },
    { arbitrary: same, weight: 1 },
  );
  return fc.sample(arb, { numRuns: PAIRS, seed });
}

function scheme(name: string): VersionScheme {
  const s = SCHEMES_BY_NAME.get(name);
  if (s === undefined) throw new Error(name);
  return s;
}

/** Our sign, or "E" when we refuse the pair. */
function ours(s: VersionScheme, a: string, b: string): string {
  try {
    return String(Math.sign(compareVersions(s, a, b)));
  } catch (e) {
    if ((e as { code?: string }).code === "VULNDB_BAD_VERSION") return "E";
    throw e;
  }
}

function mismatches(
  all: [string, string][],
  theirs: string[],
  mine: (a: string, b: string) => string,
): string[] {
  expect(theirs.length).toBe(all.length);
  const out: string[] = [];
  all.forEach(([a, b], i) => {
    const m = mine(a, b);
    if (m !== theirs[i])
      out.push(`${JSON.stringify(a)} vs ${JSON.stringify(b)}: tool ${theirs[i]}, ours ${m} (seed ${seed})`);
  });
  return out;
}

// dpkg: what Debian archives hold (epochs, ~ pre-releases, +dfsg/+deb12u1, ubuntu revisions).
const DPKG_UP = [
  "0",
  "1",
  "2",
  "9",
  "10",
  "01",
  "20240101",
  ".",
  ".",
  "~",
  "~rc",
  "+",
  "+dfsg",
  "a",
  "b",
  "z",
  "A",
  "Z",
  "git",
  "-",
  ":",
];
const DPKG_REV = ["0", "1", "2", "10", ".", "~", "+", "+b1", "deb12u1", "ubuntu", "build", "a", "Z"];
const dpkgVersion = fc
  .tuple(
    fc.option(fc.constantFrom("0", "1", "2", "10", "00"), { nil: undefined }),
    fc.constantFrom("0", "1", "2", "7", "10"),
    tokens(DPKG_UP, 0, 6),
    fc.option(tokens(DPKG_REV, 1, 4), { nil: undefined }),
  )
  .map(([epoch, first, rest, rev]) => {
    // ':' belongs in the upstream part only after an epoch, '-' only before a revision.
    let up = first + rest;
    if (epoch === undefined) up = up.replaceAll(":", ".");
    if (rev === undefined) up = up.replaceAll("-", "+");
    return `${epoch === undefined ? "" : `${epoch}:`}${up}${rev === undefined ? "" : `-${rev}`}`;
  });

const dpkgPython = pythonWith("apt_pkg");
describe.skipIf(dpkgPython === undefined)("dpkg against python3-apt apt_pkg.version_compare", () => {
  it(`agrees on ${PAIRS} generated pairs`, () => {
    const all = pairs(dpkgVersion, fc.constantFrom("~", "0", "1", ".0", "a", "+", "~~", ".", "-1"));
    const s = scheme("dpkg");
    // apt_pkg does not validate: only pairs both sides of which dpkg accepts go to it.
    const valid = all.filter(([a, b]) => ours(s, a, b) !== "E");
    expect(valid.length).toBeGreaterThan(PAIRS / 2);
    const script =
      "import sys, json, apt_pkg\napt_pkg.init_system()\n" +
      "print(json.dumps([str((c > 0) - (c < 0)) for c in (apt_pkg.version_compare(a, b) for a, b in json.load(sys.stdin))]))";
    const r = spawnSync(dpkgPython as string, ["-c", script], {
      input: JSON.stringify(valid),
      encoding: "utf8",
    });
    expect(r.status, r.stderr).toBe(0);
    expect(mismatches(valid, JSON.parse(r.stdout) as string[], (a, b) => ours(s, a, b))).toEqual([]);
    console.info(`dpkg: ${valid.length} pairs agreed with apt_pkg (seed ${seed})`);
  });
});

// dpkg validity: which strings dpkg itself accepts (no error, no "bad syntax" warning) against
// which the dpkg scheme accepts. One dpkg run per string inside one bash, so 150 (dpkg starts in ~30 ms).
const VALIDITY = Math.min(PAIRS, 150);
const dpkgCandidate = fc
  .tuple(
    fc.constantFrom("0", "1", "9", "a", ":", "~", "."),
    tokens([...DPKG_UP, "#", "_", " ", "\t", "@", "!", "2:", "-1", "-"], 0, 7),
  )
  .map(([first, rest]) => first + rest);
describe.skipIf(spawnSync("dpkg", ["--version"]).status !== 0)(
  "dpkg validity against dpkg --compare-versions",
  () => {
    it(`accepts and refuses as dpkg does on ${VALIDITY} generated strings`, () => {
      const all = fc.sample(dpkgCandidate, { numRuns: VALIDITY, seed });
      const script =
        'while IFS= read -r -d "" v; do out=$(dpkg --compare-versions "$v" eq "$v" 2>&1); ' +
        'if [ $? -eq 0 ] && [ -z "$out" ]; then echo ok; else echo bad; fi; done';
      const r = spawnSync("bash", ["-c", script], {
        input: all.map((v) => `${v}\0`).join(""),
        encoding: "utf8",
      });
      expect(r.status, r.stderr).toBe(0);
      const theirs = r.stdout.trim().split("\n");
      expect(theirs.length).toBe(all.length);
      const s = scheme("dpkg");
      const wrong = all
        .filter((v, i) => (ours(s, v, v) === "E" ? "bad" : "ok") !== theirs[i])
        .map((v) => JSON.stringify(v));
      expect(wrong, `seed ${seed}`).toEqual([]);
      const accepted = theirs.filter((t) => t === "ok").length;
      expect(accepted).toBeGreaterThan(0);
      expect(accepted).toBeLessThan(all.length);
      console.info(
        `dpkg validity: ${all.length} strings (${accepted} accepted) judged as dpkg does (seed ${seed})`,
      );
    });
  },
);

// rpm: Fedora/RHEL/SUSE EVRs: epochs, ~ and ^, dist tags, odd separators.
const RPM_PART = [
  "0",
  "1",
  "2",
  "10",
  "01",
  "001",
  ".",
  ".",
  "_",
  "+",
  "~",
  "^",
  "a",
  "b",
  "rc",
  "el8",
  "fc39",
  "git",
  "Z",
  "%",
];
const rpmVersion = fc
  .tuple(
    fc.option(fc.constantFrom("0", "1", "2", "10", ""), { nil: undefined }),
    tokens(RPM_PART, 1, 6),
    fc.option(tokens(RPM_PART, 0, 4), { nil: undefined }),
  )
  .map(
    ([epoch, version, release]) =>
      `${epoch === undefined ? "" : `${epoch}:`}${version}${release === undefined ? "" : `-${release}`}`,
  );

describe.skipIf(!hasRpmLua())("rpm against rpm --eval rpm.vercmp", () => {
  it(`agrees on ${PAIRS} generated pairs`, () => {
    const all = pairs(rpmVersion, fc.constantFrom("~", "^", "0", "1", ".", "a", "-1", "_"));
    const s = scheme("rpm");
    const dir = mkdtempSync(join(tmpdir(), "rafscan-rpmvercmp-"));
    try {
      const file = join(dir, "pairs.tsv");
      writeFileSync(file, all.map(([a, b]) => `${a}\t${b}\n`).join(""));
      // One rpm process; Lua reads the pairs file (an --eval argument is limited to 128 KiB).
      const lua =
        `local out = {} for line in io.lines(${JSON.stringify(file)}) do ` +
        'local a, b = line:match("^(.-)\\t(.*)$") local ok, c = pcall(rpm.vercmp, a, b) ' +
        'out[#out + 1] = ok and tostring(c) or "E" end print(table.concat(out, ","))';
      const r = spawnSync("rpm", ["--eval", `%{lua: ${lua}}`], {
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
      });
      expect(r.status, r.stderr).toBe(0);
      const theirs = r.stdout.trim().split(",");
      expect(mismatches(all, theirs, (a, b) => ours(s, a, b))).toEqual([]);
      console.info(`rpm: ${all.length} pairs agreed with rpm.vercmp (seed ${seed})`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// PEP 440: releases, pre/post/dev in their many spellings, epochs, local versions, and some
// strings that are not PEP 440 (both sides must refuse them).
const PEP_PRE = [
  "",
  "",
  "a1",
  "b2",
  "rc1",
  "c1",
  "alpha1",
  "beta",
  "pre3",
  "preview1",
  ".rc2",
  "-a1",
  "_b1",
  "RC1",
];
const PEP_POST = ["", "", ".post1", "post2", "-1", ".post", "-post3", "_post1", ".rev1", "r2"];
const PEP_DEV = ["", "", ".dev0", "dev1", ".dev", "-dev2"];
const PEP_LOCAL = ["", "", "", "+local", "+ubuntu.1", "+1.2", "+abc-1", "+A"];
const pepVersion = fc
  .tuple(
    fc.constantFrom("", "", "", "v", "1!", "V"),
    fc.array(fc.constantFrom("0", "1", "2", "10", "01", "2024"), { minLength: 1, maxLength: 4 }),
    fc.constantFrom(...PEP_PRE),
    fc.constantFrom(...PEP_POST),
    fc.constantFrom(...PEP_DEV),
    fc.constantFrom(...PEP_LOCAL),
    fc.oneof(
      { arbitrary: fc.constant(""), weight: 12 },
      fc.constantFrom("x", "-final", ".", " ", "+", "-", "..1"),
    ),
  )
  .map(
    ([pre, release, a, post, dev, local, junk]) =>
      `${pre}${release.join(".")}${a}${post}${dev}${local}${junk}`,
  );

const pepPython = pythonWith("packaging");
describe.skipIf(pepPython === undefined)("PEP 440 against Python's packaging.version", () => {
  it(`agrees on ${PAIRS} generated pairs, refusals included`, () => {
    const all = pairs(pepVersion, fc.constantFrom("0", ".0", "a1", ".post1", ".dev0", "+x"));
    const s = scheme("pep440");
    const script =
      "import sys, json\nfrom packaging.version import Version, InvalidVersion\ndef cmp(a, b):\n" +
      "    try:\n        x, y = Version(a), Version(b)\n    except InvalidVersion:\n        return 'E'\n" +
      "    return str((x > y) - (x < y))\nprint(json.dumps([cmp(a, b) for a, b in json.load(sys.stdin)]))";
    const r = spawnSync(pepPython as string, ["-c", script], {
      input: JSON.stringify(all),
      encoding: "utf8",
    });
    expect(r.status, r.stderr).toBe(0);
    const theirs = JSON.parse(r.stdout) as string[];
    expect(mismatches(all, theirs, (a, b) => ours(s, a, b))).toEqual([]);
    const refused = theirs.filter((t) => t === "E").length;
    expect(refused).toBeGreaterThan(0);
    expect(refused).toBeLessThan(all.length);
    console.info(
      `pep440: ${all.length} pairs agreed with packaging (${refused} refused by both; seed ${seed})`,
    );
  });
});

// Composer: Packagist version strings; Composer orders them with PHP's version_compare.
const COMPOSER_PART = [
  "0",
  "1",
  "2",
  "10",
  "01",
  ".",
  ".",
  "-",
  "_",
  "+",
  "dev",
  "alpha",
  "a",
  "beta",
  "b",
  "RC",
  "rc",
  "pl",
  "p",
  "patch",
  "foo",
  "#",
];
const composerVersion = fc
  .tuple(fc.constantFrom("", "", "", "v"), fc.constantFrom("0", "1", "2", "10"), tokens(COMPOSER_PART, 0, 6))
  .map(([v, first, rest]) => v + first + rest);

describe.skipIf(!hasPhp())("Composer against PHP's version_compare", () => {
  it(`agrees on ${PAIRS} generated pairs`, () => {
    const all = pairs(composerVersion, fc.constantFrom(".0", "-dev", "rc1", ".1", "pl1", "-"));
    const s = scheme("composer");
    // Versions PHP does not order consistently (trailing separator) are refused: not asked.
    const valid = all.filter(([a, b]) => ours(s, a, b) !== "E");
    expect(valid.length).toBeGreaterThan(PAIRS / 3);
    // Composer strips a leading "v" before comparing; PHP's version_compare does not.
    const strip = (v: string): string => (/^[vV][0-9]/.test(v) ? v.slice(1) : v);
    const script =
      "$p = json_decode(stream_get_contents(STDIN)); $o = []; foreach ($p as [$a, $b]) $o[] = (string) version_compare($a, $b); echo json_encode($o);";
    const r = spawnSync("php", ["-r", script], {
      input: JSON.stringify(valid.map(([a, b]) => [strip(a), strip(b)])),
      encoding: "utf8",
    });
    expect(r.status, r.stderr).toBe(0);
    expect(mismatches(valid, JSON.parse(r.stdout) as string[], (a, b) => ours(s, a, b))).toEqual([]);
    console.info(`composer: ${valid.length} pairs agreed with PHP version_compare (seed ${seed})`);
  });
});

// Maven: numbers, qualifiers and their shorthands and aliases in any case, '.', '-' and '_'.
const MAVEN_PART = [
  "0",
  "1",
  "2",
  "10",
  "01",
  ".",
  ".",
  "-",
  "-",
  "_",
  "alpha",
  "a",
  "Beta",
  "b",
  "m",
  "milestone",
  "RC",
  "cr",
  "SNAPSHOT",
  "ga",
  "final",
  "release",
  "sp",
  "foo",
  "x",
];
const mavenVersion = fc
  .tuple(fc.constantFrom("0", "1", "2", "10", ""), tokens(MAVEN_PART, 0, 7))
  .map(([first, rest]) => first + rest)
  .filter((v) => v !== "");

const maven = mavenArtifactJar();
describe.skipIf(maven === undefined)("Maven against ComparableVersion (maven-artifact, java)", () => {
  it(`agrees on ${PAIRS} generated pairs`, () => {
    const all = pairs(mavenVersion, fc.constantFrom(".0", "-1", "-SNAPSHOT", "rc1", ".ga", "-"));
    const s = scheme("maven");
    const theirs = mavenCompare((maven as { jar: string }).jar, all);
    expect(mismatches(all, theirs, (a, b) => ours(s, a, b))).toEqual([]);
    console.info(`maven: ${all.length} pairs agreed with ComparableVersion ${maven?.version} (seed ${seed})`);
  });
});

// RubyGems: a number, '.'-separated segments (numbers, letters, both), an optional '-' part
// (read as ".pre."), long numbers, and now and then a string Gem::Version refuses (both sides
// must refuse those).
const GEM_SEGMENT = [
  "0",
  "1",
  "2",
  "10",
  "01",
  "00",
  "12345678901234567890",
  "a",
  "b",
  "pre",
  "rc",
  "beta",
  "Z",
  "1a",
  "a1",
  "rc2",
];
const gemVersion = fc
  .tuple(
    fc.constantFrom("0", "1", "2", "10", "01"),
    fc.array(fc.constantFrom(...GEM_SEGMENT), { maxLength: 4 }),
    fc.option(fc.array(fc.constantFrom(...GEM_SEGMENT, "x-y"), { minLength: 1, maxLength: 3 }), {
      nil: undefined,
    }),
    fc.oneof({ arbitrary: fc.constant(""), weight: 9 }, fc.constantFrom("..", "_", "a", "-", " ", " x", ".")),
  )
  .map(([first, segs, pre, junk]) => {
    const main = [first, ...segs].join(".");
    return `${main}${pre === undefined ? "" : `-${pre.join(".")}`}${junk}`;
  });

describe.skipIf(!hasRuby())("RubyGems against Ruby's Gem::Version", () => {
  it(`agrees on ${PAIRS} generated pairs, refusals included`, () => {
    const all = pairs(gemVersion, fc.constantFrom(".0", ".a", "-1", ".1", "0"));
    const s = scheme("rubygems");
    const script =
      'require "json"; out = JSON.parse($stdin.read).map { |a, b| ' +
      "Gem::Version.correct?(a) && Gem::Version.correct?(b) ? (Gem::Version.new(a) <=> Gem::Version.new(b)).to_s : 'E' }; print JSON.generate(out)";
    const r = spawnSync("ruby", ["-e", script], { input: JSON.stringify(all), encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const theirs = JSON.parse(r.stdout) as string[];
    expect(mismatches(all, theirs, (a, b) => ours(s, a, b))).toEqual([]);
    const refused = theirs.filter((t) => t === "E").length;
    expect(refused).toBeLessThan(all.length);
    console.info(
      `rubygems: ${all.length} pairs agreed with Gem::Version (${refused} refused by both; seed ${seed})`,
    );
  });
});
