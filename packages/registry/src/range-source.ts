// A BlobSource over one registry blob, read with HTTP range requests. Reads that arrive in the same
// turn of the event loop (a file's chunks, a scan's files) are merged into few requests; requests
// share a per-registry concurrency limit; failures are retried with backoff, and a body cut short
// is resumed from where it stopped. Each answer is checked (206, Content-Range, length) before its
// bytes are used; the chunk digests are checked above this layer (vfs ChunkReader).
import type { Readable } from "node:stream";
import { RafsError, RafsErrorCode } from "@rafscan/rafs";
import type { BlobSource, ByteRange, ReadOptions } from "@rafscan/vfs";
import type { RegistryClient } from "./client.js";
import { planRequests } from "./coalesce.js";
import { isRegistryError, RegistryError, RegistryErrorCode } from "./errors.js";
import { Limiter } from "./limiter.js";
import { NetworkClock, newRemoteStats, type RemoteStats } from "./remote-stats.js";
import { backoffMs, isRetryableStatus, parseRetryAfter, type RetryOptions, sleep } from "./retry.js";

/** Options of {@link RegistryBlobSource}. */
export interface RangeSourceOptions extends RetryOptions {
  /** Largest hole between two wanted ranges that is fetched to save a request. Default 64 KiB. */
  readonly gap?: number;
  /** Largest merged request. Default 8 MiB. */
  readonly maxRequestBytes?: number;
  /** Shared limit on requests in flight (one per registry). Default: a limit of 8 of its own. */
  readonly limiter?: Limiter;
  /**
   * When a server ignores `Range` (answers 200), the blob is streamed from its start and only the
   * wanted bytes kept; wanted bytes ending beyond this offset fail instead. Default 64 MiB.
   */
  readonly ignoredRangeBudget?: number;
  /** A body that sends nothing for this long is abandoned (and retried). Default 30 s. */
  readonly idleTimeoutMs?: number;
  /** Counters to add to (shared by an image's sources). Default: fresh ones. */
  readonly stats?: RemoteStats;
  /** Shared in-flight clock for `stats.networkMs`. Default: one of its own. */
  readonly clock?: NetworkClock;
}

interface Waiter {
  readonly start: number;
  readonly end: number;
  readonly resolve: (bytes: Uint8Array) => void;
  readonly reject: (err: unknown) => void;
  readonly signal: AbortSignal | undefined;
}

/** A request's output buffer and how much of it has arrived; survives a failed attempt. */
interface Sink {
  readonly buf: Uint8Array;
  /** Blob offset of `buf[0]`. */
  readonly start: number;
  filled: number;
}

/** Hard bound on attempts for one request, progress or not, so a trickling server cannot loop us. */
const MAX_ATTEMPTS = 64;

/** One registry blob as a {@link BlobSource}. */
export class RegistryBlobSource implements BlobSource {
  readonly digest: string;
  readonly #client: RegistryClient;
  readonly #repository: string;
  readonly #size: number;
  readonly #options: RangeSourceOptions;
  readonly #limiter: Limiter;
  readonly stats: RemoteStats;
  readonly #clock: NetworkClock;
  #pending: Waiter[] = [];
  #scheduled = false;

  /** `size` is the blob's size from its descriptor: every answer is checked against it. */
  constructor(
    client: RegistryClient,
    repository: string,
    digest: string,
    size: number,
    options: RangeSourceOptions = {},
  ) {
    this.#client = client;
    this.#repository = repository;
    this.digest = digest;
    this.#size = size;
    this.#options = options;
    this.#limiter = options.limiter ?? new Limiter(8);
    this.stats = options.stats ?? newRemoteStats();
    this.#clock = options.clock ?? new NetworkClock(this.stats);
  }

  async size(): Promise<number> {
    return this.#size;
  }

  read(offset: number, length: number, options: ReadOptions = {}): Promise<Uint8Array> {
    if (
      !Number.isSafeInteger(offset) ||
      !Number.isSafeInteger(length) ||
      offset < 0 ||
      length < 0 ||
      offset + length > this.#size
    ) {
      return Promise.reject(
        new RafsError(
          RafsErrorCode.BLOB_READ,
          `range [${offset}, ${offset + length}) outside ${this.#size} bytes`,
          {
            where: `blob ${this.digest}`,
          },
        ),
      );
    }
    if (options.signal?.aborted === true) return Promise.reject(options.signal.reason);
    this.stats.reads++;
    if (length === 0) return Promise.resolve(new Uint8Array(0));
    return new Promise((resolve, reject) => {
      this.#pending.push({ start: offset, end: offset + length, resolve, reject, signal: options.signal });
      if (!this.#scheduled) {
        this.#scheduled = true;
        // Everything asked for before the event loop turns is planned together: a file's chunks
        // are all requested in one synchronous loop, and a scan's files right after each other.
        setImmediate(() => this.#flush());
      }
    });
  }

  readv(ranges: readonly ByteRange[], options: ReadOptions = {}): Promise<Uint8Array[]> {
    return Promise.all(ranges.map((r) => this.read(r.offset, r.length, options)));
  }

  #flush(): void {
    this.#scheduled = false;
    const batch = this.#pending;
    this.#pending = [];
    const plan = planRequests(batch, {
      gap: this.#options.gap ?? 64 * 1024,
      maxRequestBytes: this.#options.maxRequestBytes ?? 8 * 1024 * 1024,
    });
    for (const req of plan) {
      const waiters = req.members.map((i) => batch[i] as Waiter);
      const controller = new AbortController();
      let live = waiters.length;
      // One listener per distinct signal, removed when the request settles: a file's chunks share
      // its read's signal, and a scan may pass one signal to thousands of reads, which must not
      // pile up listeners on it (a leak, and Node's MaxListenersExceededWarning).
      const bySignal = new Map<AbortSignal, Waiter[]>();
      for (const w of waiters) {
        if (w.signal === undefined) continue;
        const list = bySignal.get(w.signal);
        if (list === undefined) bySignal.set(w.signal, [w]);
        else list.push(w);
      }
      const detach: (() => void)[] = [];
      const drop = (signal: AbortSignal, members: readonly Waiter[]) => {
        for (const w of members) w.reject(signal.reason);
        live -= members.length;
        // The request goes on while anyone still wants it.
        if (live === 0) controller.abort(signal.reason);
      };
      for (const [signal, members] of bySignal) {
        // Aborted between read() and this flush: an abort event will not come again.
        if (signal.aborted) {
          drop(signal, members);
          continue;
        }
        const onAbort = () => drop(signal, members);
        signal.addEventListener("abort", onAbort, { once: true });
        detach.push(() => signal.removeEventListener("abort", onAbort));
      }
      const settle = () => {
        for (const off of detach) off();
      };
      this.#fetch(req.start, req.end, controller.signal).then(
        (bytes) => {
          settle();
          for (const w of waiters) w.resolve(bytes.subarray(w.start - req.start, w.end - req.start));
        },
        (err: unknown) => {
          settle();
          for (const w of waiters) w.reject(err);
        },
      );
    }
  }

  /** Fetches `[start, end)` whole, retrying and resuming until it has every byte or gives up. */
  async #fetch(start: number, end: number, signal: AbortSignal): Promise<Uint8Array> {
    const sink: Sink = { buf: new Uint8Array(end - start), start, filled: 0 };
    const retries = this.#options.retries ?? 4;
    let failures = 0;
    for (let attempt = 1; sink.filled < sink.buf.length; attempt++) {
      const before = sink.filled;
      try {
        await this.#limiter.run(() => this.#attempt(sink, signal), signal);
      } catch (err) {
        if (signal.aborted) throw signal.reason;
        const retryable = isRetryable(err);
        // A request that made progress (a body cut short) resumes without using up a retry; a body
        // that stalled did not really progress (a server that trickles a few bytes and stops on
        // every attempt would otherwise keep us for MAX_ATTEMPTS idle timeouts).
        const stalled = err instanceof StallError;
        failures = sink.filled > before && !stalled ? 0 : failures + 1;
        if (!retryable || failures > retries || attempt >= MAX_ATTEMPTS)
          throw describe(err, attempt, this.digest);
        this.stats.retries++;
        const asked = isRegistryError(err) ? parseRetryAfter(err.retryAfter) : undefined;
        const maxAfter = this.#options.maxRetryAfterMs ?? 30_000;
        if (asked !== undefined && asked > maxAfter) {
          throw new RegistryError(
            RegistryErrorCode.HTTP_STATUS,
            `blob ${this.digest}: the registry asks to retry after ${Math.round(asked / 1000)} s, more than the ${maxAfter / 1000} s allowed`,
            {
              cause: err,
              ...(isRegistryError(err) && err.status !== undefined ? { status: err.status } : {}),
            },
          );
        }
        await sleep(asked ?? backoffMs(failures - 1, this.#options), signal);
      }
    }
    return sink.buf;
  }

  /** One request for the part of `sink` still missing; adds what arrives, even when it fails. */
  async #attempt(sink: Sink, outer: AbortSignal): Promise<void> {
    const from = sink.start + sink.filled;
    const to = sink.start + sink.buf.length;
    const idle = new AbortController();
    const signal = AbortSignal.any([outer, idle.signal]);
    const idleMs = this.#options.idleTimeoutMs ?? 30_000;
    let timer = setTimeout(() => idle.abort(), idleMs);
    const touch = () => {
      clearTimeout(timer);
      timer = setTimeout(() => idle.abort(), idleMs);
    };
    const done = this.#clock.start();
    this.stats.rangeRequests++;
    let body: Readable | undefined;
    try {
      const answer = await this.#client.getBlobRange(this.#repository, this.digest, from, to, { signal });
      body = answer.body;
      touch();
      const where = { url: answer.url };
      if (answer.status === 206) {
        const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(answer.contentRange?.trim() ?? "");
        const a = Number(m?.[1]);
        const b = Number(m?.[2]);
        if (m === null || a !== from || b < a || b >= to || (m[3] !== "*" && Number(m[3]) !== this.#size)) {
          throw new RegistryError(
            RegistryErrorCode.RANGE,
            `blob ${this.digest}: asked for bytes ${from}-${to - 1} of ${this.#size}, got Content-Range "${answer.contentRange ?? ""}"`,
            where,
          );
        }
        const expected = b - a + 1;
        if (answer.contentLength !== undefined && Number(answer.contentLength) !== expected) {
          throw new RegistryError(
            RegistryErrorCode.RANGE,
            `blob ${this.digest}: Content-Length ${answer.contentLength} for a ${expected}-byte range`,
            where,
          );
        }
        const limit = sink.filled + expected;
        for await (const chunk of body as AsyncIterable<Buffer>) {
          touch();
          this.stats.rangeBytes += chunk.length;
          if (sink.filled + chunk.length > limit) {
            throw new RegistryError(
              RegistryErrorCode.RANGE,
              `blob ${this.digest}: more bytes than the range`,
              where,
            );
          }
          sink.buf.set(chunk, sink.filled);
          sink.filled += chunk.length;
        }
        if (sink.filled < limit)
          throw cutShort(this.digest, sink.filled - (limit - expected), expected, where.url);
        return;
      }
      // 200: the whole blob from byte 0. Read through to the wanted bytes, then stop.
      this.stats.rangeIgnored++;
      const budget = this.#options.ignoredRangeBudget ?? 64 * 1024 * 1024;
      if (to > budget) {
        throw new RegistryError(
          RegistryErrorCode.RANGE_IGNORED,
          `blob ${this.digest}: the server ignores Range requests, and reading through to byte ${to} exceeds the ${budget}-byte budget`,
          where,
        );
      }
      if (answer.contentLength !== undefined && Number(answer.contentLength) !== this.#size) {
        throw new RegistryError(
          RegistryErrorCode.RANGE,
          `blob ${this.digest}: a 200 answer of ${answer.contentLength} bytes for a ${this.#size}-byte blob`,
          where,
        );
      }
      let pos = 0;
      for await (const chunk of body as AsyncIterable<Buffer>) {
        touch();
        this.stats.rangeBytes += chunk.length;
        const chunkEnd = pos + chunk.length;
        const lo = Math.max(pos, from);
        const hi = Math.min(chunkEnd, to);
        if (hi > lo) {
          sink.buf.set(chunk.subarray(lo - pos, hi - pos), lo - sink.start);
          sink.filled = hi - sink.start;
        }
        pos = chunkEnd;
        if (pos >= to) return;
      }
      throw cutShort(this.digest, Math.max(0, pos - from), to - from, where.url);
    } catch (err) {
      if (idle.signal.aborted && !outer.aborted) {
        throw new StallError(
          `blob ${this.digest}: no data for ${idleMs} ms (at byte ${sink.start + sink.filled})`,
          err,
        );
      }
      if (outer.aborted) throw outer.reason;
      if (err instanceof RegistryError) throw err;
      throw new RegistryError(
        RegistryErrorCode.NETWORK,
        `blob ${this.digest}: download failed at byte ${sink.start + sink.filled}: ${(err as Error).message}`,
        { cause: err },
      );
    } finally {
      clearTimeout(timer);
      done();
      if (body !== undefined && !body.destroyed) {
        body.on("error", () => {});
        body.destroy();
      }
    }
  }
}

/** A body that sent nothing for the idle timeout: a network error that counts as a failure. */
class StallError extends RegistryError {
  constructor(message: string, cause: unknown) {
    super(RegistryErrorCode.NETWORK, message, { cause });
  }
}

function cutShort(digest: string, got: number, expected: number, url: string): RegistryError {
  return new RegistryError(
    RegistryErrorCode.NETWORK,
    `blob ${digest}: body cut short at ${got} of ${expected} bytes`,
    {
      url,
    },
  );
}

/** Network failures, cut-off bodies and overload statuses may succeed on another try. */
function isRetryable(err: unknown): boolean {
  if (!isRegistryError(err)) return false;
  if (err.code === RegistryErrorCode.NETWORK) return true;
  return err.status !== undefined && isRetryableStatus(err.status);
}

/** The final error, saying how many attempts were made. */
function describe(err: unknown, attempts: number, digest: string): unknown {
  if (!isRegistryError(err) || attempts === 1) return err;
  return new RegistryError(err.code, `${err.message} (gave up after ${attempts} attempts)`, {
    cause: err,
    ...(err.status === undefined ? {} : { status: err.status }),
    ...(err.url === undefined ? { url: `blob ${digest}` } : { url: err.url }),
  });
}
