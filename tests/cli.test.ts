// The rafscan command as users' scripts call it: output contracts (`ls --json` fields and order),
// exit codes (0 ok, 1 failure, 2 usage), check, extract and inspect on real fixtures.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sampleImage } from "@rafscan/cli";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildErofs, HAVE_MKFS_EROFS } from "./support/erofs-image.js";
import { CLI, HAVE_FIXTURES, TOC_BLOB, V5_BLOBS, V5_SHA256, V6_BLOBS, V6_BOOT } from "./support/fixtures.js";
import { jsonLines, runCli } from "./support/run-cli.js";

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const V5_BLOB_ID = "7334a2594e133cf8ae364189c2276b090fc490c627bcc3fb1077f0419a538e00";

describe("rafscan usage", () => {
  it("prints help with exit 0 and refuses unknown commands with exit 2", () => {
    const help = runCli(["--help"]);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("Usage: rafscan");
    expect(runCli([]).status).toBe(2);
    const bad = runCli(["frobnicate"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("unknown command");
    const json = runCli(["cat", "only-one-arg", "--json"]);
    expect(json.status).toBe(2);
    expect(JSON.parse(json.stderr)).toMatchObject({ error: { code: "USAGE" } });
  });

  it("reports a missing path with node's error code and exit 1", async () => {
    const r = runCli(["stat", join(await sampleImage(), "bootstrap"), "/no/such", "--json"]);
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stderr)).toEqual({
      error: { code: "ENOENT", message: "ENOENT: no such file or directory, lstat '/no/such'" },
    });
  });

  it("uses the sample image (built by @rafscan/builder) when IMAGE is omitted", () => {
    const r = runCli(["ls", "-R", "--json"]);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain("sample image built by @rafscan/builder");
    const paths = jsonLines<{ path: string }>(r.stdout).map((e) => e.path);
    expect(paths).toContain("/etc/os-release");
    expect(paths).toContain("/var/lib/dpkg/status");
  });
});

describe.skipIf(!HAVE_FIXTURES)("rafscan on the RAFS v5 fixture", () => {
  it("ls -R --json --sha256 prints the contract fields, sorted by path bytes, root included", () => {
    const r = runCli(["ls", V5_SHA256, "-R", "--json", "--sha256", "--blob-dir", V5_BLOBS]);
    expect(r.status).toBe(0);
    const rows = jsonLines<Record<string, unknown>>(r.stdout);
    expect(rows).toHaveLength(54);
    expect(rows[0]).toEqual({
      path: "/",
      type: "dir",
      mode: 0o755,
      uid: 0,
      gid: 0,
      mtime: 0,
      nlink: 5,
      ino: 1,
    });
    const paths = rows.map((e) => e.path as string);
    expect([...paths].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))).toEqual(paths);
    const byPath = new Map(rows.map((e) => [e.path, e]));
    const foo = byPath.get("/hardlink-test/foo");
    expect(Object.keys(foo ?? {})).toEqual([
      "path",
      "type",
      "mode",
      "uid",
      "gid",
      "mtime",
      "nlink",
      "ino",
      "size",
      "sha256",
    ]);
    expect(foo).toMatchObject({
      type: "file",
      nlink: 3,
      ino: 5,
      size: 944,
      sha256: "fff49cf6925f933ae4e834b5d88d25ed06d40f3d70ff9b1916070596bf5649eb",
    });
    expect(byPath.get("/symlink-test/root-2")).toMatchObject({ type: "symlink", target: "/foobar", size: 7 });
    expect(byPath.get("/symlink-test/root-2")).not.toHaveProperty("sha256");
  });

  it("ls without -R lists a directory and the directory itself", () => {
    const r = runCli(["ls", V5_SHA256, "/hardlink-test", "--json"]);
    expect(jsonLines<{ path: string }>(r.stdout).map((e) => e.path)).toEqual([
      "/hardlink-test",
      "/hardlink-test/foo",
      "/hardlink-test/test.sh",
    ]);
  });

  it("cat writes the exact bytes; stat --json describes one path", () => {
    const cat = runCli(["cat", V5_SHA256, "/normal-file-test/holefiles/head-hole-1", "--blob-dir", V5_BLOBS]);
    expect(cat.status).toBe(0);
    expect(sha256(cat.stdoutBytes)).toBe("97cc2c7a60468144b316c68ee9b9ac964f40928434011ab7ab6c4615647beac0");
    const st = runCli(["stat", V5_SHA256, "/symlink-test/test.sh", "--json"]);
    expect(JSON.parse(st.stdout)).toMatchObject({ type: "symlink", target: "../normal-file-test/test.sh" });
  });

  it("inspect shows stats and blobs; chunks and icheck answer requests", () => {
    const r = runCli(["inspect", V5_SHA256, "--json"]);
    const { stats, blobs } = JSON.parse(r.stdout);
    expect(stats).toMatchObject({
      version: 5,
      chunkSize: 1048576,
      compressor: "none",
      digester: "sha256",
      prefetch: [],
    });
    expect(blobs[0]).toMatchObject({ id: V5_BLOB_ID, chunkCount: 23, hasBlobMeta: false, hasToc: false });
    const chunks = jsonLines(
      runCli(["inspect", V5_SHA256, "chunks", "/normal-file-test/holefiles/head-hole-1", "--json"]).stdout,
    );
    expect(chunks.map((c) => c.chunkIndex)).toEqual([13, 13, expect.any(Number)]);
    expect(chunks[0]).toMatchObject({
      blobId: V5_BLOB_ID,
      fileOffset: 0,
      length: 1048576,
      compressed: false,
    });
    const icheck = JSON.parse(runCli(["inspect", V5_SHA256, "icheck", "5", "--json"]).stdout);
    expect(icheck.paths).toEqual([
      "/hardlink-test/foo",
      "/hardlink-test/test.sh",
      "/normal-file-test/test.sh",
    ]);
  });

  describe("check", () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), "rafscan-check-"));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it("passes on a sound image and fails, naming the file, on a flipped blob byte", () => {
      const ok = runCli(["check", V5_SHA256, "--blob-dir", V5_BLOBS, "--json"]);
      expect(ok.status).toBe(0);
      expect(JSON.parse(ok.stdout)).toMatchObject({
        ok: true,
        files: 23,
        chunks: 23,
        chunksVerified: 23,
        inodesVerified: 54,
        problems: [],
      });
      mkdirSync(join(dir, "blobs"));
      const blob = readFileSync(join(V5_BLOBS, V5_BLOB_ID));
      blob[10] = (blob[10] ?? 0) ^ 1;
      writeFileSync(join(dir, "blobs", V5_BLOB_ID), blob);
      const bad = runCli(["check", V5_SHA256, "--blob-dir", join(dir, "blobs"), "--json"]);
      expect(bad.status).toBe(1);
      const summary = JSON.parse(bad.stdout);
      expect(summary.ok).toBe(false);
      expect(summary.problems[0]).toMatchObject({ path: "/hardlink-test/foo", code: "RAFS_DIGEST_MISMATCH" });
    });

    it("fails on an inode digest that does not match the tree (v5 metadata checked against itself)", () => {
      const boot = readFileSync(V5_SHA256);
      boot[8544] = (boot[8544] ?? 0) ^ 1; // first byte of the root inode's digest
      writeFileSync(join(dir, "bad-digest.boot"), boot);
      const r = runCli(["check", join(dir, "bad-digest.boot"), "--blob-dir", V5_BLOBS, "--json"]);
      expect(r.status).toBe(1);
      expect(JSON.parse(r.stdout).problems).toEqual([
        { path: "/", code: "RAFS_DIGEST_MISMATCH", message: "inode digest does not match its content" },
      ]);
    });

    it("fails when a blob is missing", () => {
      const r = runCli(["check", V5_SHA256, "--blob-dir", join(dir, "nowhere"), "--json"]);
      expect(r.status).toBe(1);
      expect(JSON.parse(r.stdout).problems[0]).toMatchObject({ code: "RAFS_BLOB_MISSING" });
    });
  });

  it("extract writes files, symlinks and hardlinks under DEST only", () => {
    const dest = mkdtempSync(join(tmpdir(), "rafscan-extract-"));
    try {
      const r = runCli(["extract", V5_SHA256, dest, "--blob-dir", V5_BLOBS, "--json"]);
      expect(r.status).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ files: 21, hardlinks: 2, symlinks: 7, skipped: [] });
      expect(sha256(readFileSync(join(dest, "normal-file-test/holefiles/head-hole-1")))).toBe(
        "97cc2c7a60468144b316c68ee9b9ac964f40928434011ab7ab6c4615647beac0",
      );
      expect(readlinkSync(join(dest, "symlink-test/root-1"))).toBe("/".repeat(17));
      const a = lstatSync(join(dest, "hardlink-test/foo"));
      const b = lstatSync(join(dest, "normal-file-test/test.sh"));
      expect(a.ino).toBe(b.ino);
      expect(readdirSync(dest).sort()).toEqual(["hardlink-test", "normal-file-test", "symlink-test"]);
    } finally {
      rmSync(dest, { recursive: true, force: true });
    }
  });

  it("extract refuses an entry name with a slash instead of writing outside DEST", () => {
    const dir = mkdtempSync(join(tmpdir(), "rafscan-evil-"));
    try {
      const boot = readFileSync(V5_SHA256);
      // Rename the symlink "bar" to "../x" is impossible without changing sizes; "b/r" has the same length.
      const at = boot.indexOf(Buffer.from("bar\0\0\0\0\0"));
      expect(at).toBeGreaterThan(0);
      boot.set(Buffer.from("b/r"), at);
      const evil = join(dir, "evil.boot");
      writeFileSync(evil, boot);
      const dest = join(dir, "dest");
      const r = runCli(["extract", evil, dest, "--blob-dir", V5_BLOBS, "--json"]);
      expect(r.status).toBe(1);
      expect(JSON.parse(r.stderr).error.code).toBe("RAFS_CORRUPT");
      expect(existsSync(join(dir, "r"))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!HAVE_FIXTURES)("rafscan on RAFS v6 fixtures", () => {
  it("inspect reports blob meta and TOC; check verifies both chunks", () => {
    const dir = mkdtempSync(join(tmpdir(), "rafscan-v6-"));
    try {
      mkdirSync(join(dir, "blobs"));
      copyFileSync(V6_BOOT, join(dir, "bootstrap"));
      for (const f of readdirSync(V6_BLOBS)) copyFileSync(join(V6_BLOBS, f), join(dir, "blobs", f));
      const { blobs } = JSON.parse(runCli(["inspect", dir, "--json"]).stdout);
      expect(blobs[0]).toMatchObject({ hasBlobMeta: true, hasToc: true, tocSize: 1024, chunkCount: 2 });
      expect(blobs[0].featureNames).toEqual([
        "ALIGNED",
        "INLINED_CHUNK_DIGEST",
        "HAS_TAR_HEADER",
        "HAS_TOC",
        "CAP_TAR_TOC",
      ]);
      const check = runCli(["check", dir, "--json"]);
      expect(check.status).toBe(0);
      expect(JSON.parse(check.stdout)).toMatchObject({ ok: true, files: 2, chunksVerified: 2 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reads the bootstrap carried in a data blob", () => {
    const r = runCli(["ls", TOC_BLOB, "--json", "--sha256"]);
    expect(r.status).toBe(0);
    const rows = jsonLines<{ path: string; sha256?: string }>(r.stdout);
    expect(rows.map((e) => e.path)).toEqual(["/", "/error.rs", "/lib.rs", "/logger.rs"]);
    expect(rows[1]?.sha256).toBe("b23741280bb7fbbd48b68da04f1ee8a4559a3191fd26e7bc332fe9a82205750b");
  });
});

describe.skipIf(!HAVE_MKFS_EROFS)("rafscan in a pipeline", () => {
  it("stops quietly when stdout closes early (ls | head)", () => {
    // 5000 entries print ~500 KiB, far more than a pipe buffers, so writes hit the closed pipe.
    const spec = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`d/file-${i}`, ""]));
    const built = buildErofs(spec);
    try {
      const cmd = `node ${JSON.stringify(CLI)} ls ${JSON.stringify(built.image)} -R --json | head -1; exit \${PIPESTATUS[0]}`;
      const r = spawnSync("bash", ["-c", cmd], { timeout: 60_000 });
      expect(r.stdout.toString().trim().split("\n")).toHaveLength(1);
      expect(r.stderr.toString()).toBe("");
      expect(r.status).toBe(0);
    } finally {
      built.cleanup();
    }
  });
});
