// A realistic synthetic ScanReport for the SBOM writer tests: dozens of packages across ecosystems,
// duplicates, awkward names, and licences that are ids, expressions, free text or absent.
import type { Ecosystem, Package } from "../src/findings.js";
import { purl } from "../src/purl.js";
import type { ScanReport } from "../src/report.js";

function pkg(
  ecosystem: Ecosystem,
  namespace: string | undefined,
  name: string,
  version: string,
  source: string,
  foundBy: string,
  licenses?: string[],
  extra: Partial<Package> = {},
): Package {
  return {
    // npm scopes and Go module paths are part of the name the ecosystem uses.
    name:
      namespace !== undefined && (ecosystem === "npm" || ecosystem === "golang")
        ? `${namespace}/${name}`
        : name,
    version,
    ecosystem,
    purl: purl(ecosystem, namespace, name, version, extra.arch !== undefined ? { arch: extra.arch } : {}),
    source,
    foundBy,
    ...(licenses !== undefined ? { licenses } : {}),
    ...extra,
  };
}

const DPKG = "/var/lib/dpkg/status";

/** Debian packages, as the dpkg analyzer would report them. */
function debs(): Package[] {
  const names: [string, string, string[] | undefined][] = [
    ["base-files", "12.4+deb12u5", ["GPL-2+"]],
    ["bash", "5.2.15-2+b2", ["GPL-3.0-or-later"]],
    ["coreutils", "9.1-1", ["GPL-3.0-only"]],
    ["libc6", "2.36-9+deb12u4", ["LGPL-2.1-or-later", "GPL-2.0-or-later WITH GCC-exception-2.0"]],
    ["libssl3", "3.0.11-1~deb12u2", ["Apache-2.0"]],
    ["zlib1g", "1:1.2.13.dfsg-1", ["Zlib"]],
    ["tzdata", "2024a-0+deb12u1", ["public-domain"]],
    ["libstdc++6", "12.2.0-14", ["GPL-3.0-or-later WITH GCC-exception-3.1", "GFDL-1.2-only"]],
    ["libgcc-s1", "12.2.0-14", undefined],
    ["perl-base", "5.36.0-7+deb12u1", ["Artistic-1.0-Perl OR GPL-1.0-or-later"]],
    ["dash", "0.5.12-2", ["bsd-3-clause", "GPL-2.0-or-later"]],
    ["ncurses-base", "6.4-4", ["X11"]],
  ];
  return names.map(([name, version, licenses]) =>
    pkg("deb", "debian", name, version, DPKG, "dpkg", licenses, {
      arch: "amd64",
      ...(name === "libssl3" ? { sourceName: "openssl", sourceVersion: "3.0.11-1~deb12u2" } : {}),
    }),
  );
}

/** npm packages from two `node_modules` trees: some appear twice. */
function npms(): Package[] {
  const list: Package[] = [];
  for (const root of ["/app/node_modules", "/usr/lib/node_modules/npm/node_modules"]) {
    list.push(
      pkg("npm", undefined, "lodash", "4.17.21", `${root}/lodash/package.json`, "npm", ["MIT"]),
      pkg("npm", "@babel", "core", "7.24.0", `${root}/@babel/core/package.json`, "npm", ["MIT"]),
      pkg("npm", undefined, "semver", "7.6.0", `${root}/semver/package.json`, "npm", ["ISC"]),
    );
  }
  list.push(
    pkg("npm", undefined, "left-pad", "1.3.0", "/app/node_modules/left-pad/package.json", "npm", ["WTFPL"]),
    pkg("npm", "@types", "node", "20.11.5", "/app/node_modules/@types/node/package.json", "npm", ["MIT"]),
    pkg("npm", undefined, "dual", "1.0.0", "/app/node_modules/dual/package.json", "npm", [
      "(MIT OR Apache-2.0)",
    ]),
    pkg("npm", undefined, "no-licence", "0.0.1", "/app/node_modules/no-licence/package.json", "npm"),
    pkg("npm", undefined, "custom", "2.0.0", "/app/node_modules/custom/package.json", "npm", [
      "SEE LICENSE IN LICENSE.md",
    ]),
    pkg("npm", undefined, "café", "1.0.0", "/app/node_modules/café/package.json", "npm", ["Licence libre ✓"]),
    pkg("npm", undefined, "lower-ops", "1.0.0", "/app/node_modules/lower-ops/package.json", "npm", [
      "mit or apache-2.0",
    ]),
  );
  return list;
}

/** Python, Go, Java, Ruby, Rust and PHP packages with odd names and licence forms. */
function others(): Package[] {
  const site = "/usr/lib/python3/dist-packages";
  return [
    pkg("pypi", undefined, "requests", "2.31.0", `${site}/requests-2.31.0.dist-info/METADATA`, "python", [
      "Apache 2.0",
    ]),
    pkg(
      "pypi",
      undefined,
      "zope.interface",
      "6.2",
      `${site}/zope.interface-6.2.dist-info/METADATA`,
      "python",
      ["ZPL-2.1"],
    ),
    pkg("pypi", undefined, "PyYAML", "6.0.1", `${site}/PyYAML-6.0.1.dist-info/METADATA`, "python", [
      "MIT License",
    ]),
    pkg(
      "pypi",
      undefined,
      "My Package",
      "1.0+local.build",
      `${site}/My_Package-1.0.dist-info/METADATA`,
      "python",
      ["BSD"],
    ),
    pkg("pypi", undefined, "uses-ref", "0.1", `${site}/uses_ref-0.1.dist-info/METADATA`, "python", [
      "LicenseRef-Proprietary",
    ]),
    pkg("golang", "github.com/spf13", "cobra", "v1.8.0", "/usr/local/bin/app", "gobinary", ["Apache-2.0"]),
    pkg("golang", "golang.org/x", "net", "v0.21.0", "/usr/local/bin/app", "gobinary"),
    pkg("golang", undefined, "stdlib", "go1.22.1", "/usr/local/bin/app", "gobinary", ["BSD-3-Clause"]),
    pkg(
      "maven",
      "org.apache.logging.log4j",
      "log4j-core",
      "2.17.1",
      "/opt/app/lib/log4j-core-2.17.1.jar",
      "java",
      ["Apache License, Version 2.0"],
    ),
    pkg("maven", "com.google.guava", "guava", "33.0.0-jre", "/opt/app/lib/guava-33.0.0-jre.jar", "java", [
      "Apache-2.0",
    ]),
    pkg("gem", undefined, "rails", "7.1.3", "/usr/local/bundle/specifications/rails-7.1.3.gemspec", "ruby", [
      "MIT",
    ]),
    pkg(
      "gem",
      undefined,
      "nokogiri",
      "1.16.2",
      "/usr/local/bundle/specifications/nokogiri-1.16.2.gemspec",
      "ruby",
      ["MIT", "mit"],
    ),
    pkg("cargo", undefined, "serde", "1.0.197", "/usr/local/bin/rustapp", "rust", ["MIT OR Apache-2.0"]),
    pkg("cargo", undefined, "ring", "0.17.8", "/usr/local/bin/rustapp", "rust", ["MIT AND ISC AND OpenSSL"]),
    pkg("composer", "symfony", "console", "v7.0.4", "/var/www/vendor/composer/installed.json", "php", [
      "MIT",
    ]),
    pkg("nuget", undefined, "Newtonsoft.Json", "13.0.3", "/app/app.deps.json", "dotnet", ["MIT"]),
    pkg("apk", "alpine", "musl", "1.2.4-r2", "/lib/apk/db/installed", "apk", ["MIT"], { arch: "x86_64" }),
    pkg("rpm", "redhat", "openssl-libs", "1:3.0.7-25.el9", "/var/lib/rpm/rpmdb.sqlite", "rpm", ["ASL 2.0"], {
      arch: "x86_64",
    }),
    pkg("conda", undefined, "numpy", "1.26.4", "/opt/conda/conda-meta/numpy-1.26.4.json", "conda", [
      "BSD-3-Clause",
    ]),
    // Same name in two ecosystems: both must stay.
    pkg("pypi", undefined, "semver", "3.0.2", `${site}/semver-3.0.2.dist-info/METADATA`, "python", [
      "BSD-3-Clause",
    ]),
    // Two versions of one name (different purls) and a name with only unsafe characters.
    pkg(
      "npm",
      undefined,
      "lodash",
      "3.10.1",
      "/app/node_modules/old/node_modules/lodash/package.json",
      "npm",
      ["MIT"],
    ),
    pkg("npm", undefined, "日本語", "1.0.0", "/app/node_modules/日本語/package.json", "npm", ["MIT"]),
  ];
}

/** The report: every package above, in a scanner-like (unsorted) order. */
export function sampleReport(): ScanReport {
  return {
    schemaVersion: 1,
    image: {
      name: "registry.example.com/team/app:1.2.3",
      digest: "sha256:4bc453b53cb3d914b45f4b250294236adba2c0e09ff6f03793949e7e39fd4cc1",
      format: "rafs-v6",
    },
    os: {
      family: "debian",
      version: "12",
      name: "Debian GNU/Linux",
      prettyName: "Debian GNU/Linux 12 (bookworm)",
      codename: "bookworm",
      source: "/etc/os-release",
    },
    packages: [...others(), ...npms(), ...debs()],
    secrets: [
      {
        ruleId: "aws-access-key-id",
        title: "AWS access key id",
        severity: "CRITICAL",
        path: "/app/.env",
        line: 3,
        match: "AWS_ACCESS_KEY_ID=AKIA****************",
      },
      {
        ruleId: "private-key",
        title: "Private key",
        severity: "HIGH",
        path: "/root/.ssh/id_rsa",
        line: 1,
        match: "-----BEGIN RSA PRIVATE KEY-----****",
      },
    ],
    notes: ["3 files were larger than maxFileSize"],
    warnings: [
      { plugin: "dpkg", message: "status: stanza 12 has no Version", path: DPKG },
      { plugin: "python", message: "METADATA: not UTF-8" },
    ],
    analyzers: [
      {
        id: "dpkg",
        version: "1.0.0",
        filesMatched: 1,
        filesRead: 1,
        bytesRead: 123456,
        skipped: [],
        packages: 12,
        secrets: 0,
        durationMs: 12,
      },
      {
        id: "java",
        version: "1.0.0",
        filesMatched: 2,
        filesRead: 0,
        bytesRead: 0,
        skipped: [],
        packages: 0,
        secrets: 0,
        durationMs: 1,
        error: "zip: central directory not found",
      },
    ],
    telemetry: {
      imageBytes: 50 * 1024 * 1024,
      bytesFetched: 1_572_864,
      requests: 17,
      cacheHits: 3,
      cacheMisses: 14,
      entriesWalked: 12034,
      fileBytesRead: 2_000_000,
      networkMs: 640,
      durationMs: 830.4,
    },
    createdAt: "2024-03-01T12:34:56.789Z",
  };
}
