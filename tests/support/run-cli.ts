// Runs the rafscan CLI as a child process, the way users and scripts call it.
import { spawnSync } from "node:child_process";
import { CLI, REPO_ROOT } from "./fixtures.js";

/** The outcome of one CLI run. */
export interface CliResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly stdoutBytes: Buffer;
}

/** Runs `rafscan ARGS` and waits (bounded by a timeout). */
export function runCli(args: readonly string[], timeoutMs = 60_000): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: REPO_ROOT,
    timeout: timeoutMs,
    maxBuffer: 256 << 20,
  });
  if (r.error) throw r.error;
  return {
    status: r.status ?? -1,
    stdout: r.stdout.toString("utf8"),
    stderr: r.stderr.toString("utf8"),
    stdoutBytes: r.stdout,
  };
}

/** Parses JSON-lines output. */
export function jsonLines<T = Record<string, unknown>>(text: string): T[] {
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as T);
}
