// Seeded randomness and byte mutations: every input of the campaign is a pure function of
// (target, campaign seed, case number), so a finding replays exactly from those three.

/** A 32-bit FNV-1a hash of a string: turns a case name into a PRNG seed. */
export function hashSeed(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** sfc32: small, fast and good enough for choosing mutations; `seed` is any 32-bit number. */
export function prng(seed) {
  let a = 0x9e3779b9;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = seed >>> 0;
  const next = () => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();
  const rng = {
    /** Uniform in [0, 1). */
    next,
    /** Integer in [0, n). */
    int: (n) => Math.floor(next() * n),
    /** One element of a non-empty array. */
    pick: (xs) => xs[Math.floor(next() * xs.length)],
    /** True with probability p. */
    chance: (p) => next() < p,
  };
  return rng;
}

/** Values that tend to break size and offset checks. */
const INTERESTING_32 = [
  0, 1, 2, 7, 8, 0x7f, 0x80, 0xff, 0x100, 0xfff, 0x1000, 0x7fff, 0x8000, 0xffff, 0x10000, 0x100000,
  0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff,
];

/**
 * Mutates a copy of `bytes` with 1 to 8 operations: bit flips, random bytes, interesting 8/16/32/64
 * bit values (aligned, as on-disk fields are), zeroed or duplicated ranges, truncation and
 * extension. `region` ([start, end)) focuses the writes, e.g. on a blob's meta section.
 */
export function mutateBytes(rng, bytes, region = [0, bytes.length]) {
  let out = Uint8Array.from(bytes);
  const [lo, hiRaw] = region;
  const hi = Math.max(lo + 1, Math.min(hiRaw, out.length));
  const at = () => lo + rng.int(hi - lo);
  const aligned = (w) => {
    const p = at();
    return Math.min(p - (p % w), Math.max(0, out.length - w));
  };
  const ops = 1 + rng.int(rng.chance(0.7) ? 3 : 8);
  for (let k = 0; k < ops && out.length > 0; k++) {
    const op = rng.int(10);
    if (op <= 2) {
      const p = at();
      if (p < out.length) out[p] ^= 1 << rng.int(8);
    } else if (op === 3) {
      const p = at();
      if (p < out.length) out[p] = rng.int(256);
    } else if (op <= 6) {
      const width = rng.pick([1, 2, 4, 4, 8]);
      const p = aligned(width);
      if (p + width > out.length) continue;
      const dv = new DataView(out.buffer, out.byteOffset, out.length);
      const v = rng.pick(INTERESTING_32);
      const delta = rng.chance(0.3) ? rng.int(17) - 8 : 0;
      if (width === 1) dv.setUint8(p, (v + delta) & 0xff);
      else if (width === 2) dv.setUint16(p, (v + delta) & 0xffff, true);
      else if (width === 4) dv.setUint32(p, (v + delta) >>> 0, true);
      else {
        dv.setUint32(p, (v + delta) >>> 0, true);
        dv.setUint32(p + 4, rng.chance(0.5) ? 0 : rng.pick(INTERESTING_32), true);
      }
    } else if (op === 7) {
      const p = at();
      const n = Math.min(out.length - p, 1 + rng.int(64));
      if (n > 0) out.fill(rng.chance(0.5) ? 0 : 0xff, p, p + n);
    } else if (op === 8) {
      // Copy a range over another: repeats structs, which tests duplicate-detection paths.
      const n = 1 + rng.int(128);
      const from = rng.int(Math.max(1, out.length - n));
      const to = at();
      if (to + n <= out.length && from + n <= out.length) out.copyWithin(to, from, from + n);
    } else if (rng.chance(0.5)) {
      out = out.subarray(0, lo + rng.int(Math.max(1, out.length - lo)));
    } else {
      const extra = new Uint8Array(1 + rng.int(4096));
      for (let i = 0; i < extra.length; i += 97) extra[i] = rng.int(256);
      const grown = new Uint8Array(out.length + extra.length);
      grown.set(out);
      grown.set(extra, out.length);
      out = grown;
    }
  }
  return out;
}

/** Replaces one value anywhere in a JSON document with a value of a random type. */
export function mutateJson(rng, bytes) {
  let doc;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch {
    return mutateBytes(rng, bytes);
  }
  const slots = [];
  const visit = (v, parent, key) => {
    if (parent !== undefined) slots.push([parent, key]);
    if (v !== null && typeof v === "object") for (const k of Object.keys(v)) visit(v[k], v, k);
  };
  visit(doc, undefined, undefined);
  const ops = 1 + rng.int(3);
  for (let i = 0; i < ops && slots.length > 0; i++) {
    const [parent, key] = rng.pick(slots);
    const old = parent[key];
    const choice = rng.int(10);
    if (choice === 0) delete parent[key];
    else if (choice === 1) parent[key] = null;
    else if (choice === 2) parent[key] = rng.pick([0, -1, 1.5, 2 ** 53, 2 ** 64, Number.MAX_SAFE_INTEGER]);
    else if (choice === 3) parent[key] = rng.pick(["", "x", "../../etc/passwd", "sha256:", "a".repeat(300)]);
    else if (choice === 4) parent[key] = [];
    else if (choice === 5) parent[key] = {};
    else if (choice === 6 && typeof old === "string") parent[key] = old.slice(0, rng.int(old.length + 1));
    else if (choice === 7 && typeof old === "number") parent[key] = old + rng.int(2049) - 1024;
    else if (choice === 8 && Array.isArray(old) && old.length > 0) old.push(old[rng.int(old.length)]);
    else if (typeof old === "boolean") parent[key] = !old;
    else parent[`x${rng.int(4)}`] = old;
  }
  return new TextEncoder().encode(JSON.stringify(doc));
}
