// Tests of the registry client against scripted HTTP servers on 127.0.0.1: Location handling
// (relative, absolute, another host), where credentials go, redirects, and the error codes.
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { RegistryClient } from "../src/client.js";
import { RegistryErrorCode } from "../src/errors.js";

interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
  body: Buffer;
}
type Handler = (req: IncomingMessage, res: ServerResponse, seen: Seen) => void;

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A server that records every request (with its body) and answers with `handler`. */
async function serve(handler: Handler): Promise<{ host: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const entry = {
        method: req.method ?? "",
        url: req.url ?? "",
        authorization: req.headers.authorization,
        body: Buffer.concat(chunks),
      };
      seen.push(entry);
      handler(req, res, entry);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { host: `127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const BASIC = `Basic ${Buffer.from("user:secret").toString("base64")}`;
const BLOB = Buffer.from("some blob bytes");
const DIGEST = `sha256:${createHash("sha256").update(BLOB).digest("hex")}`;

/** A registry front that wants Basic auth for everything and answers the v2 endpoints. */
function registryFront(uploadLocation: (host: string) => string, host: () => string): Handler {
  return (req, res, seen) => {
    if (seen.authorization !== BASIC) {
      res.writeHead(401, { "www-authenticate": 'Basic realm="t"' }).end();
    } else if (req.url === "/v2/") {
      res.writeHead(200).end("{}");
    } else if (req.method === "POST" && req.url === "/v2/a/b/blobs/uploads/") {
      res.writeHead(202, { location: uploadLocation(host()) }).end();
    } else if (req.method === "PUT" && req.url?.startsWith("/upload")) {
      res.writeHead(201, { "docker-content-digest": DIGEST }).end();
    } else {
      res.writeHead(404).end();
    }
  };
}

describe("RegistryClient", () => {
  it("follows a relative Location, keeping its query, with credentials", async () => {
    let host = "";
    const front = await serve(
      registryFront(
        () => "/upload/1?_state=a%3Db+c%2F%20d~",
        () => host,
      ),
    );
    host = front.host;
    const client = new RegistryClient(front.host, { insecure: true, username: "user", password: "secret" });
    await client.uploadBlob("a/b", DIGEST, BLOB.length, () => Readable.from([BLOB]));
    const put = front.seen.find((s) => s.method === "PUT");
    // The opaque state token arrives byte for byte, not re-encoded.
    expect(put?.url).toBe(`/upload/1?_state=a%3Db+c%2F%20d~&digest=${encodeURIComponent(DIGEST)}`);
    expect(put?.authorization).toBe(BASIC);
    expect(put?.body.equals(BLOB)).toBe(true);
  });

  it("follows an absolute Location to the same host with credentials", async () => {
    let host = "";
    const front = await serve(
      registryFront(
        (h) => `http://${h}/upload/2`,
        () => host,
      ),
    );
    host = front.host;
    const client = new RegistryClient(front.host, { insecure: true, username: "user", password: "secret" });
    await client.uploadBlob("a/b", DIGEST, BLOB.length, () => Readable.from([BLOB]));
    const put = front.seen.find((s) => s.method === "PUT");
    expect(put?.url).toBe(`/upload/2?digest=${encodeURIComponent(DIGEST)}`);
    expect(put?.authorization).toBe(BASIC);
  });

  it("never sends credentials to another host named by Location", async () => {
    const storage = await serve((_req, res) => res.writeHead(201).end());
    let host = "";
    const front = await serve(
      registryFront(
        () => `http://${storage.host}/upload/3?sig=x`,
        () => host,
      ),
    );
    host = front.host;
    const client = new RegistryClient(front.host, { insecure: true, username: "user", password: "secret" });
    await client.uploadBlob("a/b", DIGEST, BLOB.length, () => Readable.from([BLOB]));
    expect(front.seen.every((s) => s.url === "/v2/" || s.authorization === BASIC)).toBe(true);
    expect(storage.seen).toHaveLength(1);
    expect(storage.seen[0]?.authorization).toBeUndefined();
    expect(storage.seen[0]?.body.equals(BLOB)).toBe(true);
  });

  it("follows a 307 redirect of HEAD to another host without credentials", async () => {
    const storage = await serve((_req, res) => res.writeHead(200, { "content-length": "15" }).end());
    const front = await serve((req, res, seen) => {
      if (seen.authorization !== BASIC) res.writeHead(401, { "www-authenticate": "Basic" }).end();
      else if (req.url === "/v2/") res.writeHead(200).end();
      else res.writeHead(307, { location: `http://${storage.host}/blob?x=1` }).end();
    });
    const client = new RegistryClient(front.host, { insecure: true, username: "user", password: "secret" });
    expect(await client.hasBlob("a/b", DIGEST)).toBe(true);
    expect(storage.seen.map((s) => [s.method, s.url, s.authorization])).toEqual([
      ["HEAD", "/blob?x=1", undefined],
    ]);
  });

  it("re-sends the body after a 307 on PUT", async () => {
    const front = await serve((req, res) => {
      if (req.url === "/v2/") res.writeHead(200).end();
      else if (req.method === "POST") res.writeHead(202, { location: "/first" }).end();
      else if (req.url?.startsWith("/first")) res.writeHead(307, { location: "/second?digest=x" }).end();
      else res.writeHead(201).end();
    });
    const client = new RegistryClient(front.host, { insecure: true });
    await client.uploadBlob("a/b", DIGEST, BLOB.length, () => Readable.from([BLOB]));
    const second = front.seen.find((s) => s.url.startsWith("/second"));
    expect(second?.body.equals(BLOB)).toBe(true);
  });

  it("stops a redirect loop", async () => {
    const front = await serve((req, res) => {
      if (req.url === "/v2/") res.writeHead(200).end();
      else res.writeHead(302, { location: req.url ?? "/" }).end();
    });
    const client = new RegistryClient(front.host, { insecure: true, maxRedirects: 3 });
    await expect(client.hasBlob("a/b", DIGEST)).rejects.toMatchObject({ code: RegistryErrorCode.PROTOCOL });
    expect(front.seen.filter((s) => s.method === "HEAD")).toHaveLength(4);
  });

  it("refuses a Location with another scheme, and an upload without Location", async () => {
    for (const location of ["file:///etc/passwd", undefined]) {
      const front = await serve((req, res) => {
        if (req.url === "/v2/") res.writeHead(200).end();
        else res.writeHead(202, location === undefined ? {} : { location }).end();
      });
      const client = new RegistryClient(front.host, { insecure: true });
      await expect(
        client.uploadBlob("a/b", DIGEST, BLOB.length, () => Readable.from([BLOB])),
      ).rejects.toMatchObject({ code: RegistryErrorCode.PROTOCOL });
    }
  });

  it("tells missing, wrong and unsupported credentials apart", async () => {
    const basic = await serve((_req, res, seen) => {
      if (seen.authorization === BASIC) res.writeHead(200).end();
      else res.writeHead(401, { "www-authenticate": 'Basic realm="r"' }).end();
    });
    await expect(new RegistryClient(basic.host, { insecure: true }).ping()).rejects.toMatchObject({
      code: RegistryErrorCode.UNAUTHORIZED,
      status: 401,
    });
    await expect(
      new RegistryClient(basic.host, { insecure: true, username: "user", password: "wrong" }).ping(),
    ).rejects.toMatchObject({ code: RegistryErrorCode.UNAUTHORIZED });
    await new RegistryClient(basic.host, { insecure: true, username: "user", password: "secret" }).ping();
    const negotiate = await serve((_req, res) =>
      res.writeHead(401, { "www-authenticate": "Negotiate" }).end(),
    );
    await expect(new RegistryClient(negotiate.host, { insecure: true }).ping()).rejects.toMatchObject({
      code: RegistryErrorCode.UNSUPPORTED_AUTH,
    });
  });

  it("reports 403 with the registry's own error code, and checks the echoed manifest digest", async () => {
    const denied = await serve((req, res) => {
      if (req.url === "/v2/") res.writeHead(200).end();
      else
        res.writeHead(403).end(JSON.stringify({ errors: [{ code: "DENIED", message: "read-only repo" }] }));
    });
    const manifest = Buffer.from("{}");
    const client = new RegistryClient(denied.host, { insecure: true });
    const err = await client.putManifest("a/b", "t", "application/json", manifest).catch((e) => e);
    expect(err).toMatchObject({ code: RegistryErrorCode.DENIED, status: 403, registryCode: "DENIED" });
    expect(String(err.message)).toContain("read-only repo");

    const lying = await serve((req, res) => {
      if (req.url === "/v2/") res.writeHead(200).end();
      else res.writeHead(201, { "docker-content-digest": `sha256:${"0".repeat(64)}` }).end();
    });
    await expect(
      new RegistryClient(lying.host, { insecure: true }).putManifest(
        "a/b",
        "t",
        "application/json",
        manifest,
      ),
    ).rejects.toMatchObject({ code: RegistryErrorCode.PROTOCOL });
    await expect(
      new RegistryClient(lying.host, { insecure: true }).putManifest(
        "a/b",
        DIGEST,
        "application/json",
        manifest,
      ),
    ).rejects.toMatchObject({ code: RegistryErrorCode.INVALID_REFERENCE });
  });

  it("raises REGISTRY_NETWORK when nothing listens, and the abort reason when aborted", async () => {
    const gone = await serve((_req, res) => res.end());
    const host = gone.host;
    await new Promise((r) => servers.pop()?.close(r));
    await expect(new RegistryClient(host, { insecure: true }).ping()).rejects.toMatchObject({
      code: RegistryErrorCode.NETWORK,
    });
    const slow = await serve(() => {
      // never answers
    });
    const controller = new AbortController();
    const pending = new RegistryClient(slow.host, { insecure: true }).ping({ signal: controller.signal });
    setTimeout(() => controller.abort(new Error("stop now")), 50);
    await expect(pending).rejects.toThrow("stop now");
    servers.pop()?.closeAllConnections();
  });
});
