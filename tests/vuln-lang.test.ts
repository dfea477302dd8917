// Vulnerability matching end to end for language packages: an image built with @rafscan/builder from
// a directory tree holding a node_modules tree, Python site-packages, a Go binary (written with the
// analyzers' ELF and build-info test writers: no Go toolchain needed) and a Maven jar.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { binaryAnalyzers, builtinAnalyzers, type ScanReport, scanImage } from "@rafscan/analyzers";
import { buildImage, readDirectory } from "@rafscan/builder";
import { openImage } from "@rafscan/registry";
import { createMatcher, MemoryAdvisoryStore, type OsvRecord } from "@rafscan/vulndb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildElf } from "../packages/analyzers/test/helpers/binary/elf-writer.js";
import { framedModinfo, inlineBuildInfo } from "../packages/analyzers/test/helpers/binary/go-buildinfo.js";
import { buildZip } from "../packages/analyzers/test/helpers/binary/zip-writer.js";

const SITE = "usr/local/lib/python3.11/site-packages";

function write(root: string, path: string, data: string | Uint8Array, mode = 0o644): void {
  const host = join(root, path);
  mkdirSync(dirname(host), { recursive: true });
  writeFileSync(host, data);
  chmodSync(host, mode);
}

function goBinary(): Uint8Array {
  const modinfo = [
    "path\texample.com/shop/cmd/shop",
    "mod\texample.com/shop\t(devel)\t",
    "dep\tgolang.org/x/net\tv0.17.0\th1:abc=",
    "dep\tgolang.org/x/text\tv0.14.0\th1:def=",
    "build\t-compiler=gc",
    "",
  ].join("\n");
  return buildElf({
    class: 64,
    sections: [
      { name: ".text", data: new Uint8Array(64).fill(0x90) },
      { name: ".go.buildinfo", data: inlineBuildInfo("go1.21.0", framedModinfo(modinfo)) },
    ],
  }).bytes;
}

function jar(): Uint8Array {
  const pom = "groupId=org.apache.logging.log4j\nartifactId=log4j-core\nversion=2.14.1\n";
  return buildZip([
    { name: "META-INF/MANIFEST.MF", data: "Manifest-Version: 1.0\r\n\r\n" },
    { name: "META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties", data: pom },
    { name: "org/apache/logging/log4j/core/Logger.class", data: new Uint8Array(200).fill(7) },
  ]);
}

function rec(
  id: string,
  ecosystem: string,
  name: string,
  events: Record<string, string>[],
  extra: Partial<OsvRecord> = {},
): OsvRecord {
  return {
    id,
    modified: "2026-01-01T00:00:00Z",
    affected: [
      {
        package: { ecosystem, name },
        ranges: [{ type: ecosystem === "Go" ? "SEMVER" : "ECOSYSTEM", events: events as never }],
      },
    ],
    ...extra,
  };
}

const RECORDS: OsvRecord[] = [
  rec("GHSA-35jh-r3h4-6jhm", "npm", "lodash", [{ introduced: "0" }, { fixed: "4.17.21" }], {
    aliases: ["CVE-2021-23337"],
    database_specific: { severity: "HIGH" },
  }),
  rec(
    "GHSA-67hx-6x53-jw92",
    "npm",
    "@babel/traverse",
    [{ introduced: "0" }, { fixed: "7.23.2" }, { introduced: "8.0.0-alpha.0" }, { fixed: "8.0.0-alpha.4" }],
    {
      aliases: ["CVE-2023-45133"],
      database_specific: { severity: "CRITICAL" },
    },
  ),
  // Two feeds' records for one CVE: one finding. The name is written as PyPI spells it.
  rec("PYSEC-2021-142", "PyPI", "PyYAML", [{ introduced: "0" }, { fixed: "5.4" }], {
    aliases: ["CVE-2020-14343"],
  }),
  rec("GHSA-8q59-q68h-6hv4", "PyPI", "pyyaml", [{ introduced: "0" }, { fixed: "5.4" }], {
    aliases: ["CVE-2020-14343"],
    severity: [{ type: "CVSS_V3", score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" }],
  }),
  rec("GHSA-j8r2-6x86-q33q", "PyPI", "requests", [{ introduced: "2.3.0" }, { fixed: "2.31.0" }], {
    aliases: ["CVE-2023-32681"],
  }),
  rec("GHSA-x84v-xcm2-53pg", "PyPI", "requests", [{ introduced: "0" }, { fixed: "2.20.0" }], {
    aliases: ["CVE-2018-18074"],
  }),
  rec("GO-2023-2102", "Go", "golang.org/x/net", [{ introduced: "0" }, { fixed: "0.17.0" }], {
    aliases: ["CVE-2023-39325"],
  }),
  rec("GO-2024-2687", "Go", "golang.org/x/net", [{ introduced: "0" }, { fixed: "0.23.0" }], {
    aliases: ["CVE-2023-45288"],
  }),
  rec(
    "GO-2023-2185",
    "Go",
    "stdlib",
    [{ introduced: "0" }, { fixed: "1.20.11" }, { introduced: "1.21.0-0" }, { fixed: "1.21.4" }],
    {
      aliases: ["CVE-2023-45283"],
    },
  ),
  {
    id: "GHSA-jfh8-c2jp-5v3q",
    modified: "2026-01-01T00:00:00Z",
    aliases: ["CVE-2021-44228"],
    database_specific: { severity: "CRITICAL" },
    affected: [
      {
        package: { ecosystem: "Maven", name: "org.apache.logging.log4j:log4j-core" },
        ranges: [
          {
            type: "GIT",
            repo: "https://github.com/apache/logging-log4j2",
            events: [{ introduced: "0" }, { fixed: "c77b3cb" }],
          },
          {
            type: "ECOSYSTEM",
            events: [
              { introduced: "2.0-beta9" },
              { fixed: "2.3.1" },
              { introduced: "2.4" },
              { fixed: "2.12.2" },
              { introduced: "2.13.0" },
              { fixed: "2.15.0" },
            ],
          },
        ],
      },
    ],
  },
];

describe("vulnerability matching of language packages in a built image", () => {
  let dir: string;
  let outDir: string;
  let report: ScanReport;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "rafscan-vuln-lang-src-"));
    outDir = mkdtempSync(join(tmpdir(), "rafscan-vuln-lang-img-"));
    write(dir, "app/package.json", JSON.stringify({ name: "shop", private: true }));
    write(
      dir,
      "app/node_modules/lodash/package.json",
      JSON.stringify({ name: "lodash", version: "4.17.20" }),
    );
    write(
      dir,
      "app/node_modules/@babel/traverse/package.json",
      JSON.stringify({ name: "@babel/traverse", version: "7.23.1" }),
    );
    write(
      dir,
      `${SITE}/PyYAML-5.3.1.dist-info/METADATA`,
      "Metadata-Version: 2.1\nName: PyYAML\nVersion: 5.3.1\n\n",
    );
    write(
      dir,
      `${SITE}/requests-2.25.0.dist-info/METADATA`,
      "Metadata-Version: 2.1\nName: requests\nVersion: 2.25.0\n\n",
    );
    write(dir, "usr/local/bin/shop", goBinary(), 0o755);
    write(dir, "opt/app/log4j-core-2.14.1.jar", jar());
    await buildImage([readDirectory(dir)], { outDir, fsVersion: 6, compressor: "zstd" });
    const image = await openImage(outDir);
    try {
      report = await scanImage(image, {
        name: "lang",
        // Go binaries are read by the opt-in binary analyzers (which hold the jar analyzer too).
        analyzers: [...builtinAnalyzers().filter((a) => a.id !== "java-archive"), ...binaryAnalyzers()],
        vulnerabilities: createMatcher(new MemoryAdvisoryStore(RECORDS)),
      });
    } finally {
      await image.close();
    }
  }, 120_000);

  afterAll(() => {
    for (const d of [dir, outDir]) if (d !== undefined) rmSync(d, { recursive: true, force: true });
  });

  it("finds each ecosystem's packages", () => {
    const names = report.packages.map((p) => `${p.ecosystem}:${p.name}@${p.version}`);
    expect(names).toEqual(
      expect.arrayContaining([
        "npm:lodash@4.17.20",
        "npm:@babel/traverse@7.23.1",
        "pypi:PyYAML@5.3.1",
        "pypi:requests@2.25.0",
        "golang:golang.org/x/net@v0.17.0",
        "golang:stdlib@v1.21.0",
        "maven:org.apache.logging.log4j:log4j-core@2.14.1",
      ]),
    );
  });

  it("reports exactly the advisories each installed version is within", () => {
    const v = report.vulnerabilities;
    const got = (v?.findings ?? [])
      .map(
        (f) =>
          `${f.packageName}@${f.installedVersion} ${f.id} [${f.aliases.join(" ")}] ${f.fixedVersions.join(" ")} ${f.severity} ${f.dataSource.id}`,
      )
      .sort();
    expect(got).toEqual(
      [
        "lodash@4.17.20 CVE-2021-23337 [GHSA-35jh-r3h4-6jhm] 4.17.21 HIGH osv:npm",
        "@babel/traverse@7.23.1 CVE-2023-45133 [GHSA-67hx-6x53-jw92] 7.23.2 CRITICAL osv:npm",
        "PyYAML@5.3.1 CVE-2020-14343 [GHSA-8q59-q68h-6hv4 PYSEC-2021-142] 5.4 CRITICAL osv:PyPI",
        "requests@2.25.0 CVE-2023-32681 [GHSA-j8r2-6x86-q33q] 2.31.0 UNKNOWN osv:PyPI",
        "golang.org/x/net@v0.17.0 CVE-2023-45288 [GO-2024-2687] 0.23.0 UNKNOWN osv:Go",
        "stdlib@v1.21.0 CVE-2023-45283 [GO-2023-2185] 1.21.4 UNKNOWN osv:Go",
        "org.apache.logging.log4j:log4j-core@2.14.1 CVE-2021-44228 [GHSA-jfh8-c2jp-5v3q] 2.15.0 CRITICAL osv:Maven",
      ].sort(),
    );
    expect(v?.release).toBeUndefined();
    // The Go main module (the project itself, relationship root) is built at `(devel)`: no version, so nothing to compare.
    expect(v?.unmatched.map((u) => [u.purl, u.reason])).toEqual([
      ["pkg:golang/example.com/shop", "root package without a version"],
    ]);
  });
});
