// Tests of the pull side of RegistryClient: getManifest (digest checks, media type, size limit,
// errors) and getBlob (verified streams: wrong bytes, too many, too few, redirects to storage
// without credentials, early destroy) against scripted servers on 127.0.0.1; then against a real
// docker-registry holding an image skopeo pushed, with and without Basic auth.
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { RegistryClient } from "../src/client.js";
import { RegistryError, RegistryErrorCode } from "../src/errors.js";
import {
  HAVE_HTPASSWD,
  REGISTRY_BIN,
  type RegistryServer,
  startRegistry,
} from "./helpers/registry-server.js";

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map((s) => {
      s.closeAllConnections();
      return new Promise((r) => s.close(r));
    }),
  );
});

interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
  accept: string | undefined;
}

async function serve(handler: Handler): Promise<{ host: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    seen.push({
      method: req.method ?? "",
      url: req.url ?? "",
      authorization: req.headers.authorization,
      accept: req.headers.accept,
    });
    handler(req, res);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { host: `127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const sha256 = (b: Uint8Array) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
const MANIFEST = Buffer.from(
  JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json", layers: [] }),
);
const BLOB = Buffer.alloc(200_000, 0x61);
const BLOB_DIGEST = sha256(BLOB);
const BASIC = `Basic ${Buffer.from("user:secret").toString("base64")}`;

/** Reads a stream to the end; resolves with its bytes or rejects with its error. */
async function drain(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

describe("getManifest", () => {
  it("returns bytes, Content-Type and digest, and asks for OCI and Docker types", async () => {
    const front = await serve((req, res) => {
      if (req.url === "/v2/") res.writeHead(200).end();
      else res.writeHead(200, { "content-type": "application/vnd.oci.image.manifest.v1+json" }).end(MANIFEST);
    });
    const got = await new RegistryClient(front.host, { insecure: true }).getManifest("a/b", "v1");
    expect(Buffer.from(got.bytes).equals(MANIFEST)).toBe(true);
    expect(got.digest).toBe(sha256(MANIFEST));
    expect(got.mediaType).toBe("application/vnd.oci.image.manifest.v1+json");
    const accept = front.seen.find((s) => s.url === "/v2/a/b/manifests/v1")?.accept ?? "";
    for (const t of [
      "application/vnd.oci.image.index.v1+json",
      "application/vnd.oci.image.manifest.v1+json",
      "application/vnd.docker.distribution.manifest.list.v2+json",
      "application/vnd.docker.distribution.manifest.v2+json",
    ]) {
      expect(accept).toContain(t);
    }
  });

  it("falls back to the document's mediaType when the Content-Type is generic", async () => {
    const front = await serve((req, res) => {
      if (req.url === "/v2/") res.writeHead(200).end();
      else res.writeHead(200, { "content-type": "application/json; charset=utf-8" }).end(MANIFEST);
    });
    const got = await new RegistryClient(front.host, { insecure: true }).getManifest("a/b", "v1");
    expect(got.mediaType).toBe("application/vnd.oci.image.manifest.v1+json");
  });

  it("checks the bytes against the digest asked for, and against Docker-Content-Digest", async () => {
    const other = sha256(Buffer.from("something else"));
    const front = await serve((req, res) => {
      if (req.url === "/v2/") res.writeHead(200).end();
      else res.writeHead(200, { "docker-content-digest": other }).end(MANIFEST);
    });
    const client = new RegistryClient(front.host, { insecure: true });
    await expect(client.getManifest("a/b", other)).rejects.toMatchObject({
      code: RegistryErrorCode.PROTOCOL,
    });
    await expect(client.getManifest("a/b", "v1")).rejects.toMatchObject({ code: RegistryErrorCode.PROTOCOL });
    await expect(client.getManifest("a/b", "sha256:abc")).rejects.toMatchObject({
      code: RegistryErrorCode.INVALID_REFERENCE,
    });
  });

  it("refuses a manifest over maxSize, announced or streamed", async () => {
    const big = Buffer.alloc(5000, 0x20);
    const front = await serve((req, res) => {
      if (req.url === "/v2/") res.writeHead(200).end();
      else if (req.url?.endsWith("/announced"))
        res.writeHead(200, { "content-length": String(big.length) }).end(big);
      else {
        // Chunked: no Content-Length, so only counting can stop it.
        res.writeHead(200);
        res.write(big.subarray(0, 2500));
        res.end(big.subarray(2500));
      }
    });
    const client = new RegistryClient(front.host, { insecure: true });
    for (const ref of ["announced", "chunked"]) {
      await expect(client.getManifest("a/b", ref, { maxSize: 4096 })).rejects.toMatchObject({
        code: RegistryErrorCode.PROTOCOL,
      });
    }
    expect((await client.getManifest("a/b", "chunked", { maxSize: 5000 })).bytes.length).toBe(5000);
  });

  it("reports 404 with the registry's error code", async () => {
    const front = await serve((req, res) => {
      if (req.url === "/v2/") res.writeHead(200).end();
      else
        res
          .writeHead(404)
          .end(JSON.stringify({ errors: [{ code: "MANIFEST_UNKNOWN", message: "unknown" }] }));
    });
    const err = await new RegistryClient(front.host, { insecure: true })
      .getManifest("a/b", "x")
      .catch((e) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect(err).toMatchObject({
      code: RegistryErrorCode.HTTP_STATUS,
      status: 404,
      registryCode: "MANIFEST_UNKNOWN",
    });
  });
});

describe("getBlob", () => {
  /** A registry wanting Basic auth whose blob endpoint sends `body` (chunked unless `length`). */
  async function blobServer(body: Buffer, headers: Record<string, string> = {}) {
    return serve((req, res) => {
      if (req.headers.authorization !== BASIC) res.writeHead(401, { "www-authenticate": "Basic" }).end();
      else if (req.url === "/v2/") res.writeHead(200).end();
      else {
        res.writeHead(200, headers);
        res.write(body.subarray(0, 1000));
        res.end(body.subarray(1000));
      }
    });
  }
  const client = (host: string) =>
    new RegistryClient(host, { insecure: true, username: "user", password: "secret" });

  it("streams the blob when its bytes are right", async () => {
    const front = await blobServer(BLOB);
    const got = await drain(await client(front.host).getBlob("a/b", BLOB_DIGEST, { size: BLOB.length }));
    expect(got.equals(BLOB)).toBe(true);
    expect(front.seen.at(-1)).toMatchObject({ url: `/v2/a/b/blobs/${BLOB_DIGEST}`, authorization: BASIC });
  });

  it("errors the stream when the bytes do not hash to the digest", async () => {
    const wrong = Buffer.from(BLOB);
    wrong[150_000] = 0x62;
    const front = await blobServer(wrong);
    const stream = await client(front.host).getBlob("a/b", BLOB_DIGEST, { size: BLOB.length });
    const err = await drain(stream).catch((e) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect(err.code).toBe(RegistryErrorCode.PROTOCOL);
    expect(err.message).toContain("hash");
  });

  it("errors the stream on too many or too few bytes, and on a Content-Length that disagrees", async () => {
    const more = await blobServer(Buffer.concat([BLOB, Buffer.from("x")]));
    const err1 = await drain(
      await client(more.host).getBlob("a/b", BLOB_DIGEST, { size: BLOB.length }),
    ).catch((e) => e);
    expect(err1).toMatchObject({ code: RegistryErrorCode.PROTOCOL });
    expect(err1.message).toContain(`more than the expected ${BLOB.length} bytes`);
    const fewer = await blobServer(BLOB.subarray(0, 199_999));
    const err2 = await drain(
      await client(fewer.host).getBlob("a/b", BLOB_DIGEST, { size: BLOB.length }),
    ).catch((e) => e);
    expect(err2).toMatchObject({ code: RegistryErrorCode.PROTOCOL });
    expect(err2.message).toContain(`199999 bytes instead of ${BLOB.length}`);
    // Without `size`, the Content-Length is what is expected.
    const announced = await blobServer(BLOB, { "content-length": String(BLOB.length) });
    expect((await drain(await client(announced.host).getBlob("a/b", BLOB_DIGEST))).length).toBe(BLOB.length);
    await expect(client(announced.host).getBlob("a/b", BLOB_DIGEST, { size: 5 })).rejects.toMatchObject({
      code: RegistryErrorCode.PROTOCOL,
    });
  });

  it("follows a redirect to storage without sending credentials there", async () => {
    const storage = await serve((_req, res) => res.writeHead(200).end(BLOB));
    const front = await serve((req, res) => {
      if (req.headers.authorization !== BASIC) res.writeHead(401, { "www-authenticate": "Basic" }).end();
      else if (req.url === "/v2/") res.writeHead(200).end();
      else res.writeHead(307, { location: `http://${storage.host}/s3/blob?sig=1` }).end();
    });
    const got = await drain(await client(front.host).getBlob("a/b", BLOB_DIGEST, { size: BLOB.length }));
    expect(got.equals(BLOB)).toBe(true);
    expect(storage.seen.map((s) => [s.url, s.authorization])).toEqual([["/s3/blob?sig=1", undefined]]);
  });

  it("turns a connection cut mid-body into a NETWORK error on the stream", async () => {
    const front = await serve((req, res) => {
      if (req.url === "/v2/") res.writeHead(200).end();
      else {
        res.writeHead(200, { "content-length": String(BLOB.length) });
        res.write(BLOB.subarray(0, 1000), () => res.socket?.destroy());
      }
    });
    const stream = await new RegistryClient(front.host, { insecure: true }).getBlob("a/b", BLOB_DIGEST);
    const err = await drain(stream).catch((e) => e);
    expect(err).toMatchObject({ code: RegistryErrorCode.NETWORK });
  });

  it("ends the download when the consumer destroys the stream", async () => {
    let closed: () => void = () => {};
    const closedOnServer = new Promise<void>((r) => {
      closed = r;
    });
    const front = await serve((req, res) => {
      if (req.url === "/v2/") res.writeHead(200).end();
      else {
        res.writeHead(200);
        // An endless body: only the client going away stops it.
        const timer = setInterval(() => res.write(Buffer.alloc(64 * 1024)), 5);
        res.on("close", () => {
          clearInterval(timer);
          closed();
        });
      }
    });
    const stream = await new RegistryClient(front.host, { insecure: true }).getBlob("a/b", BLOB_DIGEST);
    for await (const _ of stream) break;
    await Promise.race([
      closedOnServer,
      new Promise((_r, reject) => setTimeout(() => reject(new Error("server connection still open")), 5000)),
    ]);
  });

  it("refuses a malformed digest before sending anything", async () => {
    const front = await serve((_req, res) => res.writeHead(200).end());
    await expect(
      new RegistryClient(front.host, { insecure: true }).getBlob("a/b", "sha256:../../etc"),
    ).rejects.toMatchObject({ code: RegistryErrorCode.INVALID_REFERENCE });
    expect(front.seen).toEqual([]);
  });
});

// ---- against docker-registry, with an image skopeo pushed ---------------------------------------

const HAVE_SKOPEO = spawnSync("skopeo", ["--version"], { stdio: "ignore" }).status === 0;
const HAVE_TAR = spawnSync("tar", ["--version"], { stdio: "ignore" }).status === 0;
const REAL = REGISTRY_BIN !== undefined && HAVE_SKOPEO && HAVE_TAR;
if (!REAL) {
  console.warn(
    "pull tests against docker-registry skipped: needs docker-registry, skopeo and GNU tar " +
      "(apt-get install docker-registry skopeo)",
  );
}

function run(cmd: string, args: readonly string[]): string {
  return execFileSync(cmd, args, { encoding: "utf8", timeout: 60_000, stdio: ["ignore", "pipe", "pipe"] });
}

/** A one-layer OCI layout made by hand (tar.gz by GNU tar), tagged `v1`. */
function makeLayout(dir: string): void {
  const blobs = join(dir, "blobs/sha256");
  mkdirSync(blobs, { recursive: true });
  const src = join(dir, "..", "layer-src");
  mkdirSync(join(src, "etc"), { recursive: true });
  writeFileSync(join(src, "etc/hello"), "hello from the registry\n");
  const tgz = join(dir, "..", "layer.tar.gz");
  run("tar", ["-C", src, "-czf", tgz, "."]);
  const put = (bytes: Buffer) => {
    const d = sha256(bytes);
    writeFileSync(join(blobs, d.slice(7)), bytes);
    return { digest: d, size: bytes.length };
  };
  const layer = put(readFileSync(tgz));
  const config = put(
    Buffer.from(
      JSON.stringify({
        architecture: "amd64",
        os: "linux",
        rootfs: { type: "layers", diff_ids: [sha256(execFileSync("gzip", ["-dc", tgz]))] },
      }),
    ),
  );
  const manifest = put(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
        layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", ...layer }],
      }),
    ),
  );
  writeFileSync(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  writeFileSync(
    join(dir, "index.json"),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: "application/vnd.oci.image.manifest.v1+json",
          ...manifest,
          annotations: { "org.opencontainers.image.ref.name": "v1" },
        },
      ],
    }),
  );
}

describe.skipIf(!REAL)("pull from docker-registry", () => {
  let work = "";
  let layout = "";
  let open: RegistryServer | undefined;
  let locked: RegistryServer | undefined;
  const AUTH = { username: "puller", password: "pw-123" };
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "rafscan-pull-"));
    layout = join(work, "layout");
    makeLayout(layout);
    open = await startRegistry();
    if (HAVE_HTPASSWD) locked = await startRegistry({ auth: AUTH });
  });
  afterAll(async () => {
    await open?.stop();
    await locked?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  /** Pushes the layout with skopeo in `format` and returns the manifest digest skopeo reports. */
  function push(host: string, repo: string, format: "oci" | "v2s2", creds?: string): string {
    const digestFile = join(work, `digest-${repo.replaceAll("/", "_")}`);
    run("skopeo", [
      "copy",
      "--quiet",
      "--dest-tls-verify=false",
      "--format",
      format,
      "--digestfile",
      digestFile,
      ...(creds === undefined ? [] : ["--dest-creds", creds]),
      `oci:${layout}:v1`,
      `docker://${host}/${repo}:v1`,
    ]);
    return readFileSync(digestFile, "utf8").trim();
  }

  for (const format of ["oci", "v2s2"] as const) {
    it(`reads a ${format} manifest and its blobs as skopeo pushed them`, async () => {
      const host = (open as RegistryServer).host;
      const repo = `pull/${format}`;
      const digest = push(host, repo, format);
      const client = new RegistryClient(host, { insecure: true });
      const byTag = await client.getManifest(repo, "v1");
      expect(byTag.digest).toBe(digest);
      expect(byTag.mediaType).toBe(
        format === "oci"
          ? "application/vnd.oci.image.manifest.v1+json"
          : "application/vnd.docker.distribution.manifest.v2+json",
      );
      const byDigest = await client.getManifest(repo, digest);
      expect(Buffer.from(byDigest.bytes).equals(Buffer.from(byTag.bytes))).toBe(true);
      const manifest = JSON.parse(Buffer.from(byTag.bytes).toString("utf8")) as {
        config: { digest: string; size: number };
        layers: { digest: string; size: number }[];
      };
      for (const d of [manifest.config, ...manifest.layers]) {
        const bytes = await drain(await client.getBlob(repo, d.digest, { size: d.size }));
        expect(sha256(bytes)).toBe(d.digest);
        expect(bytes.length).toBe(d.size);
      }
      const missing = sha256(Buffer.from("not there"));
      await expect(client.getBlob(repo, missing)).rejects.toMatchObject({ status: 404 });
      await expect(client.getManifest(repo, "nope")).rejects.toMatchObject({ status: 404 });
    });
  }

  it.skipIf(!HAVE_HTPASSWD)("pulls with Basic auth, and refuses without it", async () => {
    const host = (locked as RegistryServer).host;
    const digest = push(host, "private/img", "oci", `${AUTH.username}:${AUTH.password}`);
    const client = new RegistryClient(host, { insecure: true, ...AUTH });
    const got = await client.getManifest("private/img", "v1");
    expect(got.digest).toBe(digest);
    await expect(
      new RegistryClient(host, { insecure: true }).getManifest("private/img", "v1"),
    ).rejects.toMatchObject({
      code: RegistryErrorCode.UNAUTHORIZED,
    });
  });
});
