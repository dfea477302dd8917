// The network side of registry commands against local servers on 127.0.0.1: a registry that
// accepts connections and never answers (regression: `scan` hung forever) ends with the request
// idle timeout and the command's --timeout; proxies from HTTPS_PROXY/HTTP_PROXY/NO_PROXY; --ca-cert
// and --insecure-skip-tls-verify against a self-signed registry; the hint when TLS meets plain HTTP.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTransport, openImage } from "@rafscan/registry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCliAsync } from "./support/remote-image.js";

const HAVE_OPENSSL = spawnSync("openssl", ["version"], { stdio: "ignore" }).status === 0;
if (!HAVE_OPENSSL) console.warn("[rafscan tests] TLS tests skipped: needs openssl");

const sockets = new Set<Socket>();
function track(server: Server | HttpServer): void {
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
}
async function listen(server: Server | HttpServer): Promise<number> {
  track(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as { port: number }).port;
}

/** Accepts every connection and never sends a byte. */
const silent = createServer(() => {});
/** A plain-HTTP "registry" answering 404 to everything. */
const plain = createHttpServer((_, res) => res.writeHead(404).end());
/** A forward proxy that records what it is asked and refuses it. */
const proxied: string[] = [];
const proxy = createHttpServer((req, res) => {
  proxied.push(`${req.method} ${req.url}`);
  res.writeHead(502).end();
});
proxy.on("connect", (req, socket: Socket) => {
  proxied.push(`CONNECT ${req.url}`);
  socket.end("HTTP/1.1 502 Bad Gateway\r\n\r\n");
});
let silentPort = 0;
let plainPort = 0;
let proxyPort = 0;

beforeAll(async () => {
  [silentPort, plainPort, proxyPort] = await Promise.all([listen(silent), listen(plain), listen(proxy)]);
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await Promise.all([silent, plain, proxy].map((s) => new Promise((r) => s.close(r))));
});

describe("a registry that accepts and never answers (regression: scan hung forever)", () => {
  it("openImage fails with REGISTRY_NETWORK once the request idle timeout passes", async () => {
    const dispatcher = createTransport({ idleTimeoutMs: 300 });
    try {
      const err = await openImage(`127.0.0.1:${silentPort}/app:v1`, {
        insecure: true,
        dockerConfig: false,
        dispatcher,
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((err as { code?: string })?.code).toBe("REGISTRY_NETWORK");
      expect(String((err as Error).message)).toMatch(/timed out|Timeout/i);
    } finally {
      await dispatcher.destroy();
    }
  });

  it("rafscan scan --timeout 2s exits 1 with TIMEOUT", async () => {
    const r = await runCliAsync(["scan", `127.0.0.1:${silentPort}/app:v1`, "--insecure", "--timeout", "2s"], {
      timeoutMs: 60_000,
    });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/TIMEOUT: rafscan did not finish within 2s/);
  });

  it("refuses a malformed --timeout as a usage error", async () => {
    const r = await runCliAsync(["scan", `127.0.0.1:${silentPort}/app:v1`, "--timeout", "soon"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--timeout must be a duration/);
  });
});

describe("TLS", () => {
  it("a TLS handshake answered by plain HTTP hints at --insecure", async () => {
    const r = await runCliAsync(["scan", `127.0.0.1:${plainPort}/app:v1`, "--timeout", "30s"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/plain HTTP: use --insecure/);
  });

  describe.skipIf(!HAVE_OPENSSL)("a registry with a self-signed certificate", () => {
    let dir: string;
    let port = 0;
    let server: HttpServer;
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), "rafscan-tls-"));
      const made = spawnSync(
        "openssl",
        ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"]
          .concat(["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"])
          .concat(["-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")]),
        { stdio: "ignore" },
      );
      expect(made.status).toBe(0);
      server = createHttpsServer(
        { key: readFileSync(join(dir, "key.pem")), cert: readFileSync(join(dir, "cert.pem")) },
        (req, res) => {
          // The registry API check answers; every manifest is unknown.
          if (req.url === "/v2/") res.writeHead(200).end("{}");
          else
            res
              .writeHead(404, { "content-type": "application/json" })
              .end('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"no"}]}');
        },
      );
      port = await listen(server);
    });
    afterAll(async () => {
      await new Promise((r) => server.close(r));
      rmSync(dir, { recursive: true, force: true });
    });

    it("is refused without --ca-cert, with a hint", async () => {
      const r = await runCliAsync(["scan", `127.0.0.1:${port}/app:v1`, "--timeout", "30s"]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/--ca-cert/);
    });

    it("is trusted with --ca-cert FILE (the registry's own answer comes through)", async () => {
      const r = await runCliAsync(["scan", `127.0.0.1:${port}/app:v1`, "--ca-cert", join(dir, "cert.pem")]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/MANIFEST_UNKNOWN|404/);
      expect(r.stderr).not.toMatch(/certificate/i);
    });

    it("is accepted with --insecure-skip-tls-verify", async () => {
      const r = await runCliAsync(["scan", `127.0.0.1:${port}/app:v1`, "--insecure-skip-tls-verify"]);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/MANIFEST_UNKNOWN|404/);
    });
  });
});

describe("proxies from the environment", () => {
  const env = (extra: Record<string, string>) => {
    const base = { ...process.env };
    for (const k of ["HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy"])
      delete base[k];
    return { ...base, ...extra };
  };

  it("HTTP_PROXY carries registry requests; NO_PROXY exempts the registry", async () => {
    proxied.length = 0;
    const through = await runCliAsync(
      ["scan", `127.0.0.1:${plainPort}/app:v1`, "--insecure", "--timeout", "30s"],
      {
        env: env({ HTTP_PROXY: `http://127.0.0.1:${proxyPort}` }),
      },
    );
    expect(through.status).toBe(1);
    expect(proxied.join("\n")).toContain(`127.0.0.1:${plainPort}`);

    proxied.length = 0;
    const direct = await runCliAsync(
      ["scan", `127.0.0.1:${plainPort}/app:v1`, "--insecure", "--timeout", "30s"],
      {
        env: env({ HTTP_PROXY: `http://127.0.0.1:${proxyPort}`, NO_PROXY: "127.0.0.1" }),
      },
    );
    expect(direct.status).toBe(1);
    expect(proxied).toEqual([]);
  });

  it("HTTPS_PROXY tunnels TLS registries with CONNECT", async () => {
    proxied.length = 0;
    const r = await runCliAsync(["scan", `127.0.0.1:${plainPort}/app:v1`, "--timeout", "30s"], {
      env: env({ HTTPS_PROXY: `http://127.0.0.1:${proxyPort}` }),
    });
    expect(r.status).toBe(1);
    expect(proxied).toContain(`CONNECT 127.0.0.1:${plainPort}`);
  });
});
