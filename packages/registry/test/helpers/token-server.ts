// A Docker token-auth server for registry tests (the flow of distribution's docs/spec/auth/token.md):
// GET /token?service=&scope=repository:NAME:pull,push with optional Basic credentials answers a JWT
// signed with a key whose self-signed certificate the registry trusts (`auth.token.rootcertbundle`).
import { spawnSync } from "node:child_process";
import {
  createHash,
  createPrivateKey,
  type KeyObject,
  randomBytes,
  sign,
  X509Certificate,
} from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** True when the `openssl` CLI can make the signing key and certificate. */
export const HAVE_OPENSSL = spawnSync("openssl", ["version"], { stdio: "ignore" }).status === 0;

/** The `service` every token server names, and the registry must be configured with. */
export const TOKEN_SERVICE = "rafscan-test-registry";
/** The `iss` claim of every token, and the registry's `auth.token.issuer`. */
export const TOKEN_ISSUER = "rafscan-test-token-issuer";

/** Options of {@link startTokenServer}. */
export interface TokenServerOptions {
  /** Known users and their passwords; each gets every action it asks for. */
  readonly users: Readonly<Record<string, string>>;
  /** Give requests without credentials `pull` (and nothing else). Default `false`: no access at all. */
  readonly anonymousPull?: boolean;
  /** Signature algorithm of the tokens. Default `"ES256"` (P-256); `"RS256"` uses RSA 2048. */
  readonly algorithm?: "ES256" | "RS256";
  /** Lifetime of a token in seconds (`expires_in`). Default 300. */
  readonly ttlSeconds?: number;
}

/** One grant in a token's `access` claim. */
export interface TokenAccess {
  readonly type: string;
  readonly name: string;
  readonly actions: readonly string[];
}

/** One request the token server answered. */
export interface TokenRequest {
  readonly method: string;
  /** The query (`service`, `scope` — possibly repeated —, `account`, …). */
  readonly query: URLSearchParams;
  /** The Authorization header as received. */
  readonly authorization: string | undefined;
  /** Status answered: 200, 400 (bad query), 401 (bad credentials), 404 or 405. */
  readonly status: number;
  /** The authenticated user, or `undefined` for anonymous (or refused) requests. */
  readonly account: string | undefined;
  /** What the token granted (empty when none was issued). */
  readonly granted: readonly TokenAccess[];
}

/** A running token server. Its fields fit `startRegistry({ tokenAuth })` as they are. */
export interface TokenServer {
  /** `http://127.0.0.1:PORT/token`, the realm of the registry's Bearer challenge. */
  readonly realm: string;
  /** Always {@link TOKEN_SERVICE}. */
  readonly service: string;
  /** Always {@link TOKEN_ISSUER}. */
  readonly issuer: string;
  /** PEM certificate of the signing key, for `auth.token.rootcertbundle`. */
  readonly certPath: string;
  /** `127.0.0.1:PORT`. */
  readonly host: string;
  /** Every request so far, in order. */
  readonly requests: readonly TokenRequest[];
  /** Closes the server and its connections and deletes the key and certificate. */
  stop(): Promise<void>;
}

// Bounds on the query, so a broken client cannot make the server do much work.
const MAX_SCOPES = 32;
const MAX_SCOPE_LENGTH = 512;
const KNOWN_ACTIONS = new Set(["pull", "push", "delete", "*"]);

/** Makes a key and a self-signed certificate with openssl, then listens on 127.0.0.1. */
export async function startTokenServer(options: TokenServerOptions): Promise<TokenServer> {
  if (!HAVE_OPENSSL) throw new Error("openssl is not installed");
  const algorithm = options.algorithm ?? "ES256";
  const ttl = options.ttlSeconds ?? 300;
  const dir = await mkdtemp(join(tmpdir(), "rafscan-token-"));
  const keyPath = join(dir, "key.pem");
  const certPath = join(dir, "cert.pem");
  const made = spawnSync(
    "openssl",
    [
      "req",
      "-x509",
      "-nodes",
      "-newkey",
      ...(algorithm === "ES256" ? ["ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"] : ["rsa:2048"]),
      "-keyout",
      keyPath,
      "-out",
      certPath,
      "-days",
      "2",
      "-subj",
      "/CN=rafscan test token issuer",
    ],
    { encoding: "utf8", timeout: 30_000 },
  );
  if (made.status !== 0) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`openssl failed: ${made.stderr}`);
  }
  const key = createPrivateKey(await readFile(keyPath));
  const cert = new X509Certificate(await readFile(certPath));
  const header = { typ: "JWT", alg: algorithm, kid: libtrustKeyId(cert.publicKey) };
  const requests: TokenRequest[] = [];

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const answer = (status: number, body: unknown, account?: string, granted: TokenAccess[] = []) => {
      requests.push({
        method: req.method ?? "",
        query: url.searchParams,
        authorization: req.headers.authorization,
        status,
        account,
        granted,
      });
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (status === 401) headers["www-authenticate"] = 'Basic realm="rafscan-test-token"';
      if (status === 405) headers.allow = "GET";
      res.writeHead(status, headers).end(JSON.stringify(body));
    };
    const error = (code: string, message: string) => ({ errors: [{ code, message }] });
    req.resume();
    if (url.pathname !== "/token") return answer(404, error("NOT_FOUND", "no such endpoint"));
    if (req.method !== "GET") return answer(405, error("UNSUPPORTED", "only GET is served"));
    const service = url.searchParams.get("service");
    if (service !== null && service !== TOKEN_SERVICE) {
      return answer(400, error("INVALID_REQUEST", `unknown service ${service}`));
    }
    const who = authenticate(req, options.users);
    if (who === false) return answer(401, error("UNAUTHORIZED", "wrong username or password"));
    const scopes = parseScopes(url.searchParams.getAll("scope"));
    if (scopes === undefined) return answer(400, error("INVALID_REQUEST", "malformed scope"));
    const granted = grant(scopes, who, options.anonymousPull === true);
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: TOKEN_ISSUER,
      sub: who ?? "",
      aud: TOKEN_SERVICE,
      exp: now + ttl,
      nbf: now - 1,
      iat: now,
      jti: randomBytes(12).toString("hex"),
      access: granted,
    };
    const token = signJwt(header, claims, key, algorithm);
    return answer(
      200,
      { token, access_token: token, expires_in: ttl, issued_at: new Date(now * 1000).toISOString() },
      who,
      granted,
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    realm: `http://${host}/token`,
    service: TOKEN_SERVICE,
    issuer: TOKEN_ISSUER,
    certPath,
    host,
    requests,
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The key id docker/libtrust gives a public key, which distribution looks up a JWT's `kid` by:
 * SHA-256 of the DER SubjectPublicKeyInfo, first 240 bits, base32 without padding, in groups of 4
 * joined by `:`.
 */
export function libtrustKeyId(publicKey: KeyObject): string {
  const der = publicKey.export({ type: "spki", format: "der" });
  const digest = createHash("sha256").update(der).digest().subarray(0, 30);
  const b32 = base32(digest);
  return (b32.match(/.{1,4}/g) ?? []).join(":");
}

function base32(bytes: Uint8Array): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let out = "";
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

/** The user, `undefined` for no credentials, or `false` for wrong or unusable credentials. */
function authenticate(
  req: IncomingMessage,
  users: Readonly<Record<string, string>>,
): string | false | undefined {
  const header = req.headers.authorization;
  if (header === undefined) return undefined;
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (m === null) return false;
  const decoded = Buffer.from(m[1] ?? "", "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return false;
  const user = decoded.slice(0, colon);
  return Object.hasOwn(users, user) && users[user] === decoded.slice(colon + 1) ? user : false;
}

/** `type:name:actions` scopes (several per parameter, space-separated); undefined when malformed. */
function parseScopes(params: readonly string[]): TokenAccess[] | undefined {
  const scopes = params.flatMap((p) => p.split(" ").filter((s) => s !== ""));
  if (scopes.length > MAX_SCOPES) return undefined;
  const out: TokenAccess[] = [];
  for (const scope of scopes) {
    if (scope.length > MAX_SCOPE_LENGTH) return undefined;
    // The name may hold a colon (a registry host with a port), so split at the first and last.
    const first = scope.indexOf(":");
    const last = scope.lastIndexOf(":");
    if (first <= 0 || last <= first + 1) return undefined;
    out.push({
      type: scope.slice(0, first),
      name: scope.slice(first + 1, last),
      actions: scope.slice(last + 1).split(","),
    });
  }
  return out;
}

/** Known users get what they ask for; anonymous requests get `pull` only if allowed. */
function grant(
  scopes: readonly TokenAccess[],
  user: string | undefined,
  anonymousPull: boolean,
): TokenAccess[] {
  const out: TokenAccess[] = [];
  for (const s of scopes) {
    const asked = [...new Set(s.actions.filter((a) => KNOWN_ACTIONS.has(a)))];
    const actions =
      user !== undefined
        ? asked
        : anonymousPull && s.type === "repository"
          ? asked.filter((a) => a === "pull")
          : [];
    if (actions.length > 0) out.push({ type: s.type, name: s.name, actions });
  }
  return out;
}

function base64url(bytes: Buffer | string): string {
  return Buffer.from(bytes).toString("base64url");
}

/** Compact JWS; ES256 signatures are raw r‖s (RFC 7518 §3.4), which is what libtrust checks. */
function signJwt(header: object, claims: object, key: KeyObject, algorithm: "ES256" | "RS256"): string {
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  const signature =
    algorithm === "ES256"
      ? sign("sha256", Buffer.from(input), { key, dsaEncoding: "ieee-p1363" })
      : sign("sha256", Buffer.from(input), key);
  return `${input}.${base64url(signature)}`;
}
