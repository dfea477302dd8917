// Tests of the fault-injecting proxy helper (test/helpers/fault-proxy.ts): each fault, latency and
// the shared bandwidth limit, seen with raw undici requests through the proxy to a real
// docker-registry holding a blob pushed through the proxy; plus checks that need no registry.
import { createHash, randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { performance } from "node:perf_hooks";
import { request } from "undici";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type FaultProxy, startFaultProxy } from "./helpers/fault-proxy.js";
import {
  HAVE_HTPASSWD,
  REGISTRY_BIN,
  type RegistryServer,
  startRegistry,
} from "./helpers/registry-server.js";

const sha256 = (b: Uint8Array) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
const BLOB = randomBytes(512 * 1024);
const DIGEST = sha256(BLOB);
const REPO = "faults/blob";
const BLOB_PATH = `/v2/${REPO}/blobs/${DIGEST}`;

/** Reads a body to its end or first error, keeping the bytes that came before the error. */
async function readBody(body: AsyncIterable<Buffer>): Promise<{ bytes: Buffer; error: unknown }> {
  const chunks: Buffer[] = [];
  try {
    for await (const c of body) chunks.push(c);
    return { bytes: Buffer.concat(chunks), error: undefined };
  } catch (error) {
    return { bytes: Buffer.concat(chunks), error };
  }
}

/** Pushes `bytes` as a blob with a monolithic upload (POST then PUT) through `host`. */
async function pushBlob(host: string, repo: string, bytes: Buffer, authorization?: string): Promise<string> {
  const auth: Record<string, string> = authorization === undefined ? {} : { authorization };
  const started = await request(`http://${host}/v2/${repo}/blobs/uploads/`, {
    method: "POST",
    headers: auth,
  });
  await started.body.dump();
  expect(started.statusCode).toBe(202);
  const location = String(started.headers.location);
  const url = new URL(location, `http://${host}`);
  url.searchParams.set("digest", sha256(bytes));
  const put = await request(url, {
    method: "PUT",
    headers: { ...auth, "content-type": "application/octet-stream" },
    body: bytes,
  });
  await put.body.dump();
  expect(put.statusCode).toBe(201);
  return location;
}

const proxies: FaultProxy[] = [];
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.stop()));
});
async function proxy(options: Parameters<typeof startFaultProxy>[0]): Promise<FaultProxy> {
  const p = await startFaultProxy(options);
  proxies.push(p);
  return p;
}

describe("fault proxy without a registry", () => {
  it("answers a status fault itself, and 502 when the target is down", async () => {
    // A port that was free a moment ago: nothing listens there.
    const dead = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, "127.0.0.1", () => {
        const port = (s.address() as { port: number }).port;
        s.close(() => resolve(port));
      });
    });
    const p = await proxy({ target: `127.0.0.1:${dead}` });
    const down = await request(`http://${p.host}/v2/`);
    await down.body.dump();
    expect(down.statusCode).toBe(502);
    p.setFault(() => ({ kind: "status", status: 429, retryAfter: "3" }));
    const limited = await request(`http://${p.host}/v2/`);
    const json = (await limited.body.json()) as { errors: { code: string }[] };
    expect(limited.statusCode).toBe(429);
    expect(limited.headers["retry-after"]).toBe("3");
    expect(json.errors[0]?.code).toBe("UNAVAILABLE");
    expect(p.stats.byRequest.map((r) => [r.n, r.status, r.fault])).toEqual([
      [1, 502, undefined],
      [2, 429, "status"],
    ]);
  });

  it("refuses a bad bandwidth", async () => {
    await expect(startFaultProxy({ target: "127.0.0.1:1", bandwidth: 0 })).rejects.toThrow("bandwidth");
  });
});

if (REGISTRY_BIN === undefined) {
  console.warn("fault proxy tests against docker-registry skipped: apt-get install docker-registry");
}

describe.skipIf(REGISTRY_BIN === undefined)("fault proxy in front of docker-registry", () => {
  let registry: RegistryServer | undefined;
  const target = () => (registry as RegistryServer).host;
  beforeAll(async () => {
    registry = await startRegistry();
    const p = await startFaultProxy({ target: target() });
    try {
      const location = await pushBlob(p.host, REPO, BLOB);
      // The registry names itself in Location; the proxy must have rewritten that to itself.
      expect(location.startsWith(`http://${p.host}/v2/${REPO}/blobs/uploads/`)).toBe(true);
      expect(p.stats.byRequest.map((r) => [r.method, r.status])).toEqual([
        ["POST", 202],
        ["PUT", 201],
      ]);
    } finally {
      await p.stop();
    }
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it("forwards untouched without a fault, Range included, and counts what it sent", async () => {
    const p = await proxy({ target: target() });
    const whole = await request(`http://${p.host}${BLOB_PATH}`);
    const got = await readBody(whole.body);
    expect(whole.statusCode).toBe(200);
    expect(got.error).toBeUndefined();
    expect(sha256(got.bytes)).toBe(DIGEST);
    const part = await request(`http://${p.host}${BLOB_PATH}`, { headers: { range: "bytes=100-199" } });
    const slice = await readBody(part.body);
    expect(part.statusCode).toBe(206);
    expect(slice.bytes.equals(BLOB.subarray(100, 200))).toBe(true);
    expect(p.stats.requests).toBe(2);
    expect(p.stats.bytesSent).toBe(BLOB.length + 100);
    expect(p.stats.byRequest).toEqual([
      {
        n: 1,
        method: "GET",
        path: BLOB_PATH,
        range: undefined,
        status: 200,
        bytes: BLOB.length,
        authorization: undefined,
        port: "main",
        fault: undefined,
      },
      expect.objectContaining({ n: 2, range: "bytes=100-199", status: 206, bytes: 100 }),
    ]);
    p.reset();
    expect(p.stats).toEqual({ requests: 0, bytesSent: 0, byRequest: [] });
    await (await request(`http://${p.host}/v2/`)).body.dump();
    expect(p.stats.byRequest[0]?.n).toBe(1);
  });

  it("answers 500, 502, 503 and 429 with Retry-After as told, per request", async () => {
    const p = await proxy({
      target: target(),
      fault: (r) =>
        r.n === 1
          ? { kind: "status", status: 500 }
          : r.n === 2
            ? { kind: "status", status: 502, body: "bad gateway" }
            : r.n === 3
              ? { kind: "status", status: 503 }
              : r.n === 4
                ? { kind: "status", status: 429, retryAfter: "1" }
                : undefined,
    });
    const seen: [number, string | undefined][] = [];
    for (let i = 0; i < 5; i++) {
      const res = await request(`http://${p.host}${BLOB_PATH}`);
      await res.body.dump();
      seen.push([res.statusCode, res.headers["retry-after"] as string | undefined]);
    }
    expect(seen).toEqual([
      [500, undefined],
      [502, undefined],
      [503, undefined],
      [429, "1"],
      [200, undefined],
    ]);
    expect(p.stats.byRequest[1]?.bytes).toBe("bad gateway".length);
  });

  it("resets the connection after N body bytes: the body errors", async () => {
    const p = await proxy({ target: target(), fault: () => ({ kind: "reset", afterBytes: 100_000 }) });
    const res = await request(`http://${p.host}${BLOB_PATH}`, { bodyTimeout: 5000 });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-length"]).toBe(String(BLOB.length));
    const got = await readBody(res.body);
    expect(got.error).toMatchObject({ code: "UND_ERR_SOCKET" });
    expect(got.bytes.length).toBe(100_000);
    expect(got.bytes.equals(BLOB.subarray(0, 100_000))).toBe(true);
    expect(p.stats.byRequest[0]).toMatchObject({ status: 200, bytes: 100_000, fault: "reset" });
  });

  it("resets right after the headers with afterBytes 0", async () => {
    const p = await proxy({ target: target(), fault: () => ({ kind: "reset", afterBytes: 0 }) });
    const res = await request(`http://${p.host}${BLOB_PATH}`, { bodyTimeout: 5000 });
    expect(res.statusCode).toBe(200);
    const got = await readBody(res.body);
    expect(got.error).toMatchObject({ code: "UND_ERR_SOCKET" });
    expect(got.bytes.length).toBe(0);
  });

  it("truncates: full Content-Length, then a clean close after N bytes", async () => {
    const p = await proxy({ target: target(), fault: () => ({ kind: "truncate", afterBytes: 4321 }) });
    // A body timeout, so that a proxy that stalled instead would fail here rather than hang.
    const res = await request(`http://${p.host}${BLOB_PATH}`, { bodyTimeout: 5000 });
    expect(res.headers["content-length"]).toBe(String(BLOB.length));
    const got = await readBody(res.body);
    expect(got.bytes.equals(BLOB.subarray(0, 4321))).toBe(true);
    // undici notices the connection closed short of the Content-Length.
    expect(got.error).toMatchObject({ code: "UND_ERR_SOCKET" });
  });

  it("ignores Range on request: 200 with the whole blob", async () => {
    const p = await proxy({ target: target(), fault: () => ({ kind: "ignore-range" }) });
    const res = await request(`http://${p.host}${BLOB_PATH}`, { headers: { range: "bytes=0-99" } });
    const got = await readBody(res.body);
    expect(res.statusCode).toBe(200);
    expect(sha256(got.bytes)).toBe(DIGEST);
    expect(p.stats.byRequest[0]).toMatchObject({ range: "bytes=0-99", status: 200, bytes: BLOB.length });
  });

  it("delays the start of a response", async () => {
    const p = await proxy({ target: target(), fault: () => ({ kind: "delay", ms: 300 }) });
    const t0 = performance.now();
    const res = await request(`http://${p.host}/v2/`);
    await res.body.dump();
    expect(res.statusCode).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(290);
  });

  it("stalls after N bytes until the client gives up, and stop() closes the stalled socket", async () => {
    const p = await proxy({ target: target(), fault: () => ({ kind: "stall", afterBytes: 1000 }) });
    const t0 = performance.now();
    const res = await request(`http://${p.host}${BLOB_PATH}`, { bodyTimeout: 300 });
    const got = await readBody(res.body);
    expect(got.bytes.length).toBe(1000);
    expect((got.error as { code?: string }).code).toBe("UND_ERR_BODY_TIMEOUT");
    expect(performance.now() - t0).toBeGreaterThanOrEqual(290);
    // A client with no timeout is released by stop().
    const res2 = await request(`http://${p.host}${BLOB_PATH}`, { bodyTimeout: 0 });
    const pending = readBody(res2.body);
    await new Promise((r) => setTimeout(r, 100));
    await p.stop();
    const got2 = await Promise.race([
      pending,
      new Promise<never>((_r, reject) => setTimeout(() => reject(new Error("still stalled")), 5000)),
    ]);
    expect(got2.bytes.length).toBe(1000);
    expect(got2.error).toBeInstanceOf(Error);
  });

  it("redirects to the storage port, which serves without the client's Authorization", async () => {
    const p = await proxy({
      target: target(),
      fault: (r) => (r.path.includes("/blobs/") ? { kind: "redirect" } : undefined),
    });
    const auth = `Basic ${Buffer.from("someone:pw").toString("base64")}`;
    const res = await request(`http://${p.host}${BLOB_PATH}?x=1`, { headers: { authorization: auth } });
    await res.body.dump();
    expect(res.statusCode).toBe(307);
    const location = String(res.headers.location);
    expect(location).toBe(`http://${p.storageHost}${BLOB_PATH}?x=1`);
    const stored = await request(location);
    const got = await readBody(stored.body);
    expect(stored.statusCode).toBe(200);
    expect(sha256(got.bytes)).toBe(DIGEST);
    expect(p.stats.byRequest.map((r) => [r.port, r.status, r.authorization, r.fault])).toEqual([
      ["main", 307, auth, "redirect"],
      ["storage", 200, undefined, undefined],
    ]);
  });

  it.skipIf(!HAVE_HTPASSWD)("serves a redirected blob of a registry that needs auth", async () => {
    const user = { username: "u1", password: "pw-1" };
    const auth = `Basic ${Buffer.from(`${user.username}:${user.password}`).toString("base64")}`;
    const locked = await startRegistry({ auth: user });
    try {
      await pushBlob(locked.host, REPO, BLOB, auth);
      const p = await proxy({ target: locked.host, fault: () => ({ kind: "redirect", status: 302 }) });
      const res = await request(`http://${p.host}${BLOB_PATH}`, { headers: { authorization: auth } });
      await res.body.dump();
      expect(res.statusCode).toBe(302);
      const stored = await request(String(res.headers.location));
      expect(stored.statusCode).toBe(200);
      expect(sha256((await readBody(stored.body)).bytes)).toBe(DIGEST);
      // Straight to storage without a redirect first: nothing to sign it with, and the client's own
      // credentials are not passed on.
      const unsigned = await request(`http://${p.storageHost}/v2/${REPO}/tags/list`, {
        headers: { authorization: auth },
      });
      await unsigned.body.dump();
      expect(unsigned.statusCode).toBe(401);
    } finally {
      await locked.stop();
    }
  });

  it("adds latency once per request", async () => {
    const p = await proxy({ target: target(), latencyMs: 200 });
    const t0 = performance.now();
    const res = await request(`http://${p.host}/v2/`);
    await res.body.dump();
    expect(res.statusCode).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(190);
  });

  it("limits bandwidth: 512 KiB at 1 MB/s takes about 0.5 s", async () => {
    const p = await proxy({ target: target(), bandwidth: 1_000_000 });
    const t0 = performance.now();
    const res = await request(`http://${p.host}${BLOB_PATH}`);
    const got = await readBody(res.body);
    const seconds = (performance.now() - t0) / 1000;
    expect(sha256(got.bytes)).toBe(DIGEST);
    expect(seconds).toBeGreaterThanOrEqual(0.4);
  });

  it("shares the bandwidth between concurrent responses", async () => {
    const p = await proxy({ target: target(), bandwidth: 2_000_000 });
    const t0 = performance.now();
    // 4 × 512 KiB over one 2 MB/s link: about 1 s, each finishing near the end.
    const times = await Promise.all(
      [0, 1, 2, 3].map(async () => {
        const res = await request(`http://${p.host}${BLOB_PATH}`);
        const got = await readBody(res.body);
        expect(sha256(got.bytes)).toBe(DIGEST);
        return (performance.now() - t0) / 1000;
      }),
    );
    for (const t of times) expect(t).toBeGreaterThanOrEqual(0.8);
    expect(p.stats.bytesSent).toBe(4 * BLOB.length);
  });
});
