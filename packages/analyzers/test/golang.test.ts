// Go binary analyzer: synthetic ELF files from our own writer, hostile variants, and real Go
// binaries on this machine checked against readelf.
import { execFileSync } from "node:child_process";
import { existsSync, openSync, readSync, statSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseModInfo } from "../src/golang/build-info.js";
import { isExecutableEntry } from "../src/golang/each-file.js";
import { readElf } from "../src/golang/elf.js";
import { ldflagsVersion } from "../src/golang/ldflags.js";
import {
  analyzeGoBinary,
  goBinaryAnalyzer,
  goPackages,
  goPurl,
  stdlibVersion,
} from "../src/golang/plugin.js";
import type { MatchedFile } from "../src/plugin.js";
import { countingFile } from "./helpers/binary/counting-file.js";
import { buildElf } from "./helpers/binary/elf-writer.js";
import { framedModinfo, inlineBuildInfo, pointerBuildInfo } from "./helpers/binary/go-buildinfo.js";
import { buildMachO, buildPe } from "./helpers/binary/pe-macho-writer.js";
import { memoryContext, memoryFile } from "./helpers/files.js";

const MODINFO = [
  "path\texample.com/app/cmd/app",
  "mod\texample.com/app\t(devel)\t",
  "dep\tgithub.com/Foo/Bar\tv1.2.3\th1:abc=",
  "dep\tgolang.org/x/net\tv0.1.0\th1:def=",
  "=>\tgithub.com/fork/net\tv0.1.1\th1:ghi=",
  "dep\tk8s.io/api\tv0.0.0",
  "=>\t./staging/src/k8s.io/api\t(devel)\t",
  "build\t-compiler=gc",
  "build\tGOOS=linux",
  "",
].join("\n");

function goElf(section: Uint8Array, opts: { padding?: number; class?: 32 | 64; addr?: number } = {}) {
  return buildElf({
    class: opts.class ?? 64,
    padding: opts.padding ?? 0,
    sections: [
      { name: ".text", data: new Uint8Array(64).fill(0x90) },
      { name: ".go.buildinfo", data: section, addr: opts.addr ?? 0 },
    ],
  });
}

async function analyze(files: MatchedFile[]) {
  const ctx = memoryContext();
  const findings = await goBinaryAnalyzer.analyze(files, ctx);
  return { packages: findings.packages ?? [], warnings: ctx.warnings };
}

describe("go-binary: synthetic ELF", () => {
  it("reports stdlib, deps (replacements applied) and the main module from inline build info", async () => {
    const elf = goElf(inlineBuildInfo("go1.22.3", framedModinfo(MODINFO)));
    const { packages, warnings } = await analyze([memoryFile("/usr/bin/app", elf.bytes, 0o100755)]);
    expect(warnings).toEqual([]);
    expect(packages.map((p) => [p.name, p.version, p.purl])).toEqual([
      ["stdlib", "v1.22.3", "pkg:golang/stdlib@v1.22.3"],
      ["github.com/Foo/Bar", "v1.2.3", "pkg:golang/github.com/foo/bar@v1.2.3"],
      ["github.com/fork/net", "v0.1.1", "pkg:golang/github.com/fork/net@v0.1.1"],
      ["k8s.io/api", "", "pkg:golang/k8s.io/api"],
      ["example.com/app", "", "pkg:golang/example.com/app"],
    ]);
    expect(packages.every((p) => p.ecosystem === "golang" && p.source === "/usr/bin/app")).toBe(true);
  });

  it("reads the pointer format of Go 1.13-1.17 through section addresses", async () => {
    const addr = 0x4a0000;
    const elf = goElf(pointerBuildInfo("go1.16.5", framedModinfo(MODINFO), addr), { addr });
    const info = await analyzeGoBinary(memoryFile("/bin/old", elf.bytes, 0o100755));
    expect(info?.goVersion).toBe("go1.16.5");
    expect(info?.path).toBe("example.com/app/cmd/app");
    expect(info?.deps.length).toBe(3);
  });

  it("reads ELF32 files", async () => {
    const elf = goElf(inlineBuildInfo("go1.21.0", framedModinfo(MODINFO)), { class: 32 });
    const info = await analyzeGoBinary(memoryFile("/bin/app32", elf.bytes));
    expect(info?.main?.path).toBe("example.com/app");
  });

  it("reads big-endian ELF32 section tables", async () => {
    const elf = buildElf({
      class: 32,
      littleEndian: false,
      sections: [{ name: ".go.buildinfo", data: inlineBuildInfo("go1.20.1", framedModinfo(MODINFO)) }],
    });
    const info = await analyzeGoBinary(memoryFile("/bin/mips", elf.bytes));
    expect(info?.goVersion).toBe("go1.20.1");
    expect(info?.deps).toHaveLength(3);
  });

  it("reads a 20 MiB binary with a handful of small reads", async () => {
    const elf = goElf(inlineBuildInfo("go1.22.3", framedModinfo(MODINFO)), { padding: 20 << 20 });
    const { file, stats } = countingFile("/usr/bin/big", elf.bytes);
    const { packages } = await analyze([file]);
    expect(packages.length).toBe(5);
    expect(stats.whole).toBe(false);
    expect(stats.reads).toBeLessThanOrEqual(4);
    expect(stats.bytes).toBeLessThan(2048);
    expect(elf.bytes.length).toBeGreaterThan(20 << 20);
  });

  it("ignores scripts and non-Go ELF files silently, after one 64-byte read", async () => {
    const script = countingFile(
      "/usr/bin/sh-script",
      new TextEncoder().encode(`#!/bin/sh\n${"echo hi\n".repeat(500)}`),
    );
    const plainElf = buildElf({ sections: [{ name: ".text", data: new Uint8Array(32) }] });
    const { packages, warnings } = await analyze([script.file, memoryFile("/usr/bin/c", plainElf.bytes)]);
    expect(packages).toEqual([]);
    expect(warnings).toEqual([]);
    expect(script.stats).toEqual({ reads: 1, bytes: 64, whole: false });
  });

  it("selects executable regular files only", () => {
    expect(isExecutableEntry({ mode: 0o100755, size: 1000 })).toBe(true);
    expect(isExecutableEntry({ mode: 0o100644, size: 1000 })).toBe(false);
    expect(isExecutableEntry({ mode: 0o120777, size: 1000 })).toBe(false);
    expect(isExecutableEntry({ mode: 0o100700, size: 10 })).toBe(false);
  });
});

describe("go-binary: hostile input", () => {
  const good = goElf(inlineBuildInfo("go1.22.3", framedModinfo(MODINFO)));

  it("turns a truncated file into a warning and keeps the other files' findings", async () => {
    const truncated = good.bytes.subarray(0, good.shoff + 10);
    const { packages, warnings } = await analyze([
      memoryFile("/bin/truncated", truncated),
      memoryFile("/bin/good", good.bytes),
    ]);
    expect(warnings.map((w) => w.path)).toEqual(["/bin/truncated"]);
    expect(warnings[0]?.message).toMatch(/beyond the end/);
    expect(packages.length).toBe(5);
  });

  it("warns on a section offset beyond the file", async () => {
    const bytes = Uint8Array.from(good.bytes);
    const v = new DataView(bytes.buffer);
    // Section 2 is .go.buildinfo; its sh_offset is at +24 in a 64-byte header.
    v.setBigUint64(good.shoff + 2 * 64 + 24, 1n << 40n, true);
    const { warnings } = await analyze([memoryFile("/bin/x", bytes)]);
    expect(warnings[0]?.message).toMatch(/\.go\.buildinfo.*beyond the end/);
  });

  it("warns on a varint length that runs past the section", async () => {
    const section = inlineBuildInfo("go1.22.3", framedModinfo(MODINFO));
    section[32] = 0x7f; // version length 127: more than is there once modinfo is cut
    const { warnings } = await analyze([memoryFile("/bin/x", goElf(section.subarray(0, 60)).bytes)]);
    expect(warnings[0]?.message).toMatch(/runs past the section end/);
  });

  it("refuses absurd section counts before reading the table", async () => {
    const bytes = Uint8Array.from(good.bytes);
    new DataView(bytes.buffer).setUint16(0x3c, 0, true); // e_shnum 0: count in section 0's sh_size
    new DataView(bytes.buffer).setBigUint64(good.shoff + 32, 1n << 40n, true);
    const { warnings } = await analyze([memoryFile("/bin/x", bytes)]);
    expect(warnings[0]?.message).toMatch(/sections \(limit/);
  });

  it("refuses a non-standard section header size (it would multiply the bytes read)", async () => {
    const bytes = Uint8Array.from(good.bytes);
    new DataView(bytes.buffer).setUint16(0x3a, 0xffff, true);
    const { file, stats } = countingFile("/bin/x", bytes);
    const ctx = memoryContext();
    await goBinaryAnalyzer.analyze([file], ctx);
    expect(ctx.warnings[0]?.message).toBe("ELF e_shentsize is 65535, not 64");
    expect(stats.bytes).toBe(64);
  });

  it("survives random corruption: only warnings, and every read stays inside the file", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(good.bytes.length - 1), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 8,
        }),
        async (edits) => {
          const bytes = Uint8Array.from(good.bytes);
          for (const [at, value] of edits) bytes[at] = value;
          const { file, stats } = countingFile("/bin/fuzz", bytes);
          const ctx = memoryContext();
          await goBinaryAnalyzer.analyze([file], ctx);
          expect(stats.bytes).toBeLessThanOrEqual(bytes.length * 2);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("go-binary: helpers", () => {
  it("derives the stdlib version as Trivy does", () => {
    expect(stdlibVersion("go1.22.3")).toBe("v1.22.3");
    expect(stdlibVersion("go1.21.0 X:boringcrypto")).toBe("v1.21.0");
    expect(stdlibVersion("go1.26.1-X:nocoverageredesign")).toBe("v1.26.1");
    expect(stdlibVersion("go1.26.5 (Red Hat 1.26.5-1.el10)")).toBe("v1.26.5");
    expect(stdlibVersion("devel go1.23-abc")).toBeUndefined();
  });

  it("lower-cases module paths in purls and splits namespace from name", () => {
    expect(goPurl("github.com/BurntSushi/toml", "v1.3.2")).toBe(
      "pkg:golang/github.com/burntsushi/toml@v1.3.2",
    );
    expect(goPurl("stdlib", "v1.22.0")).toBe("pkg:golang/stdlib@v1.22.0");
  });

  it("applies a replacement to the main module when no dep came before it", () => {
    const info = parseModInfo("path\tx\nmod\tex.com/m\tv1.0.0\th1:x\n=>\tex.com/n\tv2.0.0\th1:y\n");
    expect(info.main?.replace?.path).toBe("ex.com/n");
    expect(info.deps).toEqual([]);
  });
});

/**
 * Real Go binaries on this machine, checked against `readelf -p .go.buildinfo` (binutils), a
 * reference reader independent of ours. Skipped where neither is present.
 */
const REAL_GO_BINARIES = [
  "/usr/bin/docker-registry",
  "/usr/lib/google-cloud-sdk/bin/kpt",
  "/usr/lib/google-cloud-sdk/bin/kubectl.1.29",
].filter((p) => existsSync(p));
const hasReadelf = (() => {
  try {
    execFileSync("readelf", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

/** A MatchedFile over a real file on disk, reading by range with pread, counting bytes. */
function diskFile(path: string): { file: MatchedFile; read: () => number } {
  const fd = openSync(path, "r");
  const size = statSync(path).size;
  let total = 0;
  const read = async (offset: number, length: number): Promise<Uint8Array> => {
    const n = Math.max(0, Math.min(length, size - offset));
    const buf = new Uint8Array(n);
    const got = readSync(fd, buf, 0, n, offset);
    total += got;
    return buf.subarray(0, got);
  };
  const file: MatchedFile = {
    path,
    size,
    mode: 0o100755,
    read,
    bytes: () => Promise.reject(new Error("whole read not expected")),
    text: () => Promise.reject(new Error("whole read not expected")),
  };
  return { file, read: () => total };
}

describe.skipIf(REAL_GO_BINARIES.length === 0 || !hasReadelf)("go-binary: real binaries vs readelf", () => {
  for (const path of REAL_GO_BINARIES) {
    it(`${path}: same Go version, path and modules as readelf shows`, async () => {
      const dump = execFileSync("readelf", ["-p", ".go.buildinfo", path], { encoding: "latin1" });
      // readelf prints tabs as ^I and newlines as a literal \n at the end of each line.
      const lines = [...dump.matchAll(/(path|mod|dep|=>)\^I(.*?)\\n$/gm)].map((m) => [
        m[1],
        ...(m[2] ?? "").split("^I"),
      ]);
      const goVersion = /(go1\.[0-9.]+)/.exec(dump)?.[1];
      const { file, read } = diskFile(path);
      const info = await analyzeGoBinary(file);
      expect(info?.goVersion).toBe(goVersion);
      expect(info?.path).toBe(lines.find((l) => l[0] === "path")?.[1]);
      expect(info?.main?.path).toBe(lines.find((l) => l[0] === "mod")?.[1]);
      const deps = lines.filter((l) => l[0] === "dep").map((l) => `${l[1]}@${l[2]}`);
      expect(info?.deps.map((d) => `${d.path}@${d.version}`)).toEqual(deps);
      const replaces = lines.filter((l) => l[0] === "=>").map((l) => l[1]);
      expect(info?.deps.flatMap((d) => (d.replace ? [d.replace.path] : []))).toEqual(replaces);
      // A 20-60 MB binary costs the header, the section table, the names and one small section.
      expect(read()).toBeLessThan(64 << 10);
      expect(file.size).toBeGreaterThan(2 << 20);
    });
  }

  it.skipIf(!existsSync("/usr/bin/docker-registry"))(
    "docker-registry: the facts strings/readelf show",
    async () => {
      const { packages } = await analyze([diskFile("/usr/bin/docker-registry").file]);
      // Debian builds it outside module mode: no `mod`/`dep` lines, so only the toolchain is known.
      expect(packages.map((p) => p.purl)).toEqual(["pkg:golang/stdlib@v1.19.8"]);
    },
  );
});

it("reads the section table of a real ELF file the way readelf does", async () => {
  const path = "/bin/ls";
  if (!existsSync(path) || !hasReadelf) return;
  const { file } = diskFile(path);
  const elf = await readElf(file, await file.read(0, 64));
  const names = execFileSync("readelf", ["-S", "-W", path], { encoding: "utf8" })
    .split("\n")
    .map((l) => /^\s*\[\s*\d+\]\s+(\S+)/.exec(l)?.[1])
    .filter((n): n is string => n !== undefined);
  expect(elf?.sections.slice(1).map((s) => s.name)).toEqual(names.slice(1));
});

describe("go-binary regressions", () => {
  it("go-binary: the main module's version given by -ldflags -X main.version=... is kept (it was lost)", () => {
    const info = {
      goVersion: "go1.22.1",
      path: "github.com/aquasecurity/test",
      main: { path: "github.com/aquasecurity/test", version: "(devel)", sum: "" },
      deps: [],
      settings: [["-ldflags", "-s -w -X 'github.com/x/y/pkg.Other=a' -X=main.version=v1.0.0"]] as [
        string,
        string,
      ][],
    };
    const main = goPackages(info as never, "/app").find((p) => p.name === "github.com/aquasecurity/test");
    expect(main).toMatchObject({
      version: "v1.0.0",
      relationship: "root",
      purl: "pkg:golang/github.com/aquasecurity/test@v1.0.0",
    });
  });

  it('go-binary: a quoted build setting (-ldflags="...") is unquoted', () => {
    const info = parseModInfo(
      'path\tx.io/app\nmod\tx.io/app\t(devel)\t\nbuild\t-ldflags="-w -X main.version=v1.0.0"\nbuild\tCGO_ENABLED=0\n',
    );
    expect(info.settings).toEqual([
      ["-ldflags", "-w -X main.version=v1.0.0"],
      ["CGO_ENABLED", "0"],
    ]);
  });

  it.each([
    ["-X main.version=1.2.3", "1.2.3"],
    ['-X "main.Version=v2.0.0-rc.1"', "v2.0.0-rc.1"],
    ["-X main.ver=v1", "v1"],
    ["-X main.version=dev", undefined],
    ["-X main.commit=1.2.3", undefined],
    ["-X", undefined],
  ])("ldflagsVersion(%j) is %j", (flags, want) => expect(ldflagsVersion(flags)).toBe(want));
});

describe("go-binary in PE and Mach-O", () => {
  it("go-binary: reads the build info of a PE (Windows) binary from the start of its .data section", async () => {
    const info = inlineBuildInfo("go1.22.3", framedModinfo(MODINFO));
    const pe = buildPe([
      { name: ".text", data: new Uint8Array(4096).fill(0xcc) },
      { name: ".data", data: Uint8Array.from([...info, ...new Uint8Array(100)]) },
    ]);
    const got = await analyzeGoBinary(memoryFile("/app/app.exe", pe, 0o100755));
    expect(got?.goVersion).toBe("go1.22.3");
    expect(got?.deps.length).toBeGreaterThan(0);
  });

  it("go-binary: reads the build info of a Mach-O binary from __go_buildinfo, or the first RW segment", async () => {
    const info = inlineBuildInfo("go1.21.0", framedModinfo(MODINFO));
    for (const name of ["__go_buildinfo", "__data"]) {
      const macho = buildMachO([{ name, data: info }]);
      const got = await analyzeGoBinary(memoryFile("/app/app", macho, 0o100755));
      expect(got?.goVersion, name).toBe("go1.21.0");
    }
  });

  it("go-binary: a PE without a data section or with a truncated table is not Go, or a clean error", async () => {
    const pe = buildPe([{ name: ".text", data: new Uint8Array(512) }]);
    expect(await analyzeGoBinary(memoryFile("/app/x.exe", pe))).toBeUndefined();
    await expect(analyzeGoBinary(memoryFile("/app/y.exe", pe.subarray(0, 0x100)))).rejects.toThrow(
      /beyond the end/,
    );
  });
});
