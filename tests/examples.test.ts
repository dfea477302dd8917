// Runs every script under examples/ as a user would, so the examples never rot.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { HAVE_FIXTURES, REPO_ROOT, V5_BLOBS, V5_SHA256 } from "./support/fixtures.js";

const EXAMPLES = join(REPO_ROOT, "examples");

function run(script: string, args: string[] = []) {
  const r = spawnSync(process.execPath, [join(EXAMPLES, script), ...args], {
    cwd: REPO_ROOT,
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

describe("examples", () => {
  it("every example script is covered here", () => {
    expect(
      readdirSync(EXAMPLES)
        .filter((f) => f.endsWith(".mjs"))
        .sort(),
    ).toEqual(["build-image.mjs", "find-executables.mjs", "read-os-release.mjs", "verify-image.mjs"]);
  });

  it("read-os-release prints the sample's OS", () => {
    const r = run("read-os-release.mjs");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("Debian GNU/Linux 12 (bookworm) (id=debian, version=12)");
    // One compressed chunk of one file, nothing else.
    expect(r.stdout).toMatch(/read \d{2,3} blob bytes in 1 reads/);
  });

  it("find-executables lists executable files and the package database", () => {
    const r = run("find-executables.mjs");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/45 {2}\/usr\/bin\/hello\n/);
    expect(r.stdout).toContain("package database: /var/lib/dpkg/status");
  });

  it("build-image builds, packages and reads back an image", () => {
    const r = run("build-image.mjs");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("built 2 files: 2 chunks stored, 1 deduplicated");
    expect(r.stdout).toMatch(/manifest sha256:[0-9a-f]{64}/);
    expect(r.stdout).toContain("/etc/motd: built by @rafscan/builder");
    expect(r.stdout).toContain("4 entries, 1 chunks verified");
  });

  it("verify-image passes on the sample", () => {
    const r = run("verify-image.mjs");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("6 files, 6 chunks verified, 0 failures");
  });

  it.skipIf(!HAVE_FIXTURES)("verify-image checks every chunk of a real RAFS v5 image", () => {
    const r = run("verify-image.mjs", [V5_SHA256, V5_BLOBS]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("23 files, 23 chunks verified, 0 failures");
    expect(r.stderr).toBe("");
  });

  it.skipIf(!HAVE_FIXTURES)("verify-image reports typed errors and exits 1 when blobs are missing", () => {
    const r = run("verify-image.mjs", [V5_SHA256, "/nonexistent"]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("RAFS_BLOB_MISSING  /hardlink-test/foo");
  });
});
