// Reading a Nydus image from a registry through the fault proxy, one fault kind at a time applied
// to the blob range requests: every read returns exactly the source tree's bytes or fails with a
// typed error (RafsError wrapping a RegistryError), within a bounded time. Also a byte-flipping
// proxy (wrong bytes are never returned), aborts, and a seeded soak of random faults.
import { getEventListeners } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, request as httpRequest, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BuiltImage } from "@rafscan/builder";
import { type OpenImageOptions, openImage } from "@rafscan/registry";
import type { Image } from "@rafscan/vfs";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  type Fault,
  type FaultFunction,
  type FaultProxy,
  type ProxiedRequest,
  startFaultProxy,
} from "../packages/registry/test/helpers/fault-proxy.js";
import {
  HAVE_HTPASSWD,
  type RegistryServer,
  startRegistry,
} from "../packages/registry/test/helpers/registry-server.js";
import {
  buildNydus,
  errorCodes,
  HAVE_REGISTRY,
  isBlobPath,
  parseRange,
  prng,
  pushNydus,
  rejection,
  type TreeFiles,
  writeTree,
} from "./support/remote-image.js";

const REPO = "rafscan/faults";
const BIG = "/big/data.bin";
const SMALL = "/small/f07.txt";
/** Short waits everywhere, so that failing paths finish in well under a second. */
const FAST: OpenImageOptions = {
  insecure: true,
  retries: 3,
  baseDelayMs: 10,
  maxDelayMs: 40,
  idleTimeoutMs: 400,
};

/** A fault for the first `times` blob range requests, none after. */
function firstBlobRanges(times: number, fault: Fault): FaultFunction {
  let left = times;
  return (req) => (isBlobRange(req) && left-- > 0 ? fault : undefined);
}

function isBlobRange(req: ProxiedRequest): boolean {
  return req.range !== undefined && isBlobPath(req.path);
}

const opened: Image[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((i) => i.close()));
});

describe.skipIf(!HAVE_REGISTRY)("registry reads under faults", () => {
  let work = "";
  let files: TreeFiles;
  let built: BuiltImage;
  let registry: RegistryServer;
  let proxy: FaultProxy;
  let ref = "";

  /** Opens the image through the proxy (faults apply to blob ranges only, so opening is clean). */
  async function open(options: OpenImageOptions = {}): Promise<Image> {
    const image = await openImage(ref, { ...FAST, ...options });
    opened.push(image);
    return image;
  }
  const want = (path: string) => files.get(path) as Buffer;
  const blobRecords = () => proxy.stats.byRequest.filter((r) => r.range !== undefined && isBlobPath(r.path));

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "rafscan-remote-faults-"));
    files = writeTree(join(work, "tree"));
    [built, registry] = await Promise.all([
      buildNydus(join(work, "tree"), join(work, "built")),
      startRegistry(),
    ]);
    await pushNydus(built, registry.host, REPO, "v1");
    proxy = await startFaultProxy({ target: registry.host });
    ref = `${proxy.host}/${REPO}:v1`;
  });
  beforeEach(() => {
    proxy.setFault(undefined);
    proxy.reset();
  });
  afterAll(async () => {
    await proxy?.stop();
    await registry?.stop();
    if (work !== "") rmSync(work, { recursive: true, force: true });
  });

  for (const status of [500, 502, 503]) {
    it(`retries a ${status} and then reads the right bytes`, async () => {
      proxy.setFault(firstBlobRanges(1, { kind: "status", status }));
      const image = await open();
      expect((await image.readFile(SMALL)).equals(want(SMALL))).toBe(true);
      expect(image.origin?.transport?.retries).toBeGreaterThanOrEqual(1);
      const [failed, retried] = blobRecords();
      expect(failed?.status).toBe(status);
      expect(retried?.status).toBe(206);
      expect(retried?.range).toBe(failed?.range);
    });
  }

  it("waits as long as a 429's Retry-After says", async () => {
    proxy.setFault(firstBlobRanges(1, { kind: "status", status: 429, retryAfter: "1" }));
    const image = await open();
    const t0 = performance.now();
    expect((await image.readFile(SMALL)).equals(want(SMALL))).toBe(true);
    const elapsed = performance.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(5000);
    expect(image.origin?.transport?.retries).toBe(1);
  });

  it("gives up on a persistent 503 with REGISTRY_HTTP_STATUS after the retries", async () => {
    proxy.setFault((req) => (isBlobRange(req) ? { kind: "status", status: 503 } : undefined));
    const image = await open({ retries: 2 });
    const t0 = performance.now();
    const err = await rejection(image.readFile(SMALL));
    expect(performance.now() - t0).toBeLessThan(3000);
    const codes = errorCodes(err);
    expect(codes[0]).toBe("RAFS_BLOB_READ");
    expect(codes).toContain("REGISTRY_HTTP_STATUS");
    expect((err as Error).message).toMatch(/503/);
    expect(blobRecords().length).toBe(3);
  });

  for (const kind of ["reset", "truncate"] as const) {
    it(`resumes a body cut by ${kind} from where it stopped`, async () => {
      const CUT = 100_000;
      proxy.setFault(firstBlobRanges(1, { kind, afterBytes: CUT }));
      const image = await open();
      expect((await image.readFile(BIG)).equals(want(BIG))).toBe(true);
      const [cut, resumed, ...rest] = blobRecords();
      expect(cut?.bytes).toBe(CUT);
      const a = parseRange(cut?.range);
      const b = parseRange(resumed?.range);
      expect(a).toBeDefined();
      // The follow-up asks for the rest of the same range, starting at the first byte not received.
      expect(b).toEqual([(a?.[0] ?? 0) + CUT, a?.[1]]);
      expect(rest).toEqual([]);
      // A resume that made progress is not a failed attempt.
      expect(image.origin?.transport?.retries).toBe(1);
    });
  }

  it("reads through a server that ignores Range, counting it", async () => {
    proxy.setFault((req) => (isBlobRange(req) ? { kind: "ignore-range" } : undefined));
    const image = await open();
    expect((await image.readFile(SMALL)).equals(want(SMALL))).toBe(true);
    expect((await image.readFile("/etc/os-release")).equals(want("/etc/os-release"))).toBe(true);
    expect(image.origin?.transport?.rangeIgnored).toBeGreaterThanOrEqual(1);
    expect(blobRecords().every((r) => r.status === 200)).toBe(true);
  });

  it("fails with REGISTRY_RANGE_IGNORED when reading through exceeds the budget", async () => {
    proxy.setFault((req) => (isBlobRange(req) ? { kind: "ignore-range" } : undefined));
    const image = await open({ ignoredRangeBudget: 1024 });
    const err = await rejection(image.readFile(BIG));
    expect(errorCodes(err)).toContain("REGISTRY_RANGE_IGNORED");
    // Not worth retrying: the server will not change its mind.
    expect(blobRecords().length).toBe(1);
  });

  it("abandons a stalled body after the idle timeout and succeeds on the retry", async () => {
    proxy.setFault(firstBlobRanges(1, { kind: "stall", afterBytes: 0 }));
    const image = await open({ idleTimeoutMs: 300 });
    const t0 = performance.now();
    expect((await image.readFile(SMALL)).equals(want(SMALL))).toBe(true);
    const elapsed = performance.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(3000);
    expect(blobRecords().length).toBe(2);
  });

  it("fails a persistently stalled read with REGISTRY_NETWORK, bounded", async () => {
    proxy.setFault((req) => (isBlobRange(req) ? { kind: "stall", afterBytes: 0 } : undefined));
    const image = await open({ idleTimeoutMs: 200, retries: 1 });
    const t0 = performance.now();
    const err = await rejection(image.readFile(SMALL));
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(errorCodes(err)).toContain("REGISTRY_NETWORK");
    expect((err as Error).message).toMatch(/no data for 200 ms/);
    expect(blobRecords().length).toBe(2);
  });

  it("counts a body that trickles a few bytes and stalls on every attempt as a failure, bounded", async () => {
    proxy.setFault((req) => (isBlobRange(req) ? { kind: "stall", afterBytes: 10 } : undefined));
    const image = await open({ idleTimeoutMs: 200, retries: 2 });
    const t0 = performance.now();
    const err = await rejection(image.readFile(BIG));
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(errorCodes(err)).toContain("REGISTRY_NETWORK");
    // The first try plus two retries, although each one made progress.
    expect(blobRecords().length).toBe(3);
  });

  it("waits out a delayed answer", async () => {
    proxy.setFault((req) => (isBlobRange(req) ? { kind: "delay", ms: 250 } : undefined));
    const image = await open();
    const t0 = performance.now();
    expect((await image.readFile(SMALL)).equals(want(SMALL))).toBe(true);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(240);
    expect(image.origin?.transport?.retries).toBe(0);
  });

  it("aborts a slow read promptly", async () => {
    proxy.setFault((req) => (isBlobRange(req) ? { kind: "delay", ms: 10_000 } : undefined));
    const image = await open();
    const controller = new AbortController();
    const t0 = performance.now();
    setTimeout(() => controller.abort(), 100);
    const err = await rejection(image.readFile(BIG, { signal: controller.signal }));
    const elapsed = performance.now() - t0;
    expect((err as Error).name).toBe("AbortError");
    expect(elapsed).toBeLessThan(1000);
    // The image stays usable: the next read, without the fault, works.
    proxy.setFault(undefined);
    expect((await image.readFile(BIG)).equals(want(BIG))).toBe(true);
  });

  it("leaves no abort listeners on a long-lived signal (regression: one per chunk, never removed)", async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on("warning", onWarning);
    try {
      const image = await open();
      const controller = new AbortController();
      const { signal } = controller;
      // The big file is 48 chunks in one request; the small files are one request each.
      expect((await image.readFile(BIG, { signal })).equals(want(BIG))).toBe(true);
      for (const p of [...files.keys()].slice(0, 12)) {
        expect((await image.readFile(p, { signal })).equals(want(p))).toBe(true);
      }
      expect(getEventListeners(signal, "abort")).toEqual([]);
      // Warnings are emitted on the next tick.
      await new Promise((r) => setImmediate(r));
      expect(warnings).not.toContain("MaxListenersExceededWarning");
    } finally {
      process.off("warning", onWarning);
    }
  });

  it("never returns bytes a proxy corrupted: the chunk digest check fails the read", async () => {
    const flipper = await startFlipper(registry.host);
    try {
      const image = await openImage(`${flipper.host}/${REPO}:v1`, FAST);
      opened.push(image);
      const err = await rejection(image.readFile(SMALL));
      const codes = errorCodes(err);
      expect(["RAFS_DIGEST_MISMATCH", "RAFS_DECOMPRESS"]).toContain(codes[0]);
      console.info(`[remote-faults] one flipped byte in a chunk -> ${codes.join(" <- ")}`);
      expect(flipper.flipped()).toBeGreaterThanOrEqual(1);
    } finally {
      await flipper.stop();
    }
  });

  it("soak: 30 reads under seeded random faults are right or typed errors, in bounded time", async () => {
    const random = prng(20_240_601);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
    const faults: (() => Fault | undefined)[] = [
      () => undefined,
      () => ({ kind: "status", status: pick([500, 502, 503]) }),
      () => ({ kind: "status", status: 429, retryAfter: "0" }),
      // Cuts within the first 2 KB, so that they hit small files' bodies too.
      () => ({ kind: "reset", afterBytes: Math.floor(random() * 2_000) }),
      () => ({ kind: "truncate", afterBytes: Math.floor(random() * 2_000) }),
      () => ({ kind: "ignore-range" }),
      () => ({ kind: "delay", ms: Math.floor(random() * 40) }),
      () => ({ kind: "stall", afterBytes: Math.floor(random() * 500) }),
    ];
    const applied = new Map<string, number>();
    proxy.setFault((req) => {
      if (!isBlobRange(req) || random() >= 0.8) return undefined;
      const fault = pick(faults)();
      if (fault !== undefined) applied.set(fault.kind, (applied.get(fault.kind) ?? 0) + 1);
      return fault;
    });
    const paths = [...files.keys()];
    const t0 = performance.now();
    let right = 0;
    const failures: string[] = [];
    for (let i = 0; i < 30; i++) {
      // A fresh image each time, so that no read is served from the in-memory chunk cache.
      const image = await open({ idleTimeoutMs: 150, retries: 2 });
      const path = pick(paths);
      try {
        const got = await image.readFile(path);
        expect(got.equals(want(path)), `read ${i} of ${path} returned wrong bytes`).toBe(true);
        right++;
      } catch (err) {
        const codes = errorCodes(err);
        expect(codes[0], String(err)).toMatch(/^(RAFS|REGISTRY)_/);
        expect(
          codes.some((c) => c.startsWith("REGISTRY_")),
          String(err),
        ).toBe(true);
        failures.push(codes.join("<-"));
      }
      await image.close();
    }
    const elapsed = performance.now() - t0;
    console.info(
      `[remote-faults] soak: ${right}/30 right, ${failures.length} typed errors (${failures.join(", ") || "none"}), ` +
        `${blobRecords().length} blob requests, faults ${JSON.stringify(Object.fromEntries(applied))}, ${Math.round(elapsed)} ms`,
    );
    expect(elapsed).toBeLessThan(60_000);
    // With 3 retries most reads get through; a run where none did would mean retries do not work.
    expect(right).toBeGreaterThan(15);
  }, 90_000);

  describe.skipIf(!HAVE_HTPASSWD)("with Basic auth", () => {
    const AUTH = { username: "reader", password: "s3cret-pass" };
    let secured: RegistryServer;
    let front: FaultProxy;
    beforeAll(async () => {
      secured = await startRegistry({ auth: AUTH });
      await pushNydus(built, secured.host, REPO, "v1", AUTH);
      front = await startFaultProxy({ target: secured.host });
    });
    afterAll(async () => {
      await front?.stop();
      await secured?.stop();
    });

    it("follows a redirect to storage for blob ranges, without sending credentials there", async () => {
      front.setFault((req) => (isBlobRange(req) ? { kind: "redirect" } : undefined));
      const image = await openImage(`${front.host}/${REPO}:v1`, { ...FAST, ...AUTH });
      opened.push(image);
      expect((await image.readFile(SMALL)).equals(want(SMALL))).toBe(true);
      expect((await image.readFile(BIG)).equals(want(BIG))).toBe(true);
      const records = front.stats.byRequest.filter((r) => isBlobPath(r.path) && r.range !== undefined);
      const main = records.filter((r) => r.port === "main");
      const storage = records.filter((r) => r.port === "storage");
      expect(main.length).toBeGreaterThanOrEqual(1);
      expect(main.every((r) => r.status === 307 && r.authorization?.startsWith("Basic ") === true)).toBe(
        true,
      );
      expect(storage.length).toBe(main.length);
      expect(storage.every((r) => r.status === 206 && r.authorization === undefined)).toBe(true);
      // The storage answered exactly the ranges asked of the registry.
      expect(storage.map((r) => r.range)).toEqual(main.map((r) => r.range));
    });
  });
});

/**
 * A forwarding proxy that flips one bit in the middle of every ranged blob answer, keeping the
 * length, like a faulty cache or a bad NIC would: a fault kind the shared fault proxy has no need
 * for elsewhere.
 */
async function startFlipper(
  target: string,
): Promise<{ host: string; flipped: () => number; stop: () => Promise<void> }> {
  const [host, port] = target.split(":") as [string, string];
  let flipped = 0;
  const server: Server = createServer((req, res) => {
    const upstream = httpRequest(
      {
        host,
        port: Number(port),
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: target },
      },
      (from: IncomingMessage) => {
        const corrupt =
          req.headers.range !== undefined && from.statusCode === 206 && isBlobPath(req.url ?? "");
        if (!corrupt) {
          res.writeHead(from.statusCode ?? 502, from.headers);
          from.pipe(res);
          return;
        }
        const chunks: Buffer[] = [];
        from.on("data", (c: Buffer) => chunks.push(c));
        from.on("end", () => {
          const body = Buffer.concat(chunks);
          const at = body.length >> 1;
          if (body.length > 0) {
            body[at] = (body[at] as number) ^ 0x04;
            flipped++;
          }
          res.writeHead(206, from.headers);
          res.end(body);
        });
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    flipped: () => flipped,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
