// A small client for the OCI distribution API (v2): version check and authentication (anonymous,
// HTTP Basic, or bearer tokens), blob existence, monolithic blob upload and manifest upload, manifest download and
// verified blob download streams, over undici.
import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import { Transform } from "node:stream";
import { type Dispatcher, request } from "undici";
import { parseChallenge } from "./auth-challenge.js";
import { BearerTokens, type TokenRealm } from "./bearer.js";
import type { Credentials } from "./credentials.js";
import { RegistryError, RegistryErrorCode } from "./errors.js";
import { defaultTransport, networkErrorHint } from "./transport.js";

/** Options of {@link RegistryClient}. */
export interface RegistryClientOptions {
  /** User name for HTTP Basic authentication. Default: none (anonymous). */
  readonly username?: string;
  /** Password or access token for HTTP Basic authentication. Default: none. */
  readonly password?: string;
  /**
   * Credentials, or a function that finds them when first needed (e.g. {@link dockerCredentials}).
   * Used for Basic authentication and at the token service. `username`/`password` win when given.
   */
  readonly credentials?: Credentials | (() => Promise<Credentials | undefined>);
  /** Speak plain HTTP instead of HTTPS (local and test registries). Default: `false`. */
  readonly insecure?: boolean;
  /**
   * Credentials go to the token realm a Bearer challenge names when it is HTTPS, or on the
   * registry's own host; a plain-HTTP realm on another host gets them only with this set, since
   * anyone on the path would read them. Default: `false`.
   */
  readonly allowCrossOriginRealm?: boolean;
  /**
   * The undici dispatcher to send requests through. Default: a shared `createTransport()` (connect
   * timeout 10 s, idle timeout 30 s, proxies from HTTPS_PROXY/HTTP_PROXY/NO_PROXY).
   */
  readonly dispatcher?: Dispatcher;
  /** Redirects followed for one request before giving up. Default: 5. */
  readonly maxRedirects?: number;
}

/** Options every request method takes. */
export interface CallOptions {
  /** Aborts the request; the promise then rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

/** A request body: a function, so that a redirected request can send it again from the start. */
export type BodyFactory = () => Readable;

/** The manifest media types {@link RegistryClient.getManifest} asks for unless told otherwise. */
export const MANIFEST_MEDIA_TYPES: readonly string[] = Object.freeze([
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.docker.distribution.manifest.v2+json",
]);

/**
 * Largest manifest {@link RegistryClient.getManifest} reads by default: distribution refuses to
 * store manifests over 4 MiB, so a bigger answer is not a manifest.
 */
export const MAX_MANIFEST_SIZE = 4 * 1024 * 1024;

/** Options of {@link RegistryClient.getManifest}. */
export interface GetManifestOptions extends CallOptions {
  /** Media types to accept, most preferred first. Default: {@link MANIFEST_MEDIA_TYPES}. */
  readonly accept?: readonly string[];
  /** Largest manifest read; a longer answer fails. Default: {@link MAX_MANIFEST_SIZE}. */
  readonly maxSize?: number;
}

/** A manifest as the registry served it. */
export interface FetchedManifest {
  /** The manifest bytes, exactly as served (their digest is the manifest's digest). */
  readonly bytes: Uint8Array;
  /**
   * The `Content-Type` without parameters; when that is missing or generic JSON, the document's
   * own `mediaType` field; else `""`.
   */
  readonly mediaType: string;
  /** `sha256:<hex>` of `bytes` (`sha512:` when the reference was a sha512 digest). */
  readonly digest: string;
}

/** Options of {@link RegistryClient.getBlob}. */
export interface GetBlobOptions extends CallOptions {
  /**
   * The blob's size, as its descriptor says. More or fewer bytes fail the stream. Default: the
   * `Content-Length` the registry sends, when it sends one.
   */
  readonly size?: number;
}

/** What {@link RegistryClient.getBlobRange} returns: the answer to a ranged GET, body unread. */
export interface RangeAnswer {
  /** 206, or 200 when the server ignored the Range header. */
  readonly status: 200 | 206 | number;
  /** The `Content-Range` header, when sent. */
  readonly contentRange: string | undefined;
  /** The `Content-Length` header, when sent. */
  readonly contentLength: string | undefined;
  /** The body, unread: the caller must consume or destroy it. */
  readonly body: Readable;
  /** The URL that answered (after redirects), without query. */
  readonly url: string;
}

interface SendInit {
  readonly method: "GET" | "HEAD" | "POST" | "PUT";
  readonly headers?: Record<string, string>;
  readonly body?: BodyFactory | Uint8Array;
  readonly signal: AbortSignal | undefined;
  /** The token scope the request needs (`repository:<name>:pull`); none for `/v2/`. */
  readonly scope?: string;
}

/** How the registry wants requests authenticated, as learned from `GET /v2/`. */
type Scheme =
  | { readonly kind: "none" }
  | { readonly kind: "basic" }
  | { readonly kind: "bearer"; readonly realm: TokenRealm };

interface Answer extends ErrorDetail {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  /** The URL that answered, after redirects. */
  readonly url: URL;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Error bodies are read only this far: they are for messages, not for data. */
const MAX_ERROR_BODY = 64 * 1024;

/** A connection to one registry endpoint (`host[:port]`). Holds the authentication state. */
export class RegistryClient {
  /** `https://host[:port]` (or `http://` when insecure): the only origin credentials go to. */
  readonly origin: string;
  readonly #options: RegistryClientOptions;
  readonly #credentials: () => Promise<Credentials | undefined>;
  readonly #tokens: BearerTokens;
  #scheme: Scheme = { kind: "none" };
  #ready: Promise<void> | undefined;

  constructor(endpoint: string, options: RegistryClientOptions = {}) {
    this.#options = options;
    let url: URL;
    try {
      url = new URL(`${options.insecure === true ? "http" : "https"}://${endpoint}`);
    } catch (cause) {
      throw new RegistryError(RegistryErrorCode.INVALID_REFERENCE, `bad registry endpoint "${endpoint}"`, {
        cause,
      });
    }
    if (url.pathname !== "/" || url.search !== "" || url.username !== "") {
      throw new RegistryError(RegistryErrorCode.INVALID_REFERENCE, `bad registry endpoint "${endpoint}"`);
    }
    this.origin = url.origin;
    let found: Promise<Credentials | undefined> | undefined;
    const given = options.credentials;
    this.#credentials =
      options.username !== undefined || options.password !== undefined
        ? async () => ({ username: options.username ?? "", password: options.password ?? "" })
        : typeof given === "function"
          ? () => {
              found ??= given();
              return found;
            }
          : async () => given;
    this.#tokens = new BearerTokens(this.#credentials, options.insecure === true, options.dispatcher, {
      registryOrigin: url.origin,
      allowCrossOriginRealm: options.allowCrossOriginRealm === true,
    });
  }

  /** The authentication the registry asked for (known after {@link ping}). */
  get authScheme(): "none" | "basic" | "bearer" {
    return this.#scheme.kind;
  }

  /**
   * The API version check (`GET /v2/`), which also settles authentication: anonymous when the
   * registry answers 200, HTTP Basic when it challenges with `Basic` and credentials were given,
   * bearer tokens when it challenges with `Bearer` (credentials, when given, are checked at the
   * token service at once). The other methods call it once on first use.
   * @throws RegistryError `REGISTRY_UNAUTHORIZED` (no or wrong credentials), `REGISTRY_UNSUPPORTED_AUTH`
   *   (a scheme other than Basic and Bearer), `REGISTRY_PROTOCOL` (no v2 API), `REGISTRY_NETWORK`
   */
  ping(options: CallOptions = {}): Promise<void> {
    this.#ready ??= this.#ping(options.signal);
    // A failed or aborted check is not cached: the next call tries again.
    this.#ready.catch(() => {
      this.#ready = undefined;
    });
    return this.#ready;
  }

  /** True when the repository has the blob (`HEAD /v2/<name>/blobs/<digest>` answers 200). */
  async hasBlob(repository: string, digest: string, options: CallOptions = {}): Promise<boolean> {
    await this.ping(options);
    const url = this.#url(`/v2/${repository}/blobs/${digest}`);
    const answer = await this.#send(url, { method: "HEAD", signal: options.signal, scope: pull(repository) });
    if (answer.status === 200) return true;
    if (answer.status === 404) return false;
    return failed(answer, "HEAD blob");
  }

  /**
   * Uploads a blob in one piece: `POST /v2/<name>/blobs/uploads/`, then `PUT` of the whole body to
   * the returned Location with `?digest=`. The registry checks the digest and the length.
   * @param body called once per attempt (again after a 307/308 redirect); yields exactly `size` bytes
   */
  async uploadBlob(
    repository: string,
    digest: string,
    size: number,
    body: BodyFactory,
    options: CallOptions = {},
  ): Promise<void> {
    await this.ping(options);
    const start = this.#url(`/v2/${repository}/blobs/uploads/`);
    const started = await this.#send(start, {
      method: "POST",
      scope: push(repository),
      headers: { "content-length": "0" },
      signal: options.signal,
    });
    if (started.status !== 202) failed(started, "start blob upload");
    const location = header(started, "location");
    if (location === undefined) {
      throw new RegistryError(RegistryErrorCode.PROTOCOL, "blob upload started without a Location header", {
        url: redact(started.url),
      });
    }
    // Location may be absolute or relative (registries behind proxies often send a path); it may
    // carry its own query (upload state), to which the digest is added. The query is extended as
    // text: going through searchParams would re-encode the registry's opaque state token.
    const target = this.#resolve(location, started.url);
    target.search = `${target.search === "" ? "?" : `${target.search}&`}digest=${encodeURIComponent(digest)}`;
    const done = await this.#send(target, {
      method: "PUT",
      scope: push(repository),
      headers: { "content-type": "application/octet-stream", "content-length": String(size) },
      body,
      signal: options.signal,
    });
    if (done.status !== 201) failed(done, "upload blob");
    const echoed = header(done, "docker-content-digest");
    if (echoed !== undefined && echoed !== digest) {
      throw new RegistryError(RegistryErrorCode.PROTOCOL, `registry stored blob ${digest} as ${echoed}`, {
        url: redact(done.url),
      });
    }
  }

  /**
   * Uploads a manifest under a tag or a digest (`PUT /v2/<name>/manifests/<reference>`) and
   * returns its digest. Under a digest, that digest must be the sha256 of `bytes`.
   */
  async putManifest(
    repository: string,
    reference: string,
    mediaType: string,
    bytes: Uint8Array,
    options: CallOptions = {},
  ): Promise<string> {
    const digest = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
    if (reference.includes(":") && reference !== digest) {
      throw new RegistryError(
        RegistryErrorCode.INVALID_REFERENCE,
        `manifest digest is ${digest}, not the ${reference} the reference names`,
      );
    }
    await this.ping(options);
    const url = this.#url(`/v2/${repository}/manifests/${reference}`);
    const answer = await this.#send(url, {
      method: "PUT",
      scope: push(repository),
      headers: { "content-type": mediaType, "content-length": String(bytes.length) },
      body: bytes,
      signal: options.signal,
    });
    if (answer.status !== 201) failed(answer, "upload manifest");
    const echoed = header(answer, "docker-content-digest");
    if (echoed !== undefined && echoed !== digest) {
      throw new RegistryError(RegistryErrorCode.PROTOCOL, `registry stored manifest ${digest} as ${echoed}`, {
        url: redact(answer.url),
      });
    }
    return digest;
  }

  /**
   * Fetches a manifest or index (`GET /v2/<name>/manifests/<reference>`) by tag or digest. Under a
   * digest, the bytes must hash to it; under a tag, they must hash to the `Docker-Content-Digest`
   * the registry names, when it names one.
   * @throws RegistryError `REGISTRY_HTTP_STATUS` (404 with `registryCode` `MANIFEST_UNKNOWN` when
   *   there is no such manifest), `REGISTRY_PROTOCOL` (digest mismatch, over `maxSize`), the codes
   *   of {@link ping}
   */
  async getManifest(
    repository: string,
    reference: string,
    options: GetManifestOptions = {},
  ): Promise<FetchedManifest> {
    const pinned = reference.includes(":") ? digestAlgorithm(reference) : undefined;
    const algorithm = pinned ?? "sha256";
    const maxSize = options.maxSize ?? MAX_MANIFEST_SIZE;
    await this.ping(options);
    const url = this.#url(`/v2/${repository}/manifests/${reference}`);
    const accept = (options.accept ?? MANIFEST_MEDIA_TYPES).join(", ");
    const { res, answer } = await this.#open(
      url,
      { accept },
      options.signal,
      "GET manifest",
      pull(repository),
    );
    const bytes = await readLimited(res, maxSize, answer, options.signal);
    const digest = `${algorithm}:${createHash(algorithm).update(bytes).digest("hex")}`;
    if (pinned !== undefined && digest !== reference) {
      throw new RegistryError(
        RegistryErrorCode.PROTOCOL,
        `manifest ${reference} arrived with digest ${digest}`,
        {
          url: redact(answer.url),
        },
      );
    }
    const echoed = header(answer, "docker-content-digest");
    if (echoed?.startsWith(`${algorithm}:`) === true && echoed !== digest) {
      throw new RegistryError(
        RegistryErrorCode.PROTOCOL,
        `registry says manifest ${reference} is ${echoed}, but its bytes are ${digest}`,
        { url: redact(answer.url) },
      );
    }
    return { bytes, mediaType: manifestMediaType(answer, bytes), digest };
  }

  /**
   * Streams a blob (`GET /v2/<name>/blobs/<digest>`, following redirects to storage without
   * credentials). The stream verifies as it goes: it errors with a `REGISTRY_PROTOCOL`
   * {@link RegistryError} as soon as more bytes than expected arrive, and at the end when the
   * length or the digest is wrong, so a consumer that reads to the end has read the right bytes.
   * Destroying the stream aborts the download.
   * @throws RegistryError `REGISTRY_INVALID_REFERENCE` (not a sha256/sha512 digest),
   *   `REGISTRY_HTTP_STATUS` (404 with `registryCode` `BLOB_UNKNOWN`), the codes of {@link ping}
   */
  async getBlob(repository: string, digest: string, options: GetBlobOptions = {}): Promise<Readable> {
    const algorithm = digestAlgorithm(digest);
    const size = options.size;
    if (size !== undefined && !(Number.isSafeInteger(size) && size >= 0)) {
      throw new RangeError(`blob size must be a non-negative integer, not ${size}`);
    }
    await this.ping(options);
    const url = this.#url(`/v2/${repository}/blobs/${digest}`);
    const { res, answer } = await this.#open(url, {}, options.signal, "GET blob", pull(repository));
    const where = { url: redact(answer.url) };
    const lengthHeader = header(answer, "content-length");
    const announced = lengthHeader === undefined ? undefined : Number(lengthHeader);
    if (announced !== undefined && size !== undefined && announced !== size) {
      discard(res);
      throw new RegistryError(
        RegistryErrorCode.PROTOCOL,
        `blob ${digest} is ${size} bytes, but the registry sends ${lengthHeader}`,
        where,
      );
    }
    const expected = size ?? (Number.isSafeInteger(announced) ? announced : undefined);
    const hash = createHash(algorithm);
    let received = 0;
    const mismatch = (why: string) =>
      new RegistryError(RegistryErrorCode.PROTOCOL, `blob ${digest}: ${why}`, where);
    const verified = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        received += chunk.length;
        // Stop at the first byte too many rather than downloading a runaway body.
        if (expected !== undefined && received > expected) {
          done(mismatch(`more than the expected ${expected} bytes`));
          return;
        }
        hash.update(chunk);
        done(null, chunk);
      },
      flush(done) {
        if (expected !== undefined && received !== expected) {
          done(mismatch(`${received} bytes instead of ${expected}`));
          return;
        }
        const got = `${algorithm}:${hash.digest("hex")}`;
        done(got === digest ? null : mismatch(`the bytes hash to ${got}`));
      },
    });
    const body = res.body;
    body.on("error", (err) => {
      const signal = options.signal;
      verified.destroy(
        signal?.aborted === true
          ? signal.reason
          : new RegistryError(
              RegistryErrorCode.NETWORK,
              `blob ${digest}: download failed after ${received} bytes: ${err.message}`,
              { ...where, cause: err },
            ),
      );
    });
    // A consumer that stops early (destroys the stream) ends the download too.
    verified.on("close", () => body.destroy());
    body.pipe(verified);
    return verified;
  }

  /**
   * Starts a ranged blob download (`GET /v2/<name>/blobs/<digest>` with `Range: bytes=start-(end-1)`),
   * following redirects to storage without credentials, and returns the answer with its body
   * unread: 206 (the range; the caller checks `Content-Range`) or 200 (a server that ignores Range
   * sends the whole blob). Any other status fails.
   * @param end exclusive
   */
  async getBlobRange(
    repository: string,
    digest: string,
    start: number,
    end: number,
    options: CallOptions = {},
  ): Promise<RangeAnswer> {
    digestAlgorithm(digest);
    if (!(Number.isSafeInteger(start) && Number.isSafeInteger(end) && start >= 0 && end > start)) {
      throw new RangeError(`bad blob range [${start}, ${end})`);
    }
    await this.ping(options);
    const url = this.#url(`/v2/${repository}/blobs/${digest}`);
    const { res, answer } = await this.#exchange(
      url,
      {
        method: "GET",
        headers: { range: `bytes=${start}-${end - 1}` },
        signal: options.signal,
        scope: pull(repository),
      },
      true,
    );
    if (res.statusCode === 200 || res.statusCode === 206) {
      return {
        status: res.statusCode,
        contentRange: header(answer, "content-range"),
        contentLength: header(answer, "content-length"),
        body: res.body,
        url: redact(answer.url),
      };
    }
    if (res.statusCode >= 400) failed({ ...answer, ...(await errorDetail(res)) }, "GET blob range");
    await res.body.dump();
    return failed(answer, "GET blob range");
  }

  /**
   * GETs `url`, following redirects (credentials only to the registry's own origin), and returns
   * the 200 answer with its body unread. Any other final status fails.
   */
  async #open(
    url: URL,
    headers: Record<string, string>,
    signal: AbortSignal | undefined,
    what: string,
    scope: string,
  ): Promise<{ res: Dispatcher.ResponseData; answer: Answer }> {
    const { res, answer } = await this.#exchange(url, { method: "GET", headers, signal, scope }, true);
    if (res.statusCode === 200) return { res, answer };
    if (res.statusCode >= 400) failed({ ...answer, ...(await errorDetail(res)) }, what);
    await res.body.dump();
    return failed(answer, what);
  }

  async #ping(signal: AbortSignal | undefined): Promise<void> {
    const url = this.#url("/v2/");
    const anonymous = await this.#send(url, { method: "GET", signal }, false);
    if (anonymous.status === 200) return;
    if (anonymous.status === 404) {
      throw new RegistryError(
        RegistryErrorCode.PROTOCOL,
        `${this.origin} has no registry v2 API (GET /v2/: 404)`,
        {
          status: 404,
          url: url.href,
        },
      );
    }
    if (anonymous.status !== 401) return failed(anonymous, "registry version check");
    const challenge = parseChallenge(header(anonymous, "www-authenticate"));
    const credentials = await this.#credentials();
    if (challenge?.scheme === "bearer" && challenge.params.realm !== undefined) {
      const realm = { realm: challenge.params.realm, service: challenge.params.service };
      this.#scheme = { kind: "bearer", realm };
      // Like `docker login`: a token without scope proves the credentials before any real work.
      if (credentials !== undefined) await this.#tokens.token(realm, "", signal);
      return;
    }
    if (challenge?.scheme !== "basic") {
      throw new RegistryError(
        RegistryErrorCode.UNSUPPORTED_AUTH,
        `${this.origin} asks for "${challenge?.scheme ?? "unknown"}" authentication; only Basic and Bearer are supported`,
        { status: 401, url: url.href },
      );
    }
    if (credentials === undefined) {
      throw new RegistryError(
        RegistryErrorCode.UNAUTHORIZED,
        `${this.origin} needs a username and password`,
        {
          status: 401,
          url: url.href,
        },
      );
    }
    this.#scheme = { kind: "basic" };
    const signedIn = await this.#send(url, { method: "GET", signal });
    if (signedIn.status === 200) return;
    this.#scheme = { kind: "none" };
    if (signedIn.status === 401) {
      throw new RegistryError(
        RegistryErrorCode.UNAUTHORIZED,
        `${this.origin} rejected the username or password`,
        {
          status: 401,
          url: url.href,
        },
      );
    }
    failed(signedIn, "registry version check");
  }

  /** The Authorization header for a request to the registry's own origin, if it needs one. */
  async #authorization(
    scope: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<string | undefined> {
    const scheme = this.#scheme;
    if (scheme.kind === "basic") {
      const c = await this.#credentials();
      return c === undefined
        ? undefined
        : `Basic ${Buffer.from(`${c.username}:${c.password}`, "utf8").toString("base64")}`;
    }
    if (scheme.kind === "bearer" && scope !== undefined) {
      return `Bearer ${await this.#tokens.token(scheme.realm, scope, signal)}`;
    }
    return undefined;
  }

  #url(path: string): URL {
    return new URL(path, this.origin);
  }

  /** Resolves a Location; refuses schemes other than HTTP(S) and, unless insecure, plain HTTP. */
  #resolve(location: string, base: URL): URL {
    let url: URL;
    try {
      url = new URL(location, base);
    } catch (cause) {
      throw new RegistryError(RegistryErrorCode.PROTOCOL, `bad Location "${location}"`, {
        url: redact(base),
        cause,
      });
    }
    const allowed = this.#options.insecure === true ? ["http:", "https:"] : ["https:"];
    if (!allowed.includes(url.protocol)) {
      throw new RegistryError(RegistryErrorCode.PROTOCOL, `refusing to follow Location "${location}"`, {
        url: redact(base),
      });
    }
    return url;
  }

  /** Sends one request, following redirects; the final body is read (error detail) or dropped. */
  async #send(url: URL, init: SendInit, authenticate = true): Promise<Answer> {
    const { res, answer } = await this.#exchange(url, init, authenticate);
    if (res.statusCode < 400) {
      await res.body.dump();
      return answer;
    }
    return { ...answer, ...(await errorDetail(res)) };
  }

  /**
   * Sends a request and follows redirects, returning the final response with its body unread.
   * Credentials go only to the registry's own origin: a redirect to storage elsewhere (S3, a CDN)
   * must not receive the user's password.
   */
  async #exchange(
    url: URL,
    init: SendInit,
    authenticate: boolean,
  ): Promise<{ res: Dispatcher.ResponseData; answer: Answer }> {
    const maxRedirects = this.#options.maxRedirects ?? 5;
    let current = url;
    let scope = init.scope;
    let retriedAuth = false;
    for (let hop = 0; ; hop++) {
      const headers: Record<string, string> = { ...init.headers };
      if (authenticate && current.origin === this.origin) {
        const authorization = await this.#authorization(scope, init.signal);
        if (authorization !== undefined) headers.authorization = authorization;
      }
      const body = typeof init.body === "function" ? init.body() : init.body;
      let res: Dispatcher.ResponseData;
      try {
        res = await request(current, {
          method: init.method,
          headers,
          body: body === undefined ? null : body,
          signal: init.signal ?? null,
          dispatcher: this.#options.dispatcher ?? defaultTransport(),
        });
      } catch (cause) {
        if (typeof init.body === "function") (body as Readable).destroy();
        if (init.signal?.aborted === true) throw init.signal.reason;
        throw new RegistryError(
          RegistryErrorCode.NETWORK,
          `${init.method} ${redact(current)} failed: ${(cause as Error).message}${networkErrorHint(cause)}`,
          { url: redact(current), cause },
        );
      }
      const answer: Answer = { status: res.statusCode, headers: res.headers, url: current };
      // A token may have expired, or the registry may want a wider scope than asked for
      // (`insufficient_scope`): fetch the token its challenge names and try once more.
      const challenge =
        res.statusCode === 401 ? parseChallenge(header(answer, "www-authenticate")) : undefined;
      const realm = challenge?.scheme === "bearer" ? challenge.params.realm : undefined;
      if (authenticate && !retriedAuth && realm !== undefined && current.origin === this.origin) {
        retriedAuth = true;
        // Some registries answer `/v2/` anonymously and challenge only on repositories.
        if (this.#scheme.kind !== "bearer") {
          this.#scheme = { kind: "bearer", realm: { realm, service: challenge?.params.service } };
        } else if (scope !== undefined) {
          this.#tokens.forget(this.#scheme.realm, scope);
        }
        scope = challenge?.params.scope ?? scope;
        await res.body.dump();
        if (typeof init.body === "function") (body as Readable).destroy();
        hop--;
        continue;
      }
      const location = header(answer, "location");
      // Only a redirect that keeps method and body can be followed for uploads.
      const follow =
        REDIRECTS.has(res.statusCode) &&
        location !== undefined &&
        (init.method === "GET" || init.method === "HEAD" || res.statusCode === 307 || res.statusCode === 308);
      if (!follow) return { res, answer };
      await res.body.dump();
      // The server may have answered before reading the body; the next hop gets a fresh one.
      if (typeof init.body === "function") (body as Readable).destroy();
      if (hop >= maxRedirects) {
        throw new RegistryError(RegistryErrorCode.PROTOCOL, `more than ${maxRedirects} redirects`, {
          url: redact(url),
        });
      }
      current = this.#resolve(location, current);
    }
  }
}

interface ErrorDetail {
  readonly registryCode?: string;
  readonly detail?: string;
}

/** Reads the start of an error body and picks the registry's `errors[0]` code and message. */
async function errorDetail(res: Dispatcher.ResponseData): Promise<ErrorDetail> {
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      length += chunk.length;
      if (length >= MAX_ERROR_BODY) break;
    }
  } catch {
    return {};
  } finally {
    res.body.destroy();
  }
  const text = Buffer.concat(chunks).subarray(0, MAX_ERROR_BODY).toString("utf8");
  try {
    const first = (JSON.parse(text) as { errors?: { code?: unknown; message?: unknown }[] }).errors?.[0];
    const code = typeof first?.code === "string" ? first.code : undefined;
    const message = typeof first?.message === "string" ? first.message : undefined;
    return {
      ...(code === undefined ? {} : { registryCode: code }),
      ...(message === undefined ? {} : { detail: message }),
    };
  } catch {
    return text.trim() === "" ? {} : { detail: text.trim().slice(0, 200) };
  }
}

/**
 * Drops a body not wanted (any more). undici reports destroying an unfinished body as an
 * "aborted" error event, which is expected here and must not surface as an uncaught error.
 */
function discard(res: Dispatcher.ResponseData): void {
  res.body.on("error", () => {});
  res.body.destroy();
}

/** The hash algorithm of a `sha256:<64 hex>` or `sha512:<128 hex>` digest. */
function digestAlgorithm(digest: string): "sha256" | "sha512" {
  if (/^sha256:[a-f0-9]{64}$/.test(digest)) return "sha256";
  if (/^sha512:[a-f0-9]{128}$/.test(digest)) return "sha512";
  throw new RegistryError(
    RegistryErrorCode.INVALID_REFERENCE,
    `bad digest "${digest.slice(0, 140)}" (want sha256:<64 hex> or sha512:<128 hex>)`,
  );
}

/** Reads a whole body of at most `max` bytes; a longer one fails before it is buffered. */
async function readLimited(
  res: Dispatcher.ResponseData,
  max: number,
  answer: Answer,
  signal: AbortSignal | undefined,
): Promise<Uint8Array> {
  const tooBig = () =>
    new RegistryError(RegistryErrorCode.PROTOCOL, `manifest is larger than ${max} bytes`, {
      url: redact(answer.url),
    });
  const announced = Number(header(answer, "content-length") ?? Number.NaN);
  if (announced > max) {
    discard(res);
    throw tooBig();
  }
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      length += chunk.length;
      if (length > max) throw tooBig();
      chunks.push(chunk);
    }
  } catch (err) {
    if (err instanceof RegistryError) throw err;
    if (signal?.aborted === true) throw signal.reason;
    throw new RegistryError(
      RegistryErrorCode.NETWORK,
      `reading the manifest failed: ${(err as Error).message}`,
      {
        url: redact(answer.url),
        cause: err,
      },
    );
  } finally {
    discard(res);
  }
  return Buffer.concat(chunks, length);
}

/**
 * A manifest's media type: the Content-Type, unless it is missing or generic (some registries and
 * static servers say `application/json`), then the document's own `mediaType`.
 */
function manifestMediaType(answer: Answer, bytes: Uint8Array): string {
  const type = (header(answer, "content-type") ?? "").split(";", 1)[0]?.trim().toLowerCase() ?? "";
  if (type !== "" && type !== "application/json" && type !== "text/plain") return type;
  try {
    const declared = (JSON.parse(Buffer.from(bytes).toString("utf8")) as { mediaType?: unknown } | null)
      ?.mediaType;
    return typeof declared === "string" ? declared : type;
  } catch {
    return type;
  }
}

/** Raises the error an unexpected answer means. */
function failed(answer: Answer & ErrorDetail, what: string): never {
  const code =
    answer.status === 401
      ? RegistryErrorCode.UNAUTHORIZED
      : answer.status === 403
        ? RegistryErrorCode.DENIED
        : RegistryErrorCode.HTTP_STATUS;
  const registry = answer.registryCode === undefined ? "" : ` ${answer.registryCode}`;
  const detail = answer.detail === undefined ? "" : `: ${answer.detail}`;
  throw new RegistryError(
    code,
    `${what}: HTTP ${answer.status}${registry}${detail} (${redact(answer.url)})`,
    {
      status: answer.status,
      url: redact(answer.url),
      ...(answer.registryCode === undefined ? {} : { registryCode: answer.registryCode }),
      ...(header(answer, "retry-after") === undefined
        ? {}
        : { retryAfter: header(answer, "retry-after") as string }),
    },
  );
}

function header(answer: { headers: Answer["headers"] }, name: string): string | undefined {
  const value = answer.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The token scope to read a repository. */
function pull(repository: string): string {
  return `repository:${repository}:pull`;
}

/** The token scope to write a repository (push needs pull too, to check what exists). */
function push(repository: string): string {
  return `repository:${repository}:pull,push`;
}

/** A URL for messages: no query (upload URLs carry state tokens) and no user info. */
function redact(url: URL): string {
  return `${url.origin}${url.pathname}`;
}
