// Tests of the token-auth helpers (test/helpers/token-server.ts and startRegistry's tokenAuth):
// a real docker-registry challenges with Bearer naming our realm, accepts our ES256 and RS256
// tokens, and enforces the scopes they grant; the token server refuses wrong passwords.
import { createHash, X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFaultProxy } from "./helpers/fault-proxy.js";
import { REGISTRY_BIN, type RegistryServer, startRegistry } from "./helpers/registry-server.js";
import {
  HAVE_OPENSSL,
  libtrustKeyId,
  startTokenServer,
  TOKEN_ISSUER,
  TOKEN_SERVICE,
  type TokenServer,
} from "./helpers/token-server.js";

const sha256 = (b: Uint8Array) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
const USERS = { alice: "pw-alice", bob: "pw-bob" };
const REPO = "team/app";

/** Asks `server` for a token; resolves with the status and, on 200, the token and the whole answer. */
async function getToken(
  server: TokenServer,
  scopes: readonly string[],
  authorization?: string,
): Promise<{ status: number; token: string; json: Record<string, unknown> }> {
  const url = new URL(server.realm);
  url.searchParams.set("service", server.service);
  for (const s of scopes) url.searchParams.append("scope", s);
  const res = await request(url, { headers: authorization === undefined ? {} : { authorization } });
  const json = (await res.body.json()) as Record<string, unknown>;
  return { status: res.statusCode, token: typeof json.token === "string" ? json.token : "", json };
}

/** Decodes a JWT's header and claims (no verification: the registry does that). */
function decodeJwt(token: string): { header: Record<string, unknown>; claims: Record<string, unknown> } {
  const [h = "", c = ""] = token.split(".");
  return {
    header: JSON.parse(Buffer.from(h, "base64url").toString("utf8")),
    claims: JSON.parse(Buffer.from(c, "base64url").toString("utf8")),
  };
}

/** One raw request; resolves with status, headers and body text. */
async function call(
  url: string,
  options: { method?: "GET" | "POST" | "PUT" | "HEAD"; token?: string; body?: Buffer; type?: string } = {},
) {
  const headers: Record<string, string> = {};
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  if (options.type !== undefined) headers["content-type"] = options.type;
  const res = await request(url, { method: options.method ?? "GET", headers, body: options.body ?? null });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

/** Pushes a blob, a config and an OCI manifest tagged `tag` with a token allowed to push. */
async function pushImage(host: string, repo: string, token: string, tag: string): Promise<void> {
  const put = async (bytes: Buffer) => {
    const started = await call(`http://${host}/v2/${repo}/blobs/uploads/`, { method: "POST", token });
    expect(started.status).toBe(202);
    const url = new URL(String(started.headers.location), `http://${host}`);
    url.searchParams.set("digest", sha256(bytes));
    const done = await call(url.toString(), {
      method: "PUT",
      token,
      body: bytes,
      type: "application/octet-stream",
    });
    expect(done.status).toBe(201);
    return { digest: sha256(bytes), size: bytes.length };
  };
  const layer = await put(Buffer.from("layer bytes for the token test\n"));
  const config = await put(Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux" })));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
      layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", ...layer }],
    }),
  );
  const res = await call(`http://${host}/v2/${repo}/manifests/${tag}`, {
    method: "PUT",
    token,
    body: manifest,
    type: "application/vnd.oci.image.manifest.v1+json",
  });
  expect(res.status).toBe(201);
}

const REAL = REGISTRY_BIN !== undefined && HAVE_OPENSSL;
if (!REAL) {
  console.warn(
    "token auth tests skipped: needs docker-registry and openssl (apt-get install docker-registry openssl)",
  );
}

describe.skipIf(!REAL)("token auth against docker-registry (ES256, no anonymous pull)", () => {
  let tokens: TokenServer | undefined;
  let registry: RegistryServer | undefined;
  const t = () => tokens as TokenServer;
  const host = () => (registry as RegistryServer).host;
  beforeAll(async () => {
    tokens = await startTokenServer({ users: USERS });
    registry = await startRegistry({ tokenAuth: tokens });
    const push = await getToken(tokens, [`repository:${REPO}:pull,push`], basic("alice", USERS.alice));
    expect(push.status).toBe(200);
    await pushImage(registry.host, REPO, push.token, "v1");
  });
  afterAll(async () => {
    await registry?.stop();
    await tokens?.stop();
  });

  it("challenges an anonymous GET /v2/ with Bearer naming the realm and service", async () => {
    const res = await call(`http://${host()}/v2/`);
    expect(res.status).toBe(401);
    expect(res.headers["www-authenticate"]).toBe(`Bearer realm="${t().realm}",service="${TOKEN_SERVICE}"`);
    const tags = await call(`http://${host()}/v2/${REPO}/tags/list`);
    expect(tags.status).toBe(401);
    expect(String(tags.headers["www-authenticate"])).toContain(`scope="repository:${REPO}:pull"`);
  });

  it("issues a token the registry accepts for the user's scope", async () => {
    const got = await getToken(t(), [`repository:${REPO}:pull`], basic("bob", USERS.bob));
    expect(got.status).toBe(200);
    expect(got.json).toMatchObject({ access_token: got.token, expires_in: 300 });
    expect(typeof got.json.issued_at).toBe("string");
    const { header, claims } = decodeJwt(got.token);
    expect(header).toMatchObject({ typ: "JWT", alg: "ES256" });
    expect(String(header.kid)).toMatch(/^([A-Z2-7]{4}:){11}[A-Z2-7]{4}$/);
    expect(claims).toMatchObject({
      iss: TOKEN_ISSUER,
      sub: "bob",
      aud: TOKEN_SERVICE,
      access: [{ type: "repository", name: REPO, actions: ["pull"] }],
    });
    const tags = await call(`http://${host()}/v2/${REPO}/tags/list`, { token: got.token });
    expect(tags.status).toBe(200);
    expect(JSON.parse(tags.text)).toEqual({ name: REPO, tags: ["v1"] });
    const last = t().requests.at(-1);
    expect(last?.query.get("service")).toBe(TOKEN_SERVICE);
    expect(last?.query.getAll("scope")).toEqual([`repository:${REPO}:pull`]);
    expect(last).toMatchObject({ status: 200, account: "bob", authorization: basic("bob", USERS.bob) });
  });

  it("answers 401 at the token server for a wrong password or an unknown user", async () => {
    for (const auth of [basic("alice", "wrong"), basic("mallory", "pw-alice"), "Bearer nonsense"]) {
      const got = await getToken(t(), [`repository:${REPO}:pull`], auth);
      expect(got.status).toBe(401);
      expect(got.token).toBe("");
    }
    expect(
      t()
        .requests.slice(-3)
        .map((r) => [r.status, r.account]),
    ).toEqual([
      [401, undefined],
      [401, undefined],
      [401, undefined],
    ]);
  });

  it("a pull token cannot push", async () => {
    const got = await getToken(t(), [`repository:${REPO}:pull`], basic("alice", USERS.alice));
    const upload = await call(`http://${host()}/v2/${REPO}/blobs/uploads/`, {
      method: "POST",
      token: got.token,
    });
    expect([401, 403]).toContain(upload.status);
    expect(String(upload.headers["www-authenticate"])).toContain("insufficient_scope");
    // The same token still pulls.
    expect((await call(`http://${host()}/v2/${REPO}/tags/list`, { token: got.token })).status).toBe(200);
  });

  it("gives anonymous requests a token without access, which the registry refuses", async () => {
    const got = await getToken(t(), [`repository:${REPO}:pull`]);
    expect(got.status).toBe(200);
    expect(decodeJwt(got.token).claims.access).toEqual([]);
    expect((await call(`http://${host()}/v2/${REPO}/tags/list`, { token: got.token })).status).toBe(401);
  });

  it("refuses a token for another repository, and a token signed by another key", async () => {
    const other = await getToken(t(), ["repository:team/other:pull"], basic("alice", USERS.alice));
    expect((await call(`http://${host()}/v2/${REPO}/tags/list`, { token: other.token })).status).toBe(401);
    const stranger = await startTokenServer({ users: USERS });
    try {
      const forged = await getToken(stranger, [`repository:${REPO}:pull`], basic("alice", USERS.alice));
      expect(forged.status).toBe(200);
      expect((await call(`http://${host()}/v2/${REPO}/tags/list`, { token: forged.token })).status).toBe(401);
    } finally {
      await stranger.stop();
    }
  });

  it("passes the Bearer challenge through the fault proxy untouched", async () => {
    const proxy = await startFaultProxy({ target: host() });
    try {
      const direct = await call(`http://${host()}/v2/${REPO}/tags/list`);
      const proxied = await call(`http://${proxy.host}/v2/${REPO}/tags/list`);
      expect(proxied.status).toBe(401);
      expect(proxied.headers["www-authenticate"]).toBe(direct.headers["www-authenticate"]);
    } finally {
      await proxy.stop();
    }
  });
});

describe.skipIf(!REAL)("token auth against docker-registry (RS256, anonymous pull)", () => {
  let tokens: TokenServer | undefined;
  let registry: RegistryServer | undefined;
  beforeAll(async () => {
    tokens = await startTokenServer({
      users: USERS,
      anonymousPull: true,
      algorithm: "RS256",
      ttlSeconds: 60,
    });
    registry = await startRegistry({ tokenAuth: tokens });
  });
  afterAll(async () => {
    await registry?.stop();
    await tokens?.stop();
  });

  it("lets anonymous requests pull but not push", async () => {
    const t = tokens as TokenServer;
    const host = (registry as RegistryServer).host;
    const push = await getToken(t, [`repository:${REPO}:pull,push`], basic("alice", USERS.alice));
    expect(decodeJwt(push.token).header.alg).toBe("RS256");
    expect(push.json.expires_in).toBe(60);
    await pushImage(host, REPO, push.token, "latest");
    const anon = await getToken(t, [`repository:${REPO}:pull,push`]);
    expect(decodeJwt(anon.token).claims).toMatchObject({
      sub: "",
      access: [{ type: "repository", name: REPO, actions: ["pull"] }],
    });
    const tags = await call(`http://${host}/v2/${REPO}/tags/list`, { token: anon.token });
    expect(tags.status).toBe(200);
    expect(JSON.parse(tags.text).tags).toEqual(["latest"]);
    const upload = await call(`http://${host}/v2/${REPO}/blobs/uploads/`, {
      method: "POST",
      token: anon.token,
    });
    expect([401, 403]).toContain(upload.status);
  });
});

describe("token server without a registry", () => {
  it.skipIf(!HAVE_OPENSSL)("refuses malformed scopes, other services, other paths and methods", async () => {
    const t = await startTokenServer({ users: USERS });
    try {
      expect((await getToken(t, ["repository"])).status).toBe(400);
      expect(
        (
          await getToken(
            t,
            Array.from({ length: 40 }, (_, i) => `repository:r${i}:pull`),
          )
        ).status,
      ).toBe(400);
      const url = new URL(t.realm);
      url.searchParams.set("service", "elsewhere");
      expect((await call(url.toString())).status).toBe(400);
      expect((await call(`http://${t.host}/other`)).status).toBe(404);
      expect((await call(t.realm, { method: "POST" })).status).toBe(405);
      // Several scopes in one parameter, space-separated; unknown actions are dropped.
      const many = await getToken(t, ["repository:a/b:pull repository:c:push,fly"], basic("bob", USERS.bob));
      expect(decodeJwt(many.token).claims.access).toEqual([
        { type: "repository", name: "a/b", actions: ["pull"] },
        { type: "repository", name: "c", actions: ["push"] },
      ]);
    } finally {
      await t.stop();
    }
  });
});

describe("libtrustKeyId", () => {
  it.skipIf(!HAVE_OPENSSL)(
    "names a key as 12 groups of 4 base32 characters, the same each time",
    async () => {
      const t = await startTokenServer({ users: {} });
      try {
        const key = new X509Certificate(await readFile(t.certPath)).publicKey;
        const id = libtrustKeyId(key);
        expect(id).toMatch(/^([A-Z2-7]{4}:){11}[A-Z2-7]{4}$/);
        expect(libtrustKeyId(key)).toBe(id);
        const got = await getToken(t, []);
        expect(decodeJwt(got.token).header.kid).toBe(id);
      } finally {
        await t.stop();
      }
    },
  );
});
