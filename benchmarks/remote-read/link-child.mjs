// @ts-check
// The server side of the remote-read benchmark, in its own process so that the client's CPU work
// (decompression, digests) cannot slow the emulated link: starts Debian's docker-registry and, in
// front of it, the fault proxy of packages/registry/test/helpers with the link's bandwidth and
// latency (no faults). Driven by run.mjs over the IPC channel; stops everything when told to, or
// when its parent goes away.
//
// usage (from run.mjs only): fork(link-child.mjs, [BYTES_PER_SECOND, LATENCY_MS])
import { tsImport } from "tsx/esm/api";

/** @typedef {{ id: number, cmd: "reset" | "stats" | "stop" }} Command */

const helpers = new URL("../../packages/registry/test/helpers/", import.meta.url);
const bandwidth = Number(process.argv[2]);
const latencyMs = Number(process.argv[3]);
if (!(bandwidth > 0) || !(latencyMs >= 0) || typeof process.send !== "function") {
  process.stderr.write("link-child.mjs: run it through run.mjs (fork with BYTES_PER_SECOND LATENCY_MS)\n");
  process.exit(2);
}

// The helpers are TypeScript test code; tsx compiles them on import so they are reused, not copied.
const { startRegistry } = await tsImport(new URL("registry-server.ts", helpers).href, import.meta.url);
const { startFaultProxy } = await tsImport(new URL("fault-proxy.ts", helpers).href, import.meta.url);

/** @type {{ host: string, stop(): Promise<void> } | undefined} */
let registry;
/** @type {any} */
let proxy;
let stopping = false;

async function shutdown() {
  if (stopping) return;
  stopping = true;
  // stop() of both helpers is bounded (the registry gets SIGKILL after 5 s).
  await proxy?.stop().catch(() => {});
  await registry?.stop().catch(() => {});
  process.exit(0);
}

// The parent died or closed the channel: nothing may outlive the benchmark.
process.on("disconnect", () => void shutdown());
process.on("SIGTERM", () => void shutdown());

try {
  const started = await startRegistry();
  registry = started;
  proxy = await startFaultProxy({ target: started.host, bandwidth, latencyMs });
} catch (err) {
  process.stderr.write(`link-child: ${err instanceof Error ? err.message : String(err)}\n`);
  await shutdown();
}

process.on("message", (/** @type {Command} */ msg) => {
  if (msg.cmd === "reset") {
    proxy.reset();
    process.send?.({ id: msg.id });
  } else if (msg.cmd === "stats") {
    process.send?.({ id: msg.id, stats: summarize(proxy.stats) });
  } else if (msg.cmd === "stop") {
    process.send?.({ id: msg.id }, () => void shutdown());
  }
});
process.send({ type: "ready", registry: registry?.host, proxy: proxy.host });

/**
 * Requests and response body bytes by kind, from the proxy's own record of every request: the
 * count the client cannot get wrong about itself.
 * @param {{ requests: number, bytesSent: number, byRequest: { method: string, path: string, range: string | undefined, status: number, bytes: number }[] }} stats
 */
function summarize(stats) {
  /** @type {Record<string, { requests: number, bytes: number }>} */
  const byKind = {};
  let failed = 0;
  for (const r of stats.byRequest) {
    const kind = r.path.includes("/blobs/")
      ? r.range === undefined
        ? "blob"
        : "range"
      : r.path.includes("/manifests/")
        ? "manifest"
        : "other";
    const k = byKind[kind] ?? { requests: 0, bytes: 0 };
    byKind[kind] = k;
    k.requests++;
    k.bytes += r.bytes;
    if (r.status < 200 || r.status >= 300) failed++;
  }
  return { requests: stats.requests, bytes: stats.bytesSent, failed, byKind };
}
