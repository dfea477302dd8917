// CI smoke run of the mutation campaign (fuzz/run.mjs, docs/fuzzing.md): a bounded run over every
// target must end without findings, and the harness must catch each kind of finding it promises
// (a hang, a crash, an untyped error, wrong bytes) with a replayable case.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "./support/fixtures.js";

const RUN = join(REPO_ROOT, "fuzz/run.mjs");
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function fuzz(args: string[], env: Record<string, string> = {}) {
  const findings = mkdtempSync(join(tmpdir(), "rafscan-fuzz-smoke-"));
  dirs.push(findings);
  const r = spawnSync(process.execPath, [RUN, ...args, "--findings", findings], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    encoding: "utf8",
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, findings };
}

describe("fuzz/run.mjs", () => {
  it("a bounded run over every target ends with counts per target and no findings", () => {
    // Bounded by inputs and by time (15 s), whichever comes first, to keep CI short.
    const r = fuzz(["--inputs", "1600", "--minutes", "0.25", "--seed", "1", "--batch", "25"]);
    expect(r.stderr).not.toContain("FINDING");
    expect(r.status).toBe(0);
    for (const t of [
      "v5-bootstrap",
      "v6-bootstrap",
      "erofs",
      "blob-data",
      "blob-meta",
      "toc",
      "tar-layer",
      "oci-layout",
    ]) {
      expect(r.stdout).toMatch(new RegExp(`^${t}\\s+[1-9]\\d*\\s`, "m"));
    }
    const summary = JSON.parse(readFileSync(join(r.findings, "summary-1.json"), "utf8"));
    expect(summary).toMatchObject({ partial: false, findings: 0 });
    expect(summary.total).toBeGreaterThan(0);
  }, 90_000);

  it("records a hang, a crash, an untyped error and wrong bytes, each with a replay command", () => {
    const r = fuzz(["--target", "selftest", "--inputs", "5", "--seed", "7", "--batch", "5"], {
      RAFSCAN_FUZZ_SELFTEST: "1",
    });
    expect(r.status).toBe(1);
    const files = readdirSync(r.findings).filter((f) => f.startsWith("selftest-"));
    expect(files.sort()).toEqual([
      "selftest-crash-7-2.json",
      "selftest-hang-7-1.json",
      "selftest-untyped-error-7-3.json",
      "selftest-wrong-bytes-7-4.json",
    ]);
    const untyped = JSON.parse(readFileSync(join(r.findings, "selftest-untyped-error-7-3.json"), "utf8"));
    expect(untyped.replay).toBe("node fuzz/run.mjs --target selftest --seed 7 --case 3");
    // The replay runs the case in-process and fails the same way.
    const again = fuzz(["--target", "selftest", "--seed", "7", "--case", "3"], {
      RAFSCAN_FUZZ_SELFTEST: "1",
    });
    expect(again.status).toBe(1);
    expect(JSON.parse(again.stdout)).toMatchObject({
      outcome: "finding",
      finding: { kind: "untyped-error" },
    });
  }, 90_000);
});
