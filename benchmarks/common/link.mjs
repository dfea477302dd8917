// @ts-check
// The emulated link of the network benchmarks (remote-read, scan): forks
// benchmarks/remote-read/link-child.mjs (Debian's docker-registry behind the registry tests' fault
// proxy, with bandwidth and RTT) and talks to it over IPC.
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { sleep, withTimeout } from "./timers.mjs";

const LINK_CHILD = fileURLToPath(new URL("../remote-read/link-child.mjs", import.meta.url));

/**
 * @typedef {object} LinkStats  what the proxy counted since the last reset
 * @property {number} requests
 * @property {number} bytes  response body bytes sent
 * @property {number} failed  requests answered outside 2xx
 * @property {Record<string, { requests: number, bytes: number }>} byKind  `manifest`, `blob`, `range`, `other`
 */

/**
 * @typedef {object} Link
 * @property {string} registry  `127.0.0.1:PORT` of docker-registry itself (pushes go here, unmetered)
 * @property {string} proxy  `127.0.0.1:PORT` of the emulated link in front of it (measured reads)
 * @property {number} mbit  the link's nominal bandwidth
 * @property {number} rttMs
 * @property {() => Promise<void>} reset  zeroes the proxy's counters
 * @property {() => Promise<LinkStats>} stats
 * @property {() => Promise<void>} stop  stops the proxy and the registry (bounded: at most ~20 s)
 */

/**
 * Starts a registry behind an emulated link and waits (at most 30 s) until both answer. Each link
 * has its own, empty registry: images must be pushed to every link they are read through.
 * @param {number} mbit  bandwidth, Mbit/s (10^6 bits), shared by every response in flight
 * @param {number} rttMs  added once per request before its answer starts
 * @returns {Promise<Link>}
 */
export async function startLink(mbit, rttMs) {
  const bytesPerSecond = (mbit * 1e6) / 8;
  const child = fork(LINK_CHILD, [String(bytesPerSecond), String(rttMs)], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  let nextId = 1;
  /** @type {Map<number, (msg: any) => void>} */
  const waiting = new Map();
  child.on("message", (/** @type {any} */ msg) => {
    const done = waiting.get(msg.id);
    if (done !== undefined) {
      waiting.delete(msg.id);
      done(msg);
    }
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  /** @type {{ registry: string, proxy: string }} */
  const ready = await withTimeout(
    new Promise((resolve, reject) => {
      child.on("message", (/** @type {any} */ msg) => {
        if (msg.type === "ready") resolve(msg);
      });
      child.once("exit", (code) => reject(new Error(`link-child exited with ${code} before it was ready`)));
    }),
    30_000,
    "link-child did not start in 30 s",
  ).catch((err) => {
    child.kill("SIGTERM");
    throw err;
  });
  if (typeof ready.registry !== "string" || typeof ready.proxy !== "string") {
    child.kill("SIGTERM");
    throw new Error("link-child started without a registry or a proxy");
  }
  /** @param {"reset" | "stats"} cmd */
  const call = (cmd) =>
    withTimeout(
      new Promise((resolve) => {
        const id = nextId++;
        waiting.set(id, resolve);
        child.send({ id, cmd });
      }),
      10_000,
      `link-child did not answer '${cmd}' in 10 s`,
    );
  return {
    registry: ready.registry,
    proxy: ready.proxy,
    mbit,
    rttMs,
    reset: async () => {
      await call("reset");
    },
    stats: async () => /** @type {any} */ (await call("stats")).stats,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      // The child stops the proxy and the registry (the registry gets SIGKILL after 5 s), then exits.
      child.send({ id: 0, cmd: "stop" });
      const gone = await Promise.race([exited.then(() => true), sleep(15_000).then(() => false)]);
      if (!gone) {
        child.kill("SIGKILL");
        await Promise.race([exited, sleep(5_000)]);
      }
    },
  };
}
