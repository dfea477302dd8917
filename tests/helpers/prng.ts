// A small seeded PRNG (sfc32) so that a failing generated tree can be replayed from its seed alone.

/**
 * Deterministic pseudo-random source. Not cryptographic: it only has to give the same sequence for
 * the same seed on every machine, which `Math.random` cannot.
 */
export class Prng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  /** @param seed any 32-bit integer; equal seeds give equal sequences. */
  constructor(seed: number) {
    // sfc32 needs a non-degenerate state; mixing the seed into four words and discarding the first
    // outputs spreads a small seed (0, 1, 2...) over the whole state.
    this.#a = 0x9e3779b9;
    this.#b = 0x243f6a88;
    this.#c = 0xb7e15162;
    this.#d = seed >>> 0;
    for (let i = 0; i < 16; i++) this.u32();
  }

  /** Next unsigned 32-bit value. */
  u32(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0;
    this.#d = (this.#d + 1) | 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) | 0;
    this.#c = (this.#c << 21) | (this.#c >>> 11);
    this.#c = (this.#c + t) | 0;
    return t >>> 0;
  }

  /** Uniform integer in [lo, hi] (inclusive); both bounds must be safe integers. */
  int(lo: number, hi: number): number {
    const span = hi - lo + 1;
    // Two draws give 53 bits (all a double holds exactly), enough for any span used here without
    // visible bias.
    const r = (this.u32() >>> 11) * 0x1_0000_0000 + this.u32();
    return lo + (r % span);
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.u32() / 0x1_0000_0000 < p;
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    const item = items[this.int(0, items.length - 1)];
    if (item === undefined) throw new Error("Prng.pick: empty array");
    return item;
  }

  /** `n` pseudo-random bytes. */
  bytes(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    let i = 0;
    for (; i + 4 <= n; i += 4) out.writeUInt32LE(this.u32(), i);
    for (; i < n; i++) out[i] = this.u32() & 0xff;
    return out;
  }
}
