// Tests of the apk analyzer: the installed database's X:value records, purls with origin and
// distro, and malformed records turning into warnings.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseApkInstalled } from "../src/apk/apk-db.js";
import { APK_INSTALLED, apkPlugin } from "../src/apk/apk-plugin.js";
import { apkLicenses } from "../src/apk/licenses.js";
import type { OsInfo } from "../src/findings.js";
import { memoryContext, memoryFile } from "./helpers/files.js";

const DB = `C:Q1abc=
P:musl
V:1.2.5-r0
A:x86_64
S:407000
I:622592
T:the musl c library (libc) implementation
U:https://musl.libc.org/
L:MIT
o:musl
m:Natanael Copa <ncopa@alpinelinux.org>
F:lib
R:ld-musl-x86_64.so.1
a:0:0:755
Z:Q1xyz=

C:Q1def=
P:libcrypto3
V:3.3.1-r0
A:x86_64
L:Apache-2.0
o:openssl
F:usr/lib
R:libcrypto.so.3

P:busybox-binsh
V:1.36.1-r29
A:x86_64
L:GPL-2.0-only
o:busybox
`;

const ALPINE: OsInfo = { family: "alpine", version: "3.20.1", source: "/etc/os-release" };

async function run(text: string, os: OsInfo | null = ALPINE) {
  const ctx = memoryContext(os ? { os } : {});
  const findings = await apkPlugin.analyze([memoryFile(APK_INSTALLED, text)], ctx);
  return { packages: findings.packages ?? [], warnings: ctx.warnings };
}

describe("parseApkInstalled", () => {
  it("reads P, V, A, L and o of each record", () => {
    expect(parseApkInstalled(DB)).toEqual([
      { name: "musl", version: "1.2.5-r0", arch: "x86_64", license: "MIT", origin: "musl", line: 1 },
      {
        name: "libcrypto3",
        version: "3.3.1-r0",
        arch: "x86_64",
        license: "Apache-2.0",
        origin: "openssl",
        line: 17,
      },
      {
        name: "busybox-binsh",
        version: "1.36.1-r29",
        arch: "x86_64",
        license: "GPL-2.0-only",
        origin: "busybox",
        line: 26,
      },
    ]);
  });

  it("reports records without P or V and lines that are not X:value", () => {
    const bad: [number, string][] = [];
    const r = parseApkInstalled("P:a\nV:1\n\nV:2\nA:x\n\nP:b\nthis is junk\nV:3\n\n\n", (n, why) =>
      bad.push([n, why]),
    );
    expect(r.map((x) => x.name)).toEqual(["a", "b"]);
    expect(bad).toEqual([
      [4, "package without P: or V:"],
      [8, "not an X:value line"],
    ]);
  });

  it("never throws on arbitrary input", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (text) => {
        for (const r of parseApkInstalled(text, () => {})) {
          expect(r.name).not.toBe("");
          expect(r.version).not.toBe("");
        }
      }),
    );
  });
});

describe("apkPlugin", () => {
  it("builds purls with distro and upstream (origin, when it differs)", async () => {
    const { packages, warnings } = await run(DB);
    expect(warnings).toEqual([]);
    expect(packages[0]).toEqual({
      name: "musl",
      version: "1.2.5-r0",
      ecosystem: "apk",
      arch: "x86_64",
      licenses: ["MIT"],
      source: APK_INSTALLED,
      purl: "pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64&distro=alpine-3.20.1",
    });
    expect(packages[1]).toMatchObject({
      sourceName: "openssl",
      purl: "pkg:apk/alpine/libcrypto3@3.3.1-r0?arch=x86_64&distro=alpine-3.20.1&upstream=openssl",
    });
  });

  it("uses the OS family as namespace (Wolfi) and alpine without an OS", async () => {
    const wolfi = await run(DB, { family: "wolfi", version: "20230201", source: "x" });
    expect(wolfi.packages[0]?.purl).toBe("pkg:apk/wolfi/musl@1.2.5-r0?arch=x86_64&distro=wolfi-20230201");
    const none = await run(DB, null);
    expect(none.packages[0]?.purl).toBe("pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64");
  });

  it("turns a truncated or binary database into warnings, keeping what parses", async () => {
    const cut = await run(DB.slice(0, DB.indexOf("V:3.3.1")));
    expect(cut.packages.map((p) => p.name)).toEqual(["musl"]);
    expect(cut.warnings).toEqual([{ message: "line 17: package without P: or V:", path: APK_INSTALLED }]);
    const junk = String.fromCharCode(...Array.from({ length: 2000 }, (_, i) => (i * 131) % 256));
    const j = await run(junk);
    expect(j.packages).toEqual([]);
    expect(j.warnings.length).toBeGreaterThan(0);
  });
});

describe("apk licences", () => {
  it.each([
    ["GPL2", ["GPL-2.0-only"]],
    ["GPL", ["GPL-2.0-or-later"]],
    ["zlib", ["Zlib"]],
    ["openssl", ["OpenSSL"]],
    ["MIT BSD GPL2+", ["MIT", "BSD-3-Clause", "GPL-2.0-or-later"]],
    ["( Apache-2.0 OR MIT ) AND MPL-2.0", ["(Apache-2.0 OR MIT) AND MPL-2.0"]],
    ["custom:Foo", ["custom:Foo"]],
  ])("apk: licence %j is normalised to SPDX ids as the peers do", (field, want) =>
    expect(apkLicenses(field)).toEqual(want),
  );
});
