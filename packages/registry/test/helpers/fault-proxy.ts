// A fault-injecting HTTP proxy for registry tests: forwards to a registry on 127.0.0.1 and can add
// latency, share one emulated bandwidth-limited link, or answer a request with a chosen fault
// (error status, reset or truncated body, ignored Range, delay, stall, redirect to a storage port).
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

/** Which listener of the proxy a request came to. */
export type ProxyPort = "main" | "storage";

/** What a fault function is told about each request. */
export interface ProxiedRequest {
  /** 1-based count of requests to either listener since start or the last {@link FaultProxy.reset}. */
  readonly n: number;
  readonly method: string;
  /** The request target as sent: path and query (`/v2/a/b/blobs/sha256:…?x=1`). */
  readonly path: string;
  /** The client's `Range` header, if any. */
  readonly range: string | undefined;
  readonly headers: IncomingHttpHeaders;
  /** Which listener it came to; a `redirect` fault is ignored on `"storage"`. */
  readonly port: ProxyPort;
}

/**
 * What to do to one request. Byte counts are of the response body. A limit the body never reaches
 * (`afterBytes` ≥ its length) leaves the response whole.
 */
export type Fault =
  /** Answer `status` without contacting the registry (body: a distribution-style JSON error). */
  | { readonly kind: "status"; readonly status: number; readonly retryAfter?: string; readonly body?: string }
  /**
   * Forward, then destroy the client's socket after `afterBytes` body bytes: the client sees the
   * connection go mid-body. (A true RST would make the kernel drop bytes the client had not read yet,
   * so the byte count would not be exact.)
   */
  | { readonly kind: "reset"; readonly afterBytes: number }
  /** Forward with the full Content-Length, then close the connection cleanly (FIN) after `afterBytes`. */
  | { readonly kind: "truncate"; readonly afterBytes: number }
  /** Drop `Range` and `If-Range` so the registry answers 200 with the whole blob. */
  | { readonly kind: "ignore-range" }
  /** Hold the start of the response for `ms` (on top of `latencyMs`). */
  | { readonly kind: "delay"; readonly ms: number }
  /** Send `afterBytes` body bytes, then nothing; the socket stays open until the client or stop() closes it. */
  | { readonly kind: "stall"; readonly afterBytes: number }
  /**
   * Answer `status` (default 307) with a Location on the storage listener, same path and query.
   * The storage listener forwards without the client's Authorization, like a blob store on
   * another origin; it uses the credentials of the request that was redirected, as a pre-signed
   * URL would, so that it serves blobs of registries that need auth too.
   */
  | { readonly kind: "redirect"; readonly status?: number };

/** The kinds of {@link Fault}. */
export type FaultKind = Fault["kind"];

/** Picks the fault for a request; `undefined` forwards it untouched. */
export type FaultFunction = (req: ProxiedRequest) => Fault | undefined;

/** Options of {@link startFaultProxy}. */
export interface FaultProxyOptions {
  /** `127.0.0.1:PORT` of the registry. */
  readonly target: string;
  /** Added once per request before its response starts, emulating a round trip. Default 0. */
  readonly latencyMs?: number;
  /**
   * Bytes per second of response bodies over one emulated link shared by all concurrent
   * responses of both listeners (a token bucket: 4 parallel downloads each get about 1/4).
   * Default: unlimited.
   */
  readonly bandwidth?: number;
  /** The initial fault function (see {@link FaultProxy.setFault}). Default: none. */
  readonly fault?: FaultFunction;
}

/** One request as the proxy saw and answered it. `status` and `bytes` grow while it runs. */
export interface ProxiedRecord {
  readonly n: number;
  readonly method: string;
  readonly path: string;
  readonly range: string | undefined;
  /** Status sent to the client; 0 until the response starts. */
  status: number;
  /** Response body bytes sent to the client. */
  bytes: number;
  /** The client's Authorization header, as received. */
  readonly authorization: string | undefined;
  readonly port: ProxyPort;
  /** The fault applied, if any. */
  readonly fault: FaultKind | undefined;
}

/** Counters of a {@link FaultProxy}. */
export interface ProxyStats {
  /** Requests to either listener. */
  requests: number;
  /** Response body bytes sent to clients, over all requests. */
  bytesSent: number;
  /** Every request in arrival order. */
  readonly byRequest: ProxiedRecord[];
}

/** A running proxy. */
export interface FaultProxy {
  /** `127.0.0.1:PORT` of the main listener: use it as the registry host. */
  readonly host: string;
  /** `127.0.0.1:PORT` of the storage listener that `redirect` faults point to. */
  readonly storageHost: string;
  /** Live counters (the same object until stop; {@link reset} zeroes it in place). */
  readonly stats: Readonly<ProxyStats>;
  /** Replaces the fault function; `undefined` stops injecting faults. */
  setFault(fn: FaultFunction | undefined): void;
  /** Zeroes the counters and the request count `n`. */
  reset(): void;
  /** Closes both listeners and every client and registry socket (stalled ones too). */
  stop(): Promise<void>;
}

// Headers that describe one hop's connection, not the message (RFC 9110 §7.6.1): never forwarded.
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);
// Redirect URLs remembered for the storage listener; old ones are dropped past this many.
const MAX_SIGNED_URLS = 1000;

/** Starts the proxy's two listeners on 127.0.0.1 with free ports. */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const proxy = new FaultProxyImpl(options);
  await proxy.listen();
  return proxy;
}

/**
 * A token bucket shared by all responses: one emulated link. Waiters are served first come first
 * served in small pieces, so concurrent responses share the rate about evenly.
 */
class Link {
  readonly piece: number;
  readonly #rate: number;
  readonly #capacity: number;
  #tokens: number;
  #last = performance.now();
  readonly #queue: { n: number; resolve: () => void }[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(bytesPerSecond: number) {
    this.#rate = bytesPerSecond;
    // Pieces of at most 1/50 s keep the pacing smooth; the burst is two pieces.
    this.piece = Math.max(1, Math.min(16 * 1024, Math.floor(bytesPerSecond / 50)));
    this.#capacity = 2 * this.piece;
    this.#tokens = this.#capacity;
  }

  /** Resolves once `n` (≤ {@link piece}) bytes may be sent. */
  take(n: number): Promise<void> {
    return new Promise((resolve) => {
      this.#queue.push({ n: Math.min(n, this.#capacity), resolve });
      this.#serve();
    });
  }

  /** Lets every waiter go and stops the timer. */
  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const w of this.#queue.splice(0)) w.resolve();
  }

  #serve(): void {
    if (this.#timer !== undefined) return;
    const now = performance.now();
    this.#tokens = Math.min(this.#capacity, this.#tokens + ((now - this.#last) / 1000) * this.#rate);
    this.#last = now;
    for (let head = this.#queue[0]; head !== undefined && head.n <= this.#tokens; head = this.#queue[0]) {
      this.#tokens -= head.n;
      this.#queue.shift();
      head.resolve();
    }
    const head = this.#queue[0];
    if (head === undefined) return;
    const waitMs = Math.max(1, Math.ceil(((head.n - this.#tokens) / this.#rate) * 1000));
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#serve();
    }, waitMs);
  }
}

class FaultProxyImpl implements FaultProxy {
  host = "";
  storageHost = "";
  readonly stats: ProxyStats = { requests: 0, bytesSent: 0, byRequest: [] };
  readonly #target: string;
  readonly #latencyMs: number;
  readonly #link: Link | undefined;
  #fault: FaultFunction | undefined;
  #n = 0;
  readonly #agent = new Agent({ keepAlive: true });
  readonly #main: Server;
  readonly #storage: Server;
  // Aborts pending latency/delay sleeps on stop().
  readonly #stopping = new AbortController();
  // Authorization of each redirected request, by path and query, for the storage listener.
  readonly #signed = new Map<string, string | undefined>();

  constructor(options: FaultProxyOptions) {
    this.#target = options.target;
    this.#latencyMs = Math.max(0, options.latencyMs ?? 0);
    const bw = options.bandwidth;
    if (bw !== undefined && !(bw > 0 && Number.isFinite(bw))) throw new Error(`bad bandwidth ${bw}`);
    this.#link = bw === undefined ? undefined : new Link(bw);
    this.#fault = options.fault;
    this.#main = createServer((req, res) => void this.#handle(req, res, "main"));
    this.#storage = createServer((req, res) => void this.#handle(req, res, "storage"));
  }

  async listen(): Promise<void> {
    const listen = (s: Server) =>
      new Promise<string>((resolve, reject) => {
        s.once("error", reject);
        s.listen(0, "127.0.0.1", () => resolve(`127.0.0.1:${(s.address() as AddressInfo).port}`));
      });
    this.host = await listen(this.#main);
    this.storageHost = await listen(this.#storage);
  }

  setFault(fn: FaultFunction | undefined): void {
    this.#fault = fn;
  }

  reset(): void {
    this.#n = 0;
    this.stats.requests = 0;
    this.stats.bytesSent = 0;
    this.stats.byRequest.length = 0;
  }

  async stop(): Promise<void> {
    this.#stopping.abort();
    this.#link?.close();
    const close = (s: Server) =>
      new Promise<void>((resolve) => {
        s.close(() => resolve());
        s.closeAllConnections();
      });
    await Promise.all([close(this.#main), close(this.#storage)]);
    this.#agent.destroy();
  }

  async #handle(req: IncomingMessage, res: ServerResponse, port: ProxyPort): Promise<void> {
    // Errors of either side surface through the awaits below; unlistened they would crash the run.
    req.on("error", noop);
    res.on("error", noop);
    const n = ++this.#n;
    this.stats.requests++;
    const info: ProxiedRequest = {
      n,
      method: req.method ?? "GET",
      path: req.url ?? "/",
      range: req.headers.range,
      headers: req.headers,
      port,
    };
    let fault: Fault | undefined;
    try {
      fault = this.#fault?.(info);
    } catch (err) {
      // A broken fault function is a test bug: make it loud rather than a silent pass-through.
      fault = { kind: "status", status: 500, body: `fault function threw: ${String(err)}` };
    }
    if (port === "storage" && fault?.kind === "redirect") fault = undefined;
    const record: ProxiedRecord = {
      n,
      method: info.method,
      path: info.path,
      range: info.range,
      status: 0,
      bytes: 0,
      authorization: req.headers.authorization,
      port,
      fault: fault?.kind,
    };
    this.stats.byRequest.push(record);
    try {
      const hold = this.#latencyMs + (fault?.kind === "delay" ? Math.max(0, fault.ms) : 0);
      if (hold > 0) await sleep(hold, undefined, { signal: this.#stopping.signal });
      if (res.destroyed) return;
      if (fault?.kind === "status") {
        req.resume();
        const body = Buffer.from(
          fault.body ??
            JSON.stringify({ errors: [{ code: "UNAVAILABLE", message: `injected status ${fault.status}` }] }),
        );
        const headers: OutgoingHttpHeaders = {
          "content-type": "application/json",
          "content-length": body.length,
        };
        if (fault.retryAfter !== undefined) headers["retry-after"] = fault.retryAfter;
        record.status = fault.status;
        res.writeHead(fault.status, headers);
        await this.#send(res, record, body);
        res.end();
        return;
      }
      if (fault?.kind === "redirect") {
        req.resume();
        this.#signed.set(info.path, req.headers.authorization);
        if (this.#signed.size > MAX_SIGNED_URLS) {
          const oldest = this.#signed.keys().next();
          if (oldest.done !== true) this.#signed.delete(oldest.value);
        }
        record.status = fault.status ?? 307;
        res.writeHead(record.status, {
          location: `http://${this.storageHost}${info.path}`,
          "content-length": 0,
        });
        res.end();
        return;
      }
      await this.#forward(req, res, record, fault, port);
    } catch {
      // Stopping, the client went away, or the registry failed after the response started.
      if (!res.headersSent && !res.destroyed) {
        record.status = 502;
        res.writeHead(502, { "content-type": "text/plain" }).end("fault proxy: upstream failed");
      } else {
        res.destroy();
      }
    }
  }

  async #forward(
    req: IncomingMessage,
    res: ServerResponse,
    record: ProxiedRecord,
    fault: Fault | undefined,
    port: ProxyPort,
  ): Promise<void> {
    const headers: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined && !HOP_BY_HOP.has(name) && name !== "host") headers[name] = value;
    }
    headers.host = this.#target;
    if (fault?.kind === "ignore-range") {
      delete headers.range;
      delete headers["if-range"];
    }
    if (port === "storage") {
      // Another origin: the client's credentials never reach the registry from here.
      delete headers.authorization;
      const signed = this.#signed.get(record.path);
      if (signed !== undefined) headers.authorization = signed;
    }
    const [host, portText] = splitHost(this.#target);
    const upstream = httpRequest({
      host,
      port: portText,
      method: record.method,
      path: record.path,
      headers,
      agent: this.#agent,
    });
    upstream.on("error", noop);
    res.once("close", () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
    const from = await new Promise<IncomingMessage>((resolve, reject) => {
      upstream.once("response", resolve);
      upstream.once("error", reject);
    });
    const out: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(from.headers)) {
      if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
    }
    // Keep clients on the proxy when the registry names itself in a Location.
    const location = from.headers.location;
    const targetOrigin = `http://${this.#target}`;
    if (location?.startsWith(targetOrigin))
      out.location = `http://${this.host}${location.slice(targetOrigin.length)}`;
    record.status = from.statusCode ?? 502;
    res.writeHead(record.status, out);
    const limit =
      fault?.kind === "reset" || fault?.kind === "truncate" || fault?.kind === "stall"
        ? Math.max(0, fault.afterBytes)
        : undefined;
    if (limit !== undefined) res.flushHeaders();
    const ended = await this.#pump(from, res, record, limit);
    if (ended === "closed") return;
    if (ended === "done") {
      res.end();
      return;
    }
    // The limit was reached: let what was written reach the socket, then act on it.
    const socket = res.socket;
    if (socket === null || socket.destroyed) return;
    await flushed(socket);
    if (fault?.kind === "reset") socket.destroy();
    else if (fault?.kind === "truncate") socket.end();
    // "stall": nothing more; the client or stop() closes the socket.
  }

  /** Copies the body, paced by the link, up to `limit` bytes. */
  async #pump(
    from: IncomingMessage,
    res: ServerResponse,
    record: ProxiedRecord,
    limit: number | undefined,
  ): Promise<"done" | "limit" | "closed"> {
    let sent = 0;
    if (limit === 0) {
      from.destroy();
      return "limit";
    }
    // Leaving the loop early destroys `from`, and with it the registry socket.
    for await (const chunk of from as AsyncIterable<Buffer>) {
      let offset = 0;
      while (offset < chunk.length) {
        let end = Math.min(chunk.length, offset + (this.#link?.piece ?? chunk.length));
        if (limit !== undefined) end = Math.min(end, offset + (limit - sent));
        const part = chunk.subarray(offset, end);
        if (this.#link !== undefined) await this.#link.take(part.length);
        if (res.destroyed || this.#stopping.signal.aborted) return "closed";
        await this.#send(res, record, part);
        sent += part.length;
        offset = end;
        if (limit !== undefined && sent >= limit) return "limit";
      }
    }
    return "done";
  }

  /** Writes one piece, counts it, and waits for `drain` (or close) when the socket is full. */
  async #send(res: ServerResponse, record: ProxiedRecord, part: Buffer): Promise<void> {
    const ok = res.write(part);
    record.bytes += part.length;
    this.stats.bytesSent += part.length;
    if (!ok && !res.destroyed) {
      await new Promise<void>((resolve) => {
        const done = () => {
          res.off("drain", done);
          res.off("close", done);
          resolve();
        };
        res.on("drain", done);
        res.on("close", done);
      });
    }
  }
}

function noop(): void {}

/** Resolves once everything written to the socket so far has been handed to the kernel. */
function flushed(socket: Socket): Promise<void> {
  // Writes complete in order, so an empty write's callback runs after all earlier ones.
  return new Promise((resolve) => socket.write(Buffer.alloc(0), () => resolve()));
}

function splitHost(hostPort: string): [string, number] {
  const i = hostPort.lastIndexOf(":");
  const port = Number(hostPort.slice(i + 1));
  if (i <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535)
    throw new Error(`bad target ${hostPort}`);
  return [hostPort.slice(0, i), port];
}
