// The peers' golden data for the analyzers (../shared/peer/analyzers: 90 cases from Trivy, go-rpmdb
// and Syft test data, each a tree and the packages the peer's own test expects). Runs its run.sh
// (build each tree with `rafscan build`, scan it, compare) and fails when any case does not pass,
// unless the case is a deliberate difference documented in docs/analyzers.md and listed below.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "./support/fixtures.js";

const PEER = join(REPO_ROOT, "../shared/peer/analyzers");
const RUN = join(PEER, "run.sh");

/**
 * Cases where we differ from the peer on purpose, each with the reason (also in
 * docs/analyzers.md, "Where we differ from Trivy and Syft"). Empty: every case agrees.
 */
const DELIBERATE: Readonly<Record<string, string>> = {};

function unavailable(): string | undefined {
  if (!existsSync(RUN)) return `${PEER} is absent`;
  if (spawnSync("python3", ["--version"]).status !== 0)
    return "python3 is not installed (run.sh compares with it)";
  if (!existsSync(join(REPO_ROOT, "packages/cli/dist")))
    return "the CLI is not built (npx tsc -b packages/cli)";
  return undefined;
}

const UNAVAILABLE = unavailable();
if (UNAVAILABLE !== undefined) console.warn(`[rafscan tests] peer analyzer cases skipped: ${UNAVAILABLE}`);

describe.skipIf(UNAVAILABLE !== undefined)("peer analyzer golden cases (Trivy, go-rpmdb, Syft)", () => {
  const work = mkdtempSync(join(tmpdir(), "rafscan-peer-"));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("every case passes, or is a documented deliberate difference", () => {
    const run = spawnSync("bash", [RUN], {
      cwd: REPO_ROOT,
      env: { ...process.env, PEER_WORK: join(work, "w"), PEER_JOBS: "2", PEER_VERBOSE: "1" },
      encoding: "utf8",
      maxBuffer: 64 << 20,
    });
    const lines = run.stdout.split("\n");
    const summary = lines.find((l) => l.startsWith("peer analyzer agreement:"));
    expect(summary, `run.sh printed no summary:\n${run.stderr}`).toBeDefined();
    const results = new Map<string, boolean>();
    for (const line of lines) {
      const m = /^(PASS|FAIL) (\S+?):? /.exec(line);
      if (m !== null) results.set(m[2] as string, m[1] === "PASS");
    }
    expect(results.size).toBeGreaterThanOrEqual(90);
    const failed = [...results].filter(([, ok]) => !ok).map(([c]) => c);
    const regressions = failed.filter((c) => !Object.hasOwn(DELIBERATE, c));
    // The differences of each failing case, so a regression reads as what changed.
    const details = lines.filter(
      (l) => regressions.some((c) => l.startsWith(`FAIL ${c}`)) || /^ {4}(?!licences)/.test(l),
    );
    expect(regressions, details.join("\n")).toEqual([]);
    // A deliberate difference that starts agreeing is no longer one: take it off the list.
    const nowPassing = Object.keys(DELIBERATE).filter((c) => results.get(c) === true);
    expect(nowPassing).toEqual([]);
  }, 1_800_000);
});
