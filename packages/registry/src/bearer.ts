// The registry token flow (distribution docs/spec/auth/token.md and oauth.md): a 401 names a realm
// and service; a token for `repository:<name>:<actions>` is fetched there, with Basic credentials
// or an OAuth refresh token when there are any, anonymously otherwise, and cached until it expires.
import { type Dispatcher, request } from "undici";
import type { Credentials } from "./credentials.js";
import { RegistryError, RegistryErrorCode } from "./errors.js";
import { defaultTransport, networkErrorHint } from "./transport.js";

/** Where tokens come from, as the registry's challenge says. */
export interface TokenRealm {
  readonly realm: string;
  readonly service: string | undefined;
}

/** Largest token answer read (tokens are a few KiB; some registries send long JWTs). */
const MAX_TOKEN_ANSWER = 1024 * 1024;
/** Tokens without `expires_in` last 60 s (the spec's default). */
const DEFAULT_EXPIRY_S = 60;
/** A token is renewed this long before it expires, so that a request does not race its expiry. */
const EXPIRY_MARGIN_MS = 10_000;

/** Fetches and caches bearer tokens per scope for one registry. */
export class BearerTokens {
  readonly #credentials: () => Promise<Credentials | undefined>;
  readonly #insecure: boolean;
  readonly #dispatcher: Dispatcher | undefined;
  readonly #registryOrigin: string | undefined;
  readonly #allowCrossOriginRealm: boolean;
  readonly #cache = new Map<string, { token: string; expires: number }>();
  readonly #inflight = new Map<string, Promise<string>>();

  constructor(
    credentials: () => Promise<Credentials | undefined>,
    insecure: boolean,
    dispatcher: Dispatcher | undefined,
    where: { registryOrigin?: string; allowCrossOriginRealm?: boolean } = {},
  ) {
    this.#credentials = credentials;
    this.#insecure = insecure;
    this.#dispatcher = dispatcher;
    this.#registryOrigin = where.registryOrigin;
    this.#allowCrossOriginRealm = where.allowCrossOriginRealm === true;
  }

  /** A token for `scope` (`""` for none: a login check), from the cache when still fresh. */
  token(realm: TokenRealm, scope: string, signal: AbortSignal | undefined): Promise<string> {
    const key = `${realm.realm} ${realm.service ?? ""} ${scope}`;
    const hit = this.#cache.get(key);
    if (hit !== undefined && hit.expires > Date.now()) return Promise.resolve(hit.token);
    let p = this.#inflight.get(key);
    if (p === undefined) {
      p = this.#fetch(realm, scope, signal)
        .then(({ token, expiresIn }) => {
          this.#cache.set(key, { token, expires: Date.now() + expiresIn * 1000 - EXPIRY_MARGIN_MS });
          return token;
        })
        .finally(() => this.#inflight.delete(key));
      this.#inflight.set(key, p);
    }
    return p;
  }

  /** Forgets a token the registry refused, so the next request fetches a new one. */
  forget(realm: TokenRealm, scope: string): void {
    this.#cache.delete(`${realm.realm} ${realm.service ?? ""} ${scope}`);
  }

  /** A plain-HTTP realm gets credentials on the registry's own host, or when the user allows it. */
  #realmMayHaveCredentials(realm: URL): boolean {
    if (this.#allowCrossOriginRealm || this.#registryOrigin === undefined) return true;
    return new URL(this.#registryOrigin).hostname === realm.hostname;
  }

  async #fetch(
    realm: TokenRealm,
    scope: string,
    signal: AbortSignal | undefined,
  ): Promise<{ token: string; expiresIn: number }> {
    let url: URL;
    try {
      url = new URL(realm.realm);
    } catch (cause) {
      throw new RegistryError(RegistryErrorCode.PROTOCOL, `bad token realm "${realm.realm}"`, { cause });
    }
    if (url.protocol !== "https:" && !(this.#insecure && url.protocol === "http:")) {
      throw new RegistryError(
        RegistryErrorCode.PROTOCOL,
        `refusing token realm ${url.origin}: credentials only go over HTTPS (use --insecure for local registries)`,
      );
    }
    const credentials = await this.#credentials();
    if (credentials !== undefined && url.protocol === "http:" && !this.#realmMayHaveCredentials(url)) {
      // `insecure` allowed plain HTTP to the registry's host, not to any host its challenge names.
      throw new RegistryError(
        RegistryErrorCode.PROTOCOL,
        `refusing to send the credentials of "${credentials.username}" to token realm ${url.origin}: ` +
          "another host over plain HTTP (allow it with allowCrossOriginRealm)",
      );
    }
    const where = { url: `${url.origin}${url.pathname}` };
    const headers: Record<string, string> = { accept: "application/json" };
    let method: "GET" | "POST" = "GET";
    let body: string | undefined;
    if (credentials?.identityToken !== undefined) {
      // OAuth2 refresh-token grant: what `docker login` stores for some registries.
      method = "POST";
      const form = new URLSearchParams({
        grant_type: "refresh_token",
        refresh_token: credentials.identityToken,
        client_id: "rafscan",
      });
      if (realm.service !== undefined) form.set("service", realm.service);
      if (scope !== "") form.set("scope", scope);
      body = form.toString();
      headers["content-type"] = "application/x-www-form-urlencoded";
    } else {
      if (realm.service !== undefined) url.searchParams.set("service", realm.service);
      if (scope !== "") url.searchParams.set("scope", scope);
      if (credentials !== undefined) {
        const pair = `${credentials.username}:${credentials.password}`;
        headers.authorization = `Basic ${Buffer.from(pair, "utf8").toString("base64")}`;
      }
    }
    let res: Dispatcher.ResponseData;
    try {
      res = await request(url, {
        method,
        headers,
        body: body ?? null,
        signal: signal ?? null,
        dispatcher: this.#dispatcher ?? defaultTransport(),
      });
    } catch (cause) {
      if (signal?.aborted === true) throw signal.reason;
      throw new RegistryError(
        RegistryErrorCode.NETWORK,
        `token request failed: ${(cause as Error).message}${networkErrorHint(cause)}`,
        {
          ...where,
          cause,
        },
      );
    }
    const chunks: Buffer[] = [];
    let length = 0;
    try {
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        length += chunk.length;
        if (length > MAX_TOKEN_ANSWER) break;
        chunks.push(chunk);
      }
    } finally {
      res.body.on("error", () => {});
      res.body.destroy();
    }
    if (res.statusCode === 401 || res.statusCode === 403) {
      throw new RegistryError(
        res.statusCode === 401 ? RegistryErrorCode.UNAUTHORIZED : RegistryErrorCode.DENIED,
        credentials === undefined
          ? `the token service refused anonymous access (HTTP ${res.statusCode}); give credentials`
          : `the token service rejected the credentials of "${credentials.username}" (HTTP ${res.statusCode})`,
        { status: res.statusCode, ...where },
      );
    }
    if (res.statusCode !== 200 || length > MAX_TOKEN_ANSWER) {
      throw new RegistryError(RegistryErrorCode.HTTP_STATUS, `token request: HTTP ${res.statusCode}`, {
        status: res.statusCode,
        ...where,
      });
    }
    let answer: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      answer = JSON.parse(Buffer.concat(chunks).toString("utf8")) as typeof answer;
    } catch (cause) {
      throw new RegistryError(RegistryErrorCode.PROTOCOL, "token service answered with bad JSON", {
        ...where,
        cause,
      });
    }
    const token =
      typeof answer?.token === "string" && answer.token !== ""
        ? answer.token
        : typeof answer?.access_token === "string"
          ? answer.access_token
          : undefined;
    if (token === undefined || token === "" || /[\r\n]/.test(token)) {
      throw new RegistryError(RegistryErrorCode.PROTOCOL, "token service answered without a token", where);
    }
    const expiresIn =
      typeof answer.expires_in === "number" && Number.isFinite(answer.expires_in) && answer.expires_in > 0
        ? Math.min(answer.expires_in, 24 * 3600)
        : DEFAULT_EXPIRY_S;
    return { token, expiresIn: Math.max(expiresIn, (EXPIRY_MARGIN_MS / 1000) * 2) };
  }
}
