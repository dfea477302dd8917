// A pull-based reader over a stream of byte chunks: exact small reads (tar headers), views of up
// to n bytes (file data, without copying) and skips, with a running position for messages.

const EMPTY = new Uint8Array(0);

/** Reads an async iterable of chunks piece by piece; nothing is read ahead of what is asked. */
export class ByteReader {
  readonly #it: AsyncIterator<Uint8Array>;
  #buf: Uint8Array = EMPTY;
  #ended = false;
  #position = 0;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.#it = source[Symbol.asyncIterator]();
  }

  /** Bytes handed out (read or skipped) so far. */
  get position(): number {
    return this.#position;
  }

  /** Makes the current chunk non-empty; false at the end of the stream. */
  async #fill(): Promise<boolean> {
    while (this.#buf.length === 0) {
      if (this.#ended) return false;
      const r = await this.#it.next();
      if (r.done === true) {
        this.#ended = true;
        return false;
      }
      this.#buf = r.value;
    }
    return true;
  }

  /**
   * Reads exactly `n` bytes into one buffer, or fewer only when the stream ends first. `n` is
   * small (a header, a bounded PAX record): callers check it before asking.
   */
  async read(n: number): Promise<Uint8Array> {
    if (!(await this.#fill())) return EMPTY;
    if (this.#buf.length >= n) {
      const out = this.#buf.subarray(0, n);
      this.#buf = this.#buf.subarray(n);
      this.#position += n;
      return out;
    }
    const out = new Uint8Array(n);
    let have = 0;
    while (have < n && (await this.#fill())) {
      const take = Math.min(n - have, this.#buf.length);
      out.set(this.#buf.subarray(0, take), have);
      this.#buf = this.#buf.subarray(take);
      have += take;
    }
    this.#position += have;
    return have === n ? out : out.subarray(0, have);
  }

  /** A view of the next 1..`max` bytes as they arrived (no copy); undefined at the end. */
  async next(max: number): Promise<Uint8Array | undefined> {
    if (max <= 0 || !(await this.#fill())) return undefined;
    const out = this.#buf.length <= max ? this.#buf : this.#buf.subarray(0, max);
    this.#buf = this.#buf.subarray(out.length);
    this.#position += out.length;
    return out;
  }

  /** Skips up to `n` bytes; returns how many were skipped (fewer only at the end). */
  async skip(n: number): Promise<number> {
    let left = n;
    while (left > 0 && (await this.#fill())) {
      const take = Math.min(left, this.#buf.length);
      this.#buf = this.#buf.subarray(take);
      left -= take;
    }
    this.#position += n - left;
    return n - left;
  }

  /** Stops the source early (closes files, tears down decompressors). */
  async close(): Promise<void> {
    this.#buf = EMPTY;
    if (!this.#ended) {
      this.#ended = true;
      await this.#it.return?.();
    }
  }
}
