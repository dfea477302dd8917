// Runs every script under examples/ as a user would, so the examples never rot.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pushImage } from "@rafscan/builder";
import { sampleImage } from "@rafscan/cli";
import { describe, expect, it } from "vitest";
import { REGISTRY_BIN, startRegistry } from "../packages/registry/test/helpers/registry-server.js";
import { HAVE_FIXTURES, REPO_ROOT, V5_BLOBS, V5_SHA256 } from "./support/fixtures.js";

const EXAMPLES = join(REPO_ROOT, "examples");

function run(script: string, args: string[] = []) {
  const r = spawnSync(process.execPath, [join(EXAMPLES, script), ...args], {
    cwd: REPO_ROOT,
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
}

/** Like run, without blocking the event loop (a registry in this process must keep answering). */
function runAsync(script: string, args: string[] = []) {
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [join(EXAMPLES, script), ...args], {
      cwd: REPO_ROOT,
      timeout: 60_000,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

describe("examples", () => {
  it("every example script is covered here", () => {
    expect(
      readdirSync(EXAMPLES)
        .filter((f) => f.endsWith(".mjs"))
        .sort(),
    ).toEqual([
      "build-image.mjs",
      "custom-analyzer.mjs",
      "find-executables.mjs",
      "read-os-release.mjs",
      "remote-read.mjs",
      "scan-image.mjs",
      "scan-vulnerabilities.mjs",
      "verify-image.mjs",
    ]);
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

  it("remote-read reads a file of an OCI layout image and says what it cost", () => {
    const r = run("remote-read.mjs");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("/etc/os-release: 180 bytes");
    expect(r.stdout).toMatch(/image oci:.*:sample sha256:[0-9a-f]{64}/);
  });

  it.skipIf(REGISTRY_BIN === undefined)(
    "remote-read reads from a registry with ranged requests",
    async () => {
      const registry = await startRegistry();
      try {
        const sample = await sampleImage();
        const blobs = readdirSync(join(sample, "blobs")).map((id) => {
          const path = join(sample, "blobs", id);
          return { id, path, size: statSync(path).size };
        });
        const ref = `${registry.host}/examples/sample:v1`;
        await pushImage({ bootstrap: join(sample, "bootstrap"), blobs, fsVersion: 6 }, ref, {
          insecure: true,
        });
        const r = await runAsync("remote-read.mjs", [
          ref,
          "/etc/os-release",
          "/var/lib/dpkg/status",
          "--insecure",
        ]);
        expect(r.stderr).toBe("");
        expect(r.status).toBe(0);
        expect(r.stdout).toContain("/etc/os-release: 180 bytes");
        expect(r.stdout).toContain("/var/lib/dpkg/status: 529 bytes");
        const m = /fetched (\d+) of (\d+) bytes in (\d+) requests/.exec(r.stdout);
        expect(m).not.toBeNull();
        // Manifest, config, bootstrap layer, and the blob ranges of two small files: a few requests.
        expect(Number(m?.[3])).toBeLessThanOrEqual(6);
      } finally {
        await registry.stop();
      }
    },
  );

  it("scan-image lists the sample's OS and packages and writes an SBOM", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "rafscan-example-scan-")), "bom.json");
    const r = run("scan-image.mjs", [await sampleImage(), out]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("OS: debian 12");
    expect(r.stdout).toContain("deb    base-files 12.4+deb12u5");
    expect(JSON.parse(readFileSync(out, "utf8")).specVersion).toBe("1.6");
  });

  it("scan-vulnerabilities matches the sample image against the labelled sample advisories", async () => {
    const r = run("scan-vulnerabilities.mjs", [await sampleImage()]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("NOTE: sample advisory data, not a real vulnerability database");
    expect(r.stdout).toContain("release: debian 12 (Debian:12, supported)");
    // libc6 (source glibc) below the sample fix; a DSA and its CVE shown as one finding.
    expect(r.stdout).toContain(
      "CVE-2025-0395 (also DSA-0000-1) libc6 2.36-9+deb12u7: fixed in 2.36-9+deb12u10",
    );
    expect(r.stdout).toContain("CVE-2010-4756 libc6 2.36-9+deb12u7: will_not_fix");
    // Fixed at the installed version, and a Debian 11 record: no finding.
    expect(r.stdout).not.toContain("CVE-2024-33599");
    expect(r.stdout).not.toContain("CVE-2024-2961");
  });

  it("custom-analyzer runs a user's plugin beside a built-in one", () => {
    const r = run("custom-analyzer.mjs");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("/usr/bin/hello: script (#!/bin/sh)");
    // Only the first bytes of each executable: two 45-byte scripts.
    expect(r.stdout).toContain("shells analyzer: 2 files matched, 90 bytes read");
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
