// rafscan build and pack as users run them: a directory and a tar.gz layer become images that
// rafscan check accepts and read back like the source; bad input fails naming the entry and
// leaves no partial output; pack writes an OCI layout skopeo reads.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listTree } from "./helpers/list-tree.js";
import { jsonLines, runCli } from "./support/run-cli.js";

const HAVE_SKOPEO = spawnSync("skopeo", ["--version"]).status === 0;

describe("rafscan build", () => {
  let dir: string;
  let src: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "rafscan-cli-build-"));
    src = join(dir, "src");
    mkdirSync(join(src, "etc/apt"), { recursive: true });
    writeFileSync(join(src, "etc/os-release"), "ID=debian\n");
    writeFileSync(join(src, "etc/apt/sources.list"), "deb http://deb.debian.org/debian bookworm main\n");
    writeFileSync(join(src, "big"), Buffer.alloc(3 * 1024 * 1024 + 17, 0x5a));
    symlinkSync("etc/os-release", join(src, "os"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const [name, extra] of [
    ["v6 zstd", []],
    ["v5 sha256 gzip", ["--fs-version", "5", "--digester", "sha256", "--compressor", "gzip"]],
    ["v6 lz4 64K chunks", ["--compressor", "lz4_block", "--chunk-size", "64K"]],
  ] as const) {
    it(`builds a directory (${name}) that lists like its source`, () => {
      const out = join(dir, name.replaceAll(" ", "-"));
      const r = runCli(["build", src, "-o", out, "--json", ...extra]);
      expect(r.status, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({
        entries: 7,
        files: 3,
        bytesIn: 3 * 1024 * 1024 + 17 + 10 + 47,
      });
      expect(runCli(["check", out]).status).toBe(0);
      const listed = jsonLines<{ path: string; sha256?: string; type: string }>(
        runCli(["ls", out, "-R", "--json", "--sha256"]).stdout,
      );
      const source = listTree(src, { sha256: true, xattrs: false });
      const pick = (e: { path: string; type: string; sha256?: string }) =>
        `${e.path} ${e.type} ${e.sha256 ?? ""}`;
      expect(listed.map(pick)).toEqual(source.map(pick));
    });
  }

  it("builds a tar.gz layer, applying nothing but its own entries", () => {
    const tgz = join(dir, "layer.tar.gz");
    execFileSync("tar", ["-C", src, "-czf", tgz, "."]);
    const out = join(dir, "from-tar");
    const r = runCli(["build", tgz, "-o", out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^built .*bootstrap: 7 entries, 3 files/);
    expect(runCli(["cat", out, "/etc/apt/sources.list"]).stdout).toContain("bookworm main");
  });

  it("refuses a tar entry escaping the root, names it, and leaves no partial output", () => {
    const evil = join(dir, "evil");
    mkdirSync(join(evil, "a"), { recursive: true });
    writeFileSync(join(evil, "a/x"), "x");
    const tar = join(dir, "evil.tar");
    // GNU tar keeps "../" when told to with --absolute-names and a transform.
    execFileSync("tar", [
      "-C",
      evil,
      "--absolute-names",
      "--transform=s,^a/x,../../etc/x,",
      "-cf",
      tar,
      "a/x",
    ]);
    const out = join(dir, "evil-out");
    const r = runCli(["build", tar, "-o", out, "--json"]);
    expect(r.status).toBe(1);
    const err = JSON.parse(r.stderr).error;
    expect(err.code).toBe("BUILD_BAD_ENTRY");
    expect(err.message).toContain("../../etc/x");
    expect(existsSync(join(out, "bootstrap"))).toBe(false);
    expect(existsSync(join(out, "blobs")) ? readdirSync(join(out, "blobs")) : []).toEqual([]);
  });

  it("rejects bad options with exit 2", () => {
    expect(runCli(["build", src, "-o", join(dir, "x"), "--chunk-size", "3000"]).status).toBe(2);
    expect(runCli(["build", src, "-o", join(dir, "x"), "--compressor", "brotli"]).status).toBe(2);
    expect(runCli(["build", src]).status).toBe(2);
  });

  it.skipIf(!HAVE_SKOPEO)("pack writes an OCI layout that skopeo reads, with the nydus layers", () => {
    const out = join(dir, "to-pack");
    expect(runCli(["build", src, "-o", out]).status).toBe(0);
    const layout = join(dir, "layout");
    const r = runCli(["pack", out, `oci:${layout}:v1`, "--json"]);
    expect(r.status, r.stderr).toBe(0);
    const { manifestDigest } = JSON.parse(r.stdout);
    const raw = JSON.parse(execFileSync("skopeo", ["inspect", "--raw", `oci:${layout}:v1`]).toString());
    expect(raw.layers.map((l: { mediaType: string }) => l.mediaType)).toEqual([
      "application/vnd.oci.image.layer.nydus.blob.v1",
      "application/vnd.oci.image.layer.v1.tar+gzip",
    ]);
    expect(raw.layers[1].annotations["containerd.io/snapshot/nydus-bootstrap"]).toBe("true");
    const [blob] = readdirSync(join(out, "blobs"));
    expect(raw.layers[0].digest).toBe(`sha256:${blob}`);
    const inspected = JSON.parse(execFileSync("skopeo", ["inspect", `oci:${layout}:v1`]).toString());
    expect(inspected.Digest).toBe(manifestDigest);
  });
});
