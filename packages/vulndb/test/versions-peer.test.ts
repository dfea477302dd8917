// The version schemes against ~72,000 comparisons ordered by the ecosystems' own tools
// (../shared/peer/versions/, README there): every enabled line must agree, except the few
// documented below, and a version is refused only where the ecosystem refuses it too.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { compareVersions, SCHEMES_BY_NAME } from "../src/versions/index.js";
import { rpmvercmp } from "../src/versions/rpm.js";
import { mavenArtifactJar, mavenCompare, pythonWith } from "./helpers/oracles.js";
import { checkPeerFile, PEER_VERSIONS, type PeerResult } from "./helpers/peer-versions.js";

/** Fixture file, scheme name (or "rpmvercmp" for bare strings), and what may be refused. */
interface Case {
  readonly file: string;
  readonly scheme: string;
  /** Lines (numbers) known to disagree, with why; checked to be exactly these. */
  readonly knownDisagreements?: Readonly<Record<number, string>>;
  /** Every refused version must satisfy this (documented in docs/versions.md). */
  readonly mayRefuse?: (version: string) => boolean;
}

const MAVEN_SAYS_SO = "Maven's ComparableVersion (3.9.6) answers as rafscan";
const TOO_BIG_FOR_DOUBLE = (v: string): boolean => /[0-9]{16,}/.test(v);

const CASES: readonly Case[] = [
  // apk: apk-tools refuses these in `apk version -c` as well (no digits after '.', '-r' without a
  // number, unknown suffixes, uppercase or a second letter, letters then digits).
  { file: "osv-scalibr-semantic/alpine-versions.txt", scheme: "apk", mayRefuse: () => true },
  {
    file: "osv-scalibr-semantic/alpine-versions-generated.txt",
    scheme: "apk",
    // Old OpenSSH advisories write the upstream "5.1p1" form, which apk-tools does not accept.
    mayRefuse: (v) => /^[0-9]+(\.[0-9]+)*p[0-9]+-r[0-9]+$/.test(v),
  },
  {
    file: "peer-tables/go-apk-version.version.data",
    scheme: "apk",
    mayRefuse: (v) => v === "23_foo" || v === "1.0bc",
  },
  { file: "osv-scalibr-semantic/debian-versions.txt", scheme: "dpkg" },
  { file: "osv-scalibr-semantic/debian-versions-generated.txt", scheme: "dpkg" },
  // rpm NEVRA strings: '_' (x86_64) is not allowed in a dpkg revision.
  { file: "peer-tables/go-deb-version.cases.txt", scheme: "dpkg", mayRefuse: (v) => v.endsWith(".x86_64") },
  { file: "osv-scalibr-semantic/redhat-versions.txt", scheme: "rpm" },
  { file: "peer-tables/go-rpm-version.cases.tsv", scheme: "rpmvercmp" },
  // Not PEP 440; checked below to be refused by Python's `packaging` too.
  { file: "osv-scalibr-semantic/pypi-versions.txt", scheme: "pep440", mayRefuse: () => true },
  { file: "osv-scalibr-semantic/pypi-versions-generated.txt", scheme: "pep440", mayRefuse: () => true },
  // Maven: where the fixture differs, Maven 3.9.6's own ComparableVersion answers as rafscan does
  // (checked below when java and a maven-artifact jar are present): "1-ga-1" parses to
  // [1, [[1]]], and a qualifier after '.' opens a sub-list ("1.0.0.RC8" is "1-rc-8"), which the
  // generator of these lines did not do.
  {
    file: "osv-scalibr-semantic/maven-versions.txt",
    scheme: "maven",
    knownDisagreements: { 100: MAVEN_SAYS_SO },
  },
  {
    file: "osv-scalibr-semantic/maven-versions-generated.txt",
    scheme: "maven",
    knownDisagreements: Object.fromEntries(
      [
        2781, 2786, 5776, 9949, 11435, 11450, 11476, 11526, 11557, 11578, 11582, 11594, 11602, 11612, 11621,
        11687, 11748, 12642,
      ].map((n) => [n, MAVEN_SAYS_SO]),
    ),
  },
  // NuGet numbers are int32.
  { file: "osv-scalibr-semantic/nuget-versions.txt", scheme: "nuget", mayRefuse: TOO_BIG_FOR_DOUBLE },
  {
    file: "osv-scalibr-semantic/packagist-versions.txt",
    scheme: "composer",
    // osv-scalibr's own conventions. PHP 8.2's version_compare (what Composer calls) orders
    // "1.2.3.#" before 1.2.3, 1.2.3.1 and even itself, and '#' (its marker for "a number")
    // equals every number; rafscan refuses versions with '#' (docs/versions.md);
    // numbers past LONG_MAX saturate in PHP (strtol), so the two 30-digit versions are equal.
    mayRefuse: (v) => v.includes("#"),
    knownDisagreements: {
      106: "PHP: numbers past LONG_MAX compare equal",
      107: "PHP: numbers past LONG_MAX compare equal",
    },
  },
  { file: "osv-scalibr-semantic/packagist-versions-generated.txt", scheme: "composer" },
  // Gem::Version::VERSION_PATTERN has no letters straight after the first number.
  {
    file: "osv-scalibr-semantic/rubygems-versions.txt",
    scheme: "rubygems",
    mayRefuse: (v) => /^1[a-z]+$/.test(v),
  },
  { file: "osv-scalibr-semantic/rubygems-versions-generated.txt", scheme: "rubygems" },
  // node-semver keeps numbers as doubles and refuses those past 2^53; 1.1.3.4.5 is not SemVer.
  {
    file: "osv-scalibr-semantic/semver-versions.txt",
    scheme: "semver",
    mayRefuse: (v) => TOO_BIG_FOR_DOUBLE(v) || v === "1.1.3.4.5",
  },
  // The same SemVer lines through the Go scheme (Go orders module versions as SemVer 2).
  {
    file: "osv-scalibr-semantic/semver-versions.txt",
    scheme: "go",
    mayRefuse: (v) => TOO_BIG_FOR_DOUBLE(v) || v === "1.1.3.4.5",
  },
];

function comparator(scheme: string): (a: string, b: string) => number {
  if (scheme === "rpmvercmp") return rpmvercmp;
  const s = SCHEMES_BY_NAME.get(scheme);
  if (s === undefined) throw new Error(`no scheme ${scheme}`);
  return (a, b) => compareVersions(s, a, b);
}

function refusedVersions(r: PeerResult, scheme: string): string[] {
  const s = SCHEMES_BY_NAME.get(scheme);
  const out = new Set<string>();
  for (const entry of r.refused) {
    const [, a, , b] = /^[0-9]+: (\S*) (\S) (\S*):/.exec(entry) ?? [];
    for (const v of [a, b]) {
      if (v === undefined || s === undefined) continue;
      try {
        s.parse(v);
      } catch {
        out.add(v);
      }
    }
  }
  return [...out];
}

const summary: string[] = [];

describe.skipIf(PEER_VERSIONS === undefined)("peer version fixtures (../shared/peer/versions)", () => {
  for (const c of CASES) {
    it(`${c.file} (${c.scheme})`, () => {
      const r = checkPeerFile(c.file, comparator(c.scheme));
      const known = c.knownDisagreements ?? {};
      const unexpected = r.disagreed.filter((d) => !(Number.parseInt(d, 10) in known));
      expect(unexpected).toEqual([]);
      // Known disagreements still disagree (else the list is stale).
      expect(r.disagreed.map((d) => Number.parseInt(d, 10)).sort()).toEqual(
        Object.keys(known).map(Number).sort(),
      );
      const refused = refusedVersions(r, c.scheme);
      const mayRefuse = c.mayRefuse ?? (() => false);
      expect(refused.filter((v) => !mayRefuse(v))).toEqual([]);
      expect(r.agreed + r.refused.length + r.disagreed.length).toBe(r.total);
      summary.push(
        `${c.file} (${c.scheme}): ${r.agreed}/${r.total} agreed, ${r.refused.length} refused, ${r.disagreed.length} known`,
      );
      if (c.scheme === "pep440") pep440Refusals.push(...refused);
      if (c.scheme === "maven") mavenDisagreements.push(...r.disagreed);
    });
  }

  const pep440Refusals: string[] = [];
  const mavenDisagreements: string[] = [];
  const maven = mavenArtifactJar();
  it.skipIf(maven === undefined)(
    "Maven's ComparableVersion agrees with rafscan where the Maven fixtures differ",
    () => {
      expect(mavenDisagreements.length).toBeGreaterThan(0);
      // Entries read "line: A OP B (got X)".
      const pairs = mavenDisagreements.map((d) => {
        const m = /^[0-9]+: (\S+) [<=>] (\S+) \(got ([<=>])\)$/.exec(d);
        if (m === null) throw new Error(d);
        return [m[1] as string, m[2] as string, m[3] as string] as const;
      });
      const theirs = mavenCompare(
        (maven as { jar: string }).jar,
        pairs.map(([a, b]) => [a, b] as const),
      );
      expect(theirs).toEqual(pairs.map(([, , got]) => (got === "<" ? "-1" : got === "=" ? "0" : "1")));
      console.info(
        `Maven ${maven?.version} agrees with rafscan on the ${pairs.length} Maven fixture lines that differ`,
      );
    },
  );
  const python = pythonWith("packaging");
  it.skipIf(python === undefined)("refuses only what Python's packaging refuses (PyPI)", () => {
    expect(pep440Refusals.length).toBeGreaterThan(0);
    const script =
      "import sys, json\nfrom packaging.version import Version, InvalidVersion\nbad = []\n" +
      "for v in json.load(sys.stdin):\n    try:\n        Version(v)\n    except InvalidVersion:\n        bad.append(v)\n" +
      "print(json.dumps(bad))";
    const out = spawnSync(python as string, ["-c", script], {
      input: JSON.stringify([...new Set(pep440Refusals)]),
      encoding: "utf8",
    });
    expect(out.status, out.stderr).toBe(0);
    expect((JSON.parse(out.stdout) as string[]).sort()).toEqual([...new Set(pep440Refusals)].sort());
  });

  it("prints the per-file agreement", () => {
    console.info(summary.join("\n"));
    expect(summary.length).toBe(CASES.length);
  });
});

describe.runIf(PEER_VERSIONS === undefined)("peer version fixtures", () => {
  it("skipped: ../shared/peer/versions is absent", () => {
    console.warn("../shared/peer/versions is absent: the peer version comparisons are not checked");
  });
});
