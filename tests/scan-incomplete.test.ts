// Regression tests for silent empty scans: a scan whose zstd binding did not load decodes with the
// pure-JS fallback (and says so), and a scan that could not read a package database lists every
// file it did not read and exits 3 unless --allow-incomplete.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { CLI, REPO_ROOT } from "./support/fixtures.js";

function scan(args: readonly string[], env: Record<string, string> = {}, preload?: string) {
  const r = spawnSync(process.execPath, [...(preload ? ["-r", preload] : []), CLI, "scan", ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    encoding: "utf8",
    timeout: 120_000,
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// The sample image is built (with zstd-napi) on first use; build it before hiding the binding.
beforeAll(() => {
  expect(scan(["--format", "json"]).status).toBe(0);
}, 120_000);

interface Report {
  packages: { name: string }[];
  complete?: boolean;
  incomplete?: { plugin: string; path: string; reason: string; required: boolean }[];
  telemetry: { decoders?: Record<string, { implementation: string; fallback: boolean }> };
}

describe("scan without the native zstd binding (regression: Packages: 0, exit 0)", () => {
  it("decodes with fzstd, finds the packages, and reports the fallback in the report and on stderr", () => {
    const r = scan(["--format", "json"], {}, join(REPO_ROOT, "tests/support/no-zstd-napi.cjs"));
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.packages.map((p) => p.name).sort()).toEqual(["base-files", "libc6"]);
    expect(report.complete).toBe(true);
    expect(report.telemetry.decoders?.zstd).toMatchObject({ implementation: "fzstd", fallback: true });
    expect(r.stderr).toMatch(/zstd chunks were decoded by fzstd.*zstd-napi did not load/);
  });

  it("RAFSCAN_NO_NATIVE=1 forces the fallback; without it the native decoder is reported", () => {
    const off = JSON.parse(scan(["--format", "json"], { RAFSCAN_NO_NATIVE: "1" }).stdout) as Report;
    expect(off.telemetry.decoders?.zstd).toMatchObject({ implementation: "fzstd", fallback: true });
    const on = JSON.parse(scan(["--format", "json"], { RAFSCAN_NO_NATIVE: "" }).stdout) as Report;
    expect(on.telemetry.decoders?.zstd).toMatchObject({ implementation: "zstd-napi", fallback: false });
  });
});

describe("scan that cannot read a package database (regression: --budget drops dpkg with exit 0)", () => {
  it("--budget: exits 3, lists each file not read with its reason in the table and on stderr", () => {
    const r = scan(["--budget", "1"]);
    expect(r.status, r.stderr).toBe(3);
    expect(r.stdout).toMatch(/INCOMPLETE/);
    expect(r.stdout).toMatch(/dpkg\s+\/var\/lib\/dpkg\/status\s+maxTotalBytes spent.*package database/);
    expect(r.stderr).toMatch(/dpkg: not read: \/var\/lib\/dpkg\/status/);
  });

  it("--max-file-size: complete false and the file in `incomplete` of the JSON report", () => {
    const r = scan(["--max-file-size", "10", "--format", "json"]);
    expect(r.status).toBe(3);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.complete).toBe(false);
    expect(report.incomplete).toContainEqual({
      plugin: "dpkg",
      path: "/var/lib/dpkg/status",
      reason: expect.stringMatching(/larger than maxFileSize/),
      required: true,
    });
  });

  it("--allow-incomplete accepts it with exit 0, still saying what is missing", () => {
    const r = scan(["--budget", "1", "--allow-incomplete"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/INCOMPLETE/);
    expect(r.stderr).toMatch(/INCOMPLETE/);
  });

  it("a complete scan exits 0 with complete: true and nothing in incomplete", () => {
    const r = scan(["--format", "json"]);
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.complete).toBe(true);
    expect(report.incomplete).toEqual([]);
  });
});
