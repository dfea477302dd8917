// @ts-check
// Timed child processes for the scan benchmark: a command run under GNU time (wall time and peak
// RSS of the command and its children), and a forked node script that answers with one message.
// Every wait is bounded; a process that overruns is killed with its whole process group.
import { fork, spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { sleep } from "../common/timers.mjs";

/** GNU time (Debian package `time`): `%M` is the peak resident set in KiB, children included. */
export const GNU_TIME = "/usr/bin/time";

/**
 * @typedef {object} Timed
 * @property {number} wallMs  spawn to exit, as this process saw it
 * @property {number | undefined} maxRssKiB  peak RSS of the command (and of the children it
 *   waited for), from GNU time; undefined when /usr/bin/time is missing
 */

/**
 * Runs `command` to completion, killing its process group past `limitMs`. Fails on a non-zero exit
 * with the tail of its stderr.
 * @param {string} command
 * @param {readonly string[]} args
 * @param {number} limitMs
 * @returns {Promise<Timed>}
 */
export async function runTimed(command, args, limitMs) {
  const haveTime = existsSync(GNU_TIME);
  const rssFile = join(
    tmpdir(),
    `rafscan-scan-bench-rss-${process.pid}-${Math.random().toString(36).slice(2)}`,
  );
  const [cmd, argv] = haveTime
    ? [GNU_TIME, ["-f", "%M", "-o", rssFile, command, ...args]]
    : [command, [...args]];
  const t0 = performance.now();
  // Its own process group, so that a timeout also stops what the command started (tar's gzip).
  const child = spawn(cmd, argv, { stdio: ["ignore", "ignore", "pipe"], detached: true });
  let stderr = "";
  child.stderr.on("data", (/** @type {Buffer} */ d) => {
    stderr = (stderr + d.toString("utf8")).slice(-4000);
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(child.pid);
  }, limitMs);
  const code = await new Promise((resolve) => {
    child.once("error", (err) => resolve(err.message));
    child.once("close", (c, sig) => resolve(c ?? sig));
  });
  clearTimeout(timer);
  const wallMs = performance.now() - t0;
  let maxRssKiB;
  try {
    if (haveTime)
      maxRssKiB = Number.parseInt(readFileSync(rssFile, "utf8").trim().split("\n").pop() ?? "", 10);
  } catch {
    // GNU time writes the file only when the command ran
  } finally {
    rmSync(rssFile, { force: true });
  }
  if (code !== 0) {
    const why = timedOut ? `killed after ${Math.round(limitMs / 1000)} s` : `exited with ${code}`;
    throw new Error(`${command} ${args.join(" ")}: ${why}\n${stderr.trim()}`);
  }
  return { wallMs, maxRssKiB: Number.isFinite(maxRssKiB) ? maxRssKiB : undefined };
}

/**
 * Forks a node script and waits for its one `{ type: "result" }` message (or `{ type: "error" }`),
 * then for its exit; kills it past `limitMs`. `wallMs` runs from the fork to the result, so it
 * includes node's start-up and module loading, as a CLI run would.
 * @param {string} script
 * @param {readonly string[]} args
 * @param {number} limitMs
 * @returns {Promise<{ wallMs: number, result: any }>}
 */
export async function forkTimed(script, args, limitMs) {
  const t0 = performance.now();
  const child = fork(script, [...args], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const exited = new Promise((resolve) => child.once("exit", (code, sig) => resolve(code ?? sig)));
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  try {
    const { msg, wallMs } = await new Promise((resolve, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${script} gave no result in ${Math.round(limitMs / 1000)} s`)),
        limitMs,
      );
      child.on("message", (/** @type {any} */ m) => {
        if (m?.type === "result") resolve({ msg: m, wallMs: performance.now() - t0 });
        else if (m?.type === "error") reject(new Error(`${script}: ${m.message}`));
      });
      void exited.then((code) => reject(new Error(`${script} exited with ${code} before its result`)));
    });
    return { wallMs, result: msg };
  } finally {
    clearTimeout(timer);
    // The child exits on its own once it has answered; a stuck one is not waited for.
    const gone = await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]);
    if (!gone) {
      child.kill("SIGKILL");
      await Promise.race([exited, sleep(5_000)]);
    }
  }
}

/** @param {number | undefined} pid */
function killGroup(pid) {
  if (pid === undefined) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // already gone
  }
}
