// Tests of the dpkg analyzer: deb822 paragraphs and continuation lines, the Status rule, Source
// parsing, purls, distroless status.d, owned files and licences read through ctx.image on request,
// and malformed databases turning into warnings.

import { FsError } from "@rafscan/vfs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { debVersionProblem } from "../src/dpkg/deb-version.js";
import { parseDeb822 } from "../src/dpkg/deb822.js";
import { copyrightLicenses, dpkgPlugin } from "../src/dpkg/dpkg-plugin.js";
import type { OsInfo } from "../src/findings.js";
import type { AnalyzerContext, NeedEntry } from "../src/plugin.js";
import { memoryContext, memoryFile } from "./helpers/files.js";

const DEBIAN: OsInfo = { family: "debian", version: "12", source: "/etc/os-release" };

const STATUS = `Package: libc6
Status: install ok installed
Priority: optional
Architecture: amd64
Multi-Arch: same
Source: glibc
Version: 2.36-9+deb12u4
Description: GNU C Library: Shared libraries
 Contains the standard libraries that are used by nearly all programs on
 the system.
 .
 More text.

Package: removed-pkg
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0

Package: half
Status: install reinstreq half-installed
Version: 2.0

Package: libssl3
Status: install ok installed
Architecture: amd64
Source: openssl (3.0.11-1~deb12u2)
Version: 3.0.13-1~deb12u1

Package: tzdata
Status: install ok installed
Architecture: all
Version: 2024a-0+deb12u1
`;

async function run(files: Record<string, string>, os: OsInfo | null = DEBIAN) {
  const ctx = memoryContext(os ? { os } : {});
  const findings = await dpkgPlugin.analyze(
    Object.entries(files).map(([p, c]) => memoryFile(p, c)),
    ctx,
  );
  return { packages: findings.packages ?? [], warnings: ctx.warnings };
}

describe("parseDeb822", () => {
  it("splits paragraphs, lower-cases names and joins continuation lines", () => {
    const s = parseDeb822(
      "Package: a\nDescription: one\n two\n\tthree\n\n\n# comment\nPACKAGE: b\r\nVersion: 1\r\n",
    );
    expect(s).toHaveLength(2);
    expect(s[0]?.fields.get("description")).toBe("one\ntwo\nthree");
    expect(s[0]?.line).toBe(1);
    expect(Object.fromEntries(s[1]?.fields ?? [])).toEqual({ package: "b", version: "1" });
    expect(s[1]?.line).toBe(8);
  });

  it("reports malformed lines and keeps the first of a repeated field", () => {
    const bad: number[] = [];
    const s = parseDeb822(
      " orphan continuation\nPackage: a\nno colon here\nPackage: dup\n dup continuation\nVersion: 1\n",
      (n) => bad.push(n),
    );
    expect(bad).toEqual([1, 3]);
    expect(Object.fromEntries(s[0]?.fields ?? [])).toEqual({ package: "a", version: "1" });
  });

  it("never throws on arbitrary input", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (text) => {
        for (const st of parseDeb822(text, () => {})) expect(st.fields.size).toBeGreaterThan(0);
      }),
    );
  });
});

describe("dpkgPlugin", () => {
  it("lists installed packages with arch, source and purls", async () => {
    const { packages, warnings } = await run({ "/var/lib/dpkg/status": STATUS });
    expect(warnings).toEqual([]);
    expect(packages.map((p) => p.name)).toEqual(["libc6", "libssl3", "tzdata"]);
    expect(packages[0]).toEqual({
      name: "libc6",
      version: "2.36-9+deb12u4",
      ecosystem: "deb",
      arch: "amd64",
      sourceName: "glibc",
      source: "/var/lib/dpkg/status",
      purl: "pkg:deb/debian/libc6@2.36-9+deb12u4?arch=amd64&distro=debian-12&upstream=glibc",
    });
    expect(packages[1]).toMatchObject({ sourceName: "openssl", sourceVersion: "3.0.11-1~deb12u2" });
    expect(packages[1]?.purl).toBe(
      "pkg:deb/debian/libssl3@3.0.13-1~deb12u1?arch=amd64&distro=debian-12&upstream=openssl%403.0.11-1%7Edeb12u2",
    );
    expect(packages[2]?.purl).toBe("pkg:deb/debian/tzdata@2024a-0+deb12u1?arch=all&distro=debian-12");
  });

  it("uses the OS family as namespace, and debian without an OS", async () => {
    const ubuntu = await run(
      { "/var/lib/dpkg/status": STATUS },
      { family: "ubuntu", version: "22.04", source: "x" },
    );
    expect(ubuntu.packages[2]?.purl).toBe(
      "pkg:deb/ubuntu/tzdata@2024a-0+deb12u1?arch=all&distro=ubuntu-22.04",
    );
    const none = await run({ "/var/lib/dpkg/status": STATUS }, null);
    expect(none.packages[2]?.purl).toBe("pkg:deb/debian/tzdata@2024a-0+deb12u1?arch=all");
  });

  it("reads distroless status.d files without Status, and prefers the main database on duplicates", async () => {
    const { packages } = await run({
      "/var/lib/dpkg/status.d/base-files":
        "Package: base-files\nVersion: 12.4+deb12u5\nArchitecture: amd64\n",
      "/var/lib/dpkg/status.d/tzdata": "Package: tzdata\nVersion: 0-old\nArchitecture: all\n",
      "/var/lib/dpkg/status": STATUS,
    });
    expect(packages.map((p) => `${p.name}@${p.version}:${p.source}`)).toEqual([
      "libc6@2.36-9+deb12u4:/var/lib/dpkg/status",
      "libssl3@3.0.13-1~deb12u1:/var/lib/dpkg/status",
      "tzdata@2024a-0+deb12u1:/var/lib/dpkg/status",
      "base-files@12.4+deb12u5:/var/lib/dpkg/status.d/base-files",
    ]);
  });

  it("matches status.d files but not their md5sums or subdirectories", () => {
    const predicate = dpkgPlugin.needs.find((n) => typeof n === "function") as (e: NeedEntry) => boolean;
    const e = (path: string) => predicate({ path, size: 1, mode: 0o100644 });
    expect(e("/var/lib/dpkg/status.d/libc6")).toBe(true);
    expect(e("/var/lib/dpkg/status.d/libc6.md5sums")).toBe(false);
    expect(e("/var/lib/dpkg/status.d/x/y")).toBe(false);
    expect(e("/var/lib/dpkg/status")).toBe(false);
    expect(dpkgPlugin.needs).toContain("/var/lib/dpkg/status");
  });

  it("warns about installed paragraphs without a valid Package or Version", async () => {
    const { packages, warnings } = await run({
      "/var/lib/dpkg/status":
        "Package: ok\nVersion: 1\n\nPackage: ../../etc/shadow\nVersion: 1\n\nPackage: nover\nStatus: install ok installed\n\nVersion: 3\n",
    });
    expect(packages.map((p) => p.name)).toEqual(["ok"]);
    expect(warnings.map((w) => w.message)).toEqual([
      "paragraph at line 4: missing or malformed Package or Version",
      "paragraph at line 7: missing or malformed Package or Version",
      "paragraph at line 10: missing or malformed Package or Version",
    ]);
  });

  it("survives truncated and binary databases", async () => {
    const truncated = STATUS.slice(0, STATUS.indexOf("Version: 3.0.13"));
    const t = await run({ "/var/lib/dpkg/status": truncated });
    expect(t.packages.map((p) => p.name)).toEqual(["libc6"]);
    expect(t.warnings).toHaveLength(1);
    const junk = String.fromCharCode(...Array.from({ length: 3000 }, (_, i) => (i * 31) % 256));
    const j = await run({ "/var/lib/dpkg/status": junk });
    expect(j.packages).toEqual([]);
  });

  it("reads owned files and licences through ctx.image only when asked", async () => {
    const reads: string[] = [];
    const tree: Record<string, string> = {
      "/var/lib/dpkg/info/libc6:amd64.list": "/.\n/lib\n/lib/x86_64-linux-gnu/libc.so.6\n",
      "/var/lib/dpkg/info/tzdata.list": "/.\n/usr/share/zoneinfo/UTC\n",
      "/usr/share/doc/libc6/copyright":
        "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nLicense: LGPL-2.1+\n\nFiles: x\nLicense: GPL-2+\n text\n\nLicense: LGPL-2.1+\n",
    };
    const image = {
      readFile: async (path: string) => {
        reads.push(path);
        const text = tree[path];
        if (text === undefined) throw new FsError("ENOENT", "open", path);
        return text;
      },
    };
    const ctx: AnalyzerContext = {
      image: image as unknown as AnalyzerContext["image"],
      os: DEBIAN,
      options: { files: true, licenses: true },
      signal: undefined,
      warn: (message) => {
        throw new Error(`unexpected warning: ${message}`);
      },
    };
    const plain = await run({ "/var/lib/dpkg/status": STATUS });
    expect(plain.packages[0]?.files).toBeUndefined();
    const findings = await dpkgPlugin.analyze([memoryFile("/var/lib/dpkg/status", STATUS)], ctx);
    const [libc, libssl, tz] = findings.packages ?? [];
    expect(libc?.files).toEqual(["/lib", "/lib/x86_64-linux-gnu/libc.so.6"]);
    expect(libc?.licenses).toEqual(["LGPL-2.1+", "GPL-2+"]);
    expect(libssl?.files).toBeUndefined();
    expect(tz?.files).toEqual(["/usr/share/zoneinfo/UTC"]);
    // `all` packages have no `:arch` list; amd64 ones try `name:arch` first, then `name`.
    expect(reads).toContain("/var/lib/dpkg/info/libssl3:amd64.list");
    expect(reads).toContain("/var/lib/dpkg/info/libssl3.list");
    expect(reads).not.toContain("/var/lib/dpkg/info/tzdata:all.list");
  });

  it("extracts DEP-5 licence names", () => {
    expect(
      copyrightLicenses("License: MIT\nLicense:   BSD-3-clause  \nLicense: MIT\nNot-License: x\n"),
    ).toEqual(["MIT", "BSD-3-clause"]);
    expect(copyrightLicenses("free text, no machine-readable fields")).toEqual([]);
  });
});

describe("dpkg regressions", () => {
  it("dpkg: a package with an invalid Debian version (1:5.#) is skipped with a warning", async () => {
    const status =
      "Package: good\nStatus: install ok installed\nVersion: 1:2.3-4\n\nPackage: invalidpkg\nStatus: install ok installed\nVersion: 1:5.#\n";
    const ctx = memoryContext();
    const found = await dpkgPlugin.analyze([memoryFile("/var/lib/dpkg/status", status)], ctx);
    expect(found.packages?.map((p) => p.name)).toEqual(["good"]);
    expect(ctx.warnings).toEqual([
      {
        message:
          'paragraph at line 5: package invalidpkg skipped: invalid version "1:5.#" (invalid character in upstream version)',
        path: "/var/lib/dpkg/status",
      },
    ]);
  });

  it.each([
    "1:2.3-4",
    "2.36.1-8+deb12u1",
    "1.2~rc1",
    "0:1.0",
    "1.0-1-2",
    "7.88.1-10+deb12u5",
    "2:8.2.3995-1ubuntu2.15",
  ])("accepts the valid version %s", (v) => expect(debVersionProblem(v)).toBeUndefined());
  it.each(["a1.0", "x:1.0", "1.0-#", ":1", "1:"])("refuses %s", (v) =>
    expect(debVersionProblem(v)).toBeDefined(),
  );
});
