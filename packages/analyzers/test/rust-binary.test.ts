// Rust binary analyzer: cargo-auditable sections built here (cargo-auditable is not installed),
// bombs and bad data.
import { deflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import type { MatchedFile } from "../src/plugin.js";
import { decodeAuditData, MAX_AUDIT_JSON } from "../src/rust-binary/audit-data.js";
import { rustBinaryAnalyzer } from "../src/rust-binary/plugin.js";
import { countingFile } from "./helpers/binary/counting-file.js";
import { buildElf } from "./helpers/binary/elf-writer.js";
import { buildMachO, buildPe } from "./helpers/binary/pe-macho-writer.js";
import { memoryContext, memoryFile } from "./helpers/files.js";

const AUDIT = {
  packages: [
    { name: "myapp", version: "0.1.0", source: "local", dependencies: [1, 2, 3], root: true },
    { name: "serde", version: "1.0.197", source: "crates.io" },
    { name: "cc", version: "1.0.90", source: "crates.io", kind: "build" },
    { name: "my-git-dep", version: "0.3.0", source: "git", kind: "runtime" },
  ],
};

function auditElf(section: Uint8Array, padding = 0) {
  return buildElf({
    padding,
    sections: [
      { name: ".text", data: new Uint8Array(16) },
      { name: ".dep-v0", data: section },
    ],
  }).bytes;
}

async function analyze(files: MatchedFile[]) {
  const ctx = memoryContext();
  const findings = await rustBinaryAnalyzer.analyze(files, ctx);
  return { packages: findings.packages ?? [], warnings: ctx.warnings };
}

const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

describe("rust-binary", () => {
  it("reports runtime crates from the cargo-auditable section, not build-time ones", async () => {
    const { packages, warnings } = await analyze([
      memoryFile("/usr/local/bin/myapp", auditElf(deflateSync(json(AUDIT))), 0o100755),
    ]);
    expect(warnings).toEqual([]);
    expect(packages.map((p) => p.purl)).toEqual([
      "pkg:cargo/myapp@0.1.0",
      "pkg:cargo/serde@1.0.197",
      "pkg:cargo/my-git-dep@0.3.0",
    ]);
    expect(packages.every((p) => p.ecosystem === "cargo" && p.source === "/usr/local/bin/myapp")).toBe(true);
  });

  it("reads a 20 MiB binary by range: a few small reads", async () => {
    const { file, stats } = countingFile("/bin/big", auditElf(deflateSync(json(AUDIT)), 20 << 20));
    const { packages } = await analyze([file]);
    expect(packages.length).toBe(3);
    expect(stats.whole).toBe(false);
    expect(stats.bytes).toBeLessThan(1024);
  });

  it("is silent on ELF files without the section and on non-ELF files", async () => {
    const plain = buildElf({ sections: [{ name: ".text", data: new Uint8Array(64) }] }).bytes;
    const { packages, warnings } = await analyze([
      memoryFile("/bin/c", plain),
      memoryFile("/bin/script", "#!/bin/sh\necho hello, this is long enough to be read\n"),
    ]);
    expect(packages).toEqual([]);
    expect(warnings).toEqual([]);
  });

  it("stops a decompression bomb at the cap with a warning", async () => {
    // 16 MiB of one repeated byte deflates to ~16 KiB.
    const bomb = deflateSync(new Uint8Array(16 << 20).fill(0x20));
    expect(bomb.length).toBeLessThan(64 << 10);
    const { packages, warnings } = await analyze([memoryFile("/bin/bomb", auditElf(bomb))]);
    expect(packages).toEqual([]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toMatch(/cargo-auditable data/);
    expect(() => decodeAuditData(bomb)).toThrow();
    // Just under the cap is accepted (the cap is on output, not input).
    const padded = json({ packages: [{ name: "a", version: "1" }], pad: " ".repeat(MAX_AUDIT_JSON - 100) });
    expect(decodeAuditData(deflateSync(padded))).toHaveLength(1);
  });

  it("warns on corrupt zlib data and on JSON of the wrong shape", async () => {
    const { warnings } = await analyze([
      memoryFile("/bin/a", auditElf(Uint8Array.from([0x78, 0x9c, 1, 2, 3, 4, 5]))),
      memoryFile("/bin/b", auditElf(deflateSync(json({ packages: "nope" })))),
      memoryFile("/bin/c", auditElf(deflateSync(new TextEncoder().encode("{not json")))),
    ]);
    expect(warnings.map((w) => [w.path, /cargo-auditable data/.test(w.message)])).toEqual([
      ["/bin/a", true],
      ["/bin/b", true],
      ["/bin/c", true],
    ]);
  });

  it("skips malformed package entries but keeps good ones", () => {
    const out = decodeAuditData(
      deflateSync(json({ packages: [null, { name: 1, version: "1" }, { name: "ok", version: "2.0.0" }] })),
    );
    expect(out).toEqual([{ name: "ok", version: "2.0.0", source: "", kind: "runtime", root: false }]);
  });
});

describe("rust-binary in PE and Mach-O", () => {
  it("rust-binary: reads the .dep-v0 section of PE and Mach-O executables too", async () => {
    const section = deflateSync(json(AUDIT));
    for (const [path, bytes] of [
      ["/app/myapp.exe", buildPe([{ name: ".dep-v0", data: section }])],
      ["/app/myapp", buildMachO([{ name: ".dep-v0", data: section }])],
    ] as const) {
      const { packages, warnings } = await analyze([memoryFile(path, bytes, 0o100755)]);
      expect(warnings, path).toEqual([]);
      expect(
        packages.map((p) => p.purl),
        path,
      ).toContain("pkg:cargo/serde@1.0.197");
    }
  });
});
