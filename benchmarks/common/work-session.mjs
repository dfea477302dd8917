// @ts-check
// The frame of a network benchmark run: a temporary work directory and the emulated links started
// in it, all cleaned up when the run ends, fails or is interrupted.
import { rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startLink } from "./link.mjs";

/**
 * @typedef {object} WorkSession
 * @property {string} work  a fresh directory under the OS temp dir, removed at the end
 * @property {typeof startLink} startLink  starts a link that is stopped at the end if still running
 */

/**
 * Runs `body` in a {@link WorkSession}. On SIGINT/SIGTERM the work directory is removed at once and
 * the process exits with 130; otherwise every link is stopped and the directory removed after
 * `body` settles.
 * @template T
 * @param {string} prefix  name prefix of the work directory, e.g. `rafscan-scan-bench-`
 * @param {(session: WorkSession) => Promise<T>} body
 * @returns {Promise<T>}
 */
export async function withWorkSession(prefix, body) {
  const work = await mkdtemp(join(tmpdir(), prefix));
  /** @type {import("./link.mjs").Link[]} */
  const links = [];
  const onSignal = () => {
    // Synchronous clean-up: a link child sees its IPC channel close and stops its registry.
    rmSync(work, { recursive: true, force: true });
    process.exit(130);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    return await body({
      work,
      startLink: async (mbit, rttMs) => {
        const link = await startLink(mbit, rttMs);
        links.push(link);
        return link;
      },
    });
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    // stop() returns at once for a link the body stopped already.
    for (const link of links) await link.stop();
    await rm(work, { recursive: true, force: true });
  }
}
