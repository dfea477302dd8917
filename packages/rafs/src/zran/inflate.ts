// Raw DEFLATE decoder (RFC 1951) that can start at any bit position with a preset window, plus the
// gzip member framing (RFC 1952) needed to run across members. Zran chunks need it (reference 4.9):
// their checkpoints sit at deflate block boundaries that may fall mid-byte.
import { RafsError, RafsErrorCode } from "../errors.js";

/** Largest output `inflateRaw` allocates unless told otherwise: 64 MiB. */
export const DEFAULT_MAX_INFLATE_OUTPUT = 64 * 1024 * 1024;

/** Deflate distances reach at most 32 KiB back (RFC 1951 3.2.5), so that is all of a window that matters. */
export const DEFLATE_WINDOW_SIZE = 32 * 1024;

/** A deflate block boundary, reported to {@link InflateRawOptions.onBlock}. */
export interface InflateBlockInfo {
  /**
   * Bit position of the block header, counted from bit 0 of `input[0]`. Negative when the block
   * starts inside the pending bits that precede the input.
   */
  readonly bitPos: number;
  /** Output bytes produced before this block. */
  readonly outPos: number;
  /** BTYPE: 0 stored, 1 fixed Huffman, 2 dynamic Huffman. */
  readonly type: 0 | 1 | 2;
  /** BFINAL: the last block of its deflate stream. */
  readonly final: boolean;
  /** Output position where the current deflate stream (gzip member) began; 0 for the first. */
  readonly streamStart: number;
}

/** Options of {@link inflateRaw}. */
export interface InflateRawOptions {
  /** Exact number of bytes to produce. Decoding stops there, even mid-block or mid-match. */
  readonly outLen: number;
  /** Bit position in `input` (bit 0 = least significant bit of `input[0]`) of the first block header. Default 0. */
  readonly bitOffset?: number;
  /**
   * Bits (0..7) of the stream that precede `input[0]`: the top `pendingBits` bits of `pendingByte`,
   * as zlib's `inflatePrime(bits, byte >> (8 - bits))`. Stored blocks still align to the byte
   * boundaries of `input`. Cannot be combined with a non-zero `bitOffset`. Default 0.
   */
  readonly pendingBits?: number;
  /** The byte whose top `pendingBits` bits are pending (zran `ctx_byte`). Default 0. */
  readonly pendingByte?: number;
  /** Preset history, as zlib's `inflateSetDictionary`; only its last 32 KiB are reachable. Default none. */
  readonly window?: Uint8Array;
  /**
   * When a deflate stream ends before `outLen`, skip the 8-byte gzip trailer, parse the next gzip
   * member header and continue (with no history, as a new member cannot refer back). Default false.
   */
  readonly gzipMembers?: boolean;
  /** Largest `outLen` accepted; beyond it `RAFS_LIMIT`. Default {@link DEFAULT_MAX_INFLATE_OUTPUT}. */
  readonly maxOutput?: number;
  /** Called at every block boundary, after its 3-bit header is read. Default none. */
  readonly onBlock?: (block: InflateBlockInfo) => void;
  /** Names the data in error messages. Default `"deflate stream"`. */
  readonly where?: string;
}

// A decoding-table entry packs what a code means, so the hot loop needs no second lookup:
//   bits 0..3   number of bits the code uses (for a link: the root bits)
//   bits 4..11  kind: 0 literal, 16 + n length with n extra bits, 32 end of block,
//               64 + n link to a 2^n-entry subtable, 128 invalid symbol
//   bits 12..   literal byte, length or distance base, or subtable offset
const KIND_LENGTH = 16;
const KIND_END = 32;
const KIND_LINK = 64;
const KIND_INVALID = 128;
const KIND_FIELD = 0xff << 4;
const LINK_FLAG = KIND_LINK << 4;
const INVALID_ENTRY = KIND_INVALID << 4;

// Root index widths. Longer codes go through one subtable. 10/8 keep the tables small enough to
// rebuild per dynamic block while most codes resolve in one lookup.
const LITLEN_ROOT = 10;
const DIST_ROOT = 8;
const CODELEN_ROOT = 7;
// Worst cases for complete codes with these roots are 1332 and 400 entries (zlib's `enough`
// tool); incomplete codes are only accepted when they need no subtable.
const LITLEN_TABLE_SIZE = 1536;
const DIST_TABLE_SIZE = 512;

const MAX_BITS = 15;
const MAX_LITLEN_SYMBOLS = 286;
const MAX_DIST_SYMBOLS = 30;

// RFC 1951 3.2.5: length codes 257..285 and distance codes 0..29.
const LENGTH_BASE = [
  3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195,
  227, 258,
];
const LENGTH_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE = [
  1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097,
  6145, 8193, 12289, 16385, 24577,
];
const DIST_EXTRA = [
  0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
];
// RFC 1951 3.2.7: the order in which code-length code lengths are sent.
const CODELEN_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

/** Table entry (without its bit count) for each symbol of the three alphabets. */
const LITLEN_MEANING = new Int32Array(288);
const DIST_MEANING = new Int32Array(32);
const CODELEN_MEANING = new Int32Array(19);
for (let s = 0; s < 288; s++) {
  let m: number;
  if (s < 256) m = s << 12;
  else if (s === 256) m = KIND_END << 4;
  else if (s < 286) {
    m = ((LENGTH_BASE[s - 257] as number) << 12) | ((KIND_LENGTH + (LENGTH_EXTRA[s - 257] as number)) << 4);
  } else m = INVALID_ENTRY; // 286 and 287 take part in the fixed code but must not occur
  LITLEN_MEANING[s] = m;
}
for (let s = 0; s < 32; s++) {
  DIST_MEANING[s] =
    s < 30
      ? ((DIST_BASE[s] as number) << 12) | ((KIND_LENGTH + (DIST_EXTRA[s] as number)) << 4)
      : INVALID_ENTRY; // 30 and 31 likewise
}
for (let s = 0; s < 19; s++) CODELEN_MEANING[s] = s << 12;

// Scratch space of buildTable. Safe to share: buildTable runs to completion without calling out.
const lenCount = new Uint16Array(MAX_BITS + 1);
const lenLeft = new Uint16Array(MAX_BITS + 1);
const lenOffset = new Uint16Array(MAX_BITS + 2);
const sortedSymbols = new Uint16Array(320);

function reverseBits(code: number, len: number): number {
  let r = 0;
  for (let i = 0; i < len; i++) {
    r = (r << 1) | (code & 1);
    code >>>= 1;
  }
  return r;
}

function fail(message: string, where: string): never {
  throw new RafsError(RafsErrorCode.DECOMPRESS, message, { where });
}

/**
 * Builds a canonical-Huffman decoding table (RFC 1951 3.2.2) from code lengths
 * `lens[start, start + n)`. Deflate sends codes starting at their most significant bit, so table
 * indices are bit-reversed codes; codes longer than `root` bits go through a subtable. Rejects
 * over-subscribed sets and, like zlib, incomplete ones except a single one-bit code (or no code at
 * all) for the literal/length and distance alphabets.
 */
function buildTable(
  lens: Uint8Array,
  start: number,
  n: number,
  meaning: Int32Array,
  table: Int32Array,
  root: number,
  codeLengthCodes: boolean,
  what: string,
  where: string,
): void {
  lenCount.fill(0);
  for (let i = 0; i < n; i++) {
    const len = lens[start + i] as number;
    lenCount[len] = (lenCount[len] as number) + 1;
  }
  let max = MAX_BITS;
  while (max > 0 && lenCount[max] === 0) max--;
  const size = 1 << root;
  table.fill(INVALID_ENTRY, 0, size);
  if (max === 0) return; // no codes: any use of this table is an error, caught while decoding
  let left = 1;
  for (let len = 1; len <= MAX_BITS; len++) {
    left = (left << 1) - (lenCount[len] as number);
    if (left < 0) fail(`over-subscribed ${what} code`, where);
  }
  if (left > 0 && (codeLengthCodes || max !== 1)) fail(`incomplete ${what} code`, where);

  lenOffset[1] = 0;
  for (let len = 1; len <= MAX_BITS; len++) {
    lenOffset[len + 1] = (lenOffset[len] as number) + (lenCount[len] as number);
  }
  for (let i = 0; i < n; i++) {
    const len = lens[start + i] as number;
    if (len !== 0) {
      const slot = lenOffset[len] as number;
      sortedSymbols[slot] = i;
      lenOffset[len] = slot + 1;
    }
  }
  lenLeft.set(lenCount);

  let code = 0; // canonical code, most significant bit first
  let next = size; // where the next subtable goes
  let prefix = -1;
  let subBase = 0;
  let subSize = 0;
  let k = 0;
  for (let len = 1; len <= max; len++) {
    for (let c = lenCount[len] as number; c > 0; c--) {
      const sym = sortedSymbols[k++] as number;
      const rev = reverseBits(code, len);
      const m = meaning[sym] as number;
      if (len <= root) {
        const e = m | len;
        for (let i = rev; i < size; i += 1 << len) table[i] = e;
      } else {
        if ((rev & (size - 1)) !== prefix) {
          prefix = rev & (size - 1);
          // The subtable must hold every remaining code that shares this root prefix; they come
          // next in canonical order, so count slots until the remaining codes fill the prefix.
          let bits = len - root;
          let slots = 1 << bits;
          while (bits + root < max) {
            slots -= lenLeft[bits + root] as number;
            if (slots <= 0) break;
            bits++;
            slots <<= 1;
          }
          subBase = next;
          subSize = 1 << bits;
          next += subSize;
          if (next > table.length) fail(`${what} code needs too large a table`, where);
          table.fill(INVALID_ENTRY, subBase, next);
          table[prefix] = (subBase << 12) | ((KIND_LINK + bits) << 4) | root;
        }
        const e = m | (len - root);
        for (let i = rev >>> root; i < subSize; i += 1 << (len - root)) table[subBase + i] = e;
      }
      lenLeft[len] = (lenLeft[len] as number) - 1;
      code++;
    }
    code <<= 1;
  }
}

let fixedTables: { litlen: Int32Array; dist: Int32Array } | undefined;

/** The fixed Huffman tables of RFC 1951 3.2.6, built once. */
function getFixedTables(): { litlen: Int32Array; dist: Int32Array } {
  if (fixedTables === undefined) {
    const lens = new Uint8Array(288 + 32);
    lens.fill(8, 0, 144);
    lens.fill(9, 144, 256);
    lens.fill(7, 256, 280);
    lens.fill(8, 280, 288);
    lens.fill(5, 288, 320);
    const litlen = new Int32Array(LITLEN_TABLE_SIZE);
    const dist = new Int32Array(DIST_TABLE_SIZE);
    buildTable(
      lens,
      0,
      288,
      LITLEN_MEANING,
      litlen,
      LITLEN_ROOT,
      false,
      "fixed literal/length",
      "fixed tables",
    );
    buildTable(lens, 288, 32, DIST_MEANING, dist, DIST_ROOT, false, "fixed distance", "fixed tables");
    fixedTables = { litlen, dist };
  }
  return fixedTables;
}

const GZIP_FTEXT_FHCRC = 0x02;
const GZIP_FEXTRA = 0x04;
const GZIP_FNAME = 0x08;
const GZIP_FCOMMENT = 0x10;
const GZIP_FRESERVED = 0xe0;

/**
 * Parses a gzip member header (RFC 1952 2.3) at `input[offset]` and returns the offset of the deflate
 * data after it. Handles FEXTRA, FNAME, FCOMMENT and FHCRC (whose CRC is not verified: the member's
 * data CRC cannot be checked from a mid-stream checkpoint either). Throws `RAFS_DECOMPRESS` when the
 * header is malformed or runs past the input.
 */
export function parseGzipHeader(input: Uint8Array, offset: number, where = "gzip member"): number {
  const end = input.length;
  if (!Number.isSafeInteger(offset) || offset < 0 || offset + 10 > end) {
    fail(`gzip header at input byte ${offset} runs past the input`, where);
  }
  if (input[offset] !== 0x1f || input[offset + 1] !== 0x8b) {
    fail(`no gzip magic at input byte ${offset}`, where);
  }
  const method = input[offset + 2] as number;
  if (method !== 8) {
    fail(`gzip member at input byte ${offset} has compression method ${method}, not deflate`, where);
  }
  const flags = input[offset + 3] as number;
  if ((flags & GZIP_FRESERVED) !== 0) {
    fail(`gzip member at input byte ${offset} sets reserved flags 0x${flags.toString(16)}`, where);
  }
  let p = offset + 10; // magic, CM, FLG, MTIME, XFL, OS
  if ((flags & GZIP_FEXTRA) !== 0) {
    if (p + 2 > end) fail("gzip FEXTRA length runs past the input", where);
    p += 2 + ((input[p] as number) | ((input[p + 1] as number) << 8));
    if (p > end) fail("gzip FEXTRA field runs past the input", where);
  }
  for (const flag of [GZIP_FNAME, GZIP_FCOMMENT]) {
    if ((flags & flag) !== 0) {
      const nul = input.indexOf(0, p);
      if (nul < 0) {
        fail(`gzip ${flag === GZIP_FNAME ? "FNAME" : "FCOMMENT"} has no terminating NUL in the input`, where);
      }
      p = nul + 1;
    }
  }
  if ((flags & GZIP_FTEXT_FHCRC) !== 0) {
    p += 2;
    if (p > end) fail("gzip FHCRC runs past the input", where);
  }
  return p;
}

/**
 * Decoder state. A class so the cold paths (headers, stored blocks, member switches) can share the
 * bit reader; the hot symbol loop copies the fields into locals, as V8 keeps those in registers.
 *
 * The bit buffer holds up to 32 bits, least significant first. Past the end of the input it is fed
 * zero bytes that are still counted in `pos`; `checkInput` turns any use of them into an error, so
 * the hot loop needs no bounds check per byte.
 */
class Inflater {
  readonly input: Uint8Array;
  readonly inEnd: number;
  pos = 0;
  bitBuf = 0;
  bitCount = 0;
  readonly out: Uint8Array;
  op = 0;
  readonly window: Uint8Array;
  /** Lowest output position a distance may reach: -window.length, or a member's start. */
  histStart: number;
  streamStart = 0;
  readonly where: string;
  readonly litlen = new Int32Array(LITLEN_TABLE_SIZE);
  readonly dist = new Int32Array(DIST_TABLE_SIZE);
  readonly lens = new Uint8Array(MAX_LITLEN_SYMBOLS + MAX_DIST_SYMBOLS);
  readonly codeLens = new Uint8Array(19);
  readonly codeTable = new Int32Array(1 << CODELEN_ROOT);

  constructor(input: Uint8Array, outLen: number, window: Uint8Array, where: string) {
    this.input = input;
    this.inEnd = input.length;
    this.out = new Uint8Array(outLen);
    this.window = window;
    this.histStart = -window.length;
    this.where = where;
  }

  /** Bit position of the reader, counted from bit 0 of input[0]. */
  bitPosition(): number {
    return this.pos * 8 - this.bitCount;
  }

  exhausted(): never {
    fail(`input exhausted after ${this.op} of ${this.out.length} output bytes`, this.where);
  }

  /** Fails when bits past the real input were consumed. */
  checkInput(): void {
    if (this.pos > this.inEnd && this.bitCount < (this.pos - this.inEnd) * 8) this.exhausted();
  }

  /**
   * Fails with `message`, unless bits past the end of the input were read: then the data was not
   * malformed but cut short, and the error says so.
   */
  bad(message: string): never {
    this.checkInput();
    fail(message, this.where);
  }

  /** Ensures at least `n` (<= 25) bits are buffered. */
  need(n: number): void {
    while (this.bitCount < n) {
      const p = this.pos++;
      this.bitBuf |= (p < this.inEnd ? (this.input[p] as number) : 0) << this.bitCount;
      this.bitCount += 8;
    }
  }

  take(n: number): number {
    this.need(n);
    const v = this.bitBuf & ((1 << n) - 1);
    this.bitBuf >>>= n;
    this.bitCount -= n;
    return v;
  }

  /** Drops bits up to the next byte boundary of the input and hands buffered whole bytes back. */
  alignToByte(): void {
    this.bitCount -= this.bitCount & 7;
    this.pos -= this.bitCount >>> 3;
    this.bitBuf = 0;
    this.bitCount = 0;
    if (this.pos > this.inEnd) this.exhausted();
  }

  stored(): void {
    this.alignToByte();
    const { input } = this;
    let p = this.pos;
    if (p + 4 > this.inEnd) this.exhausted();
    const len = (input[p] as number) | ((input[p + 1] as number) << 8);
    const nlen = (input[p + 2] as number) | ((input[p + 3] as number) << 8);
    if ((len ^ 0xffff) !== nlen) {
      this.bad(`stored block length ${len} does not match its complement ${nlen} at input byte ${p}`);
    }
    p += 4;
    const n = Math.min(len, this.out.length - this.op);
    if (p + n > this.inEnd) this.exhausted();
    this.out.set(input.subarray(p, p + n), this.op);
    this.op += n;
    this.pos = p + n;
  }

  /** Reads a dynamic block's code lengths (RFC 1951 3.2.7) and builds both tables. */
  dynamicTables(): void {
    const { lens, codeLens, codeTable, where } = this;
    const nlen = this.take(5) + 257;
    const ndist = this.take(5) + 1;
    const ncode = this.take(4) + 4;
    if (nlen > MAX_LITLEN_SYMBOLS) this.bad(`dynamic block declares ${nlen} literal/length codes`);
    if (ndist > MAX_DIST_SYMBOLS) this.bad(`dynamic block declares ${ndist} distance codes`);
    codeLens.fill(0);
    for (let i = 0; i < ncode; i++) codeLens[CODELEN_ORDER[i] as number] = this.take(3);
    this.checkInput();
    buildTable(codeLens, 0, 19, CODELEN_MEANING, codeTable, CODELEN_ROOT, true, "code length", where);
    const total = nlen + ndist;
    let i = 0;
    while (i < total) {
      this.need(14); // a code of at most 7 bits plus at most 7 extra bits
      const e = codeTable[this.bitBuf & ((1 << CODELEN_ROOT) - 1)] as number;
      if ((e & INVALID_ENTRY) !== 0) this.bad("invalid code-length code");
      const bits = e & 15;
      this.bitBuf >>>= bits;
      this.bitCount -= bits;
      const sym = e >>> 12;
      if (sym < 16) {
        lens[i++] = sym;
        continue;
      }
      let value = 0;
      let repeat: number;
      if (sym === 16) {
        if (i === 0) this.bad("code-length repeat with no previous length");
        value = lens[i - 1] as number;
        repeat = 3 + this.take(2);
      } else if (sym === 17) {
        repeat = 3 + this.take(3);
      } else {
        repeat = 11 + this.take(7);
      }
      if (i + repeat > total) this.bad("code-length repeat runs past the declared codes");
      lens.fill(value, i, i + repeat);
      i += repeat;
    }
    this.checkInput();
    if (lens[256] === 0) this.bad("dynamic block has no end-of-block code");
    buildTable(lens, 0, nlen, LITLEN_MEANING, this.litlen, LITLEN_ROOT, false, "literal/length", where);
    buildTable(lens, nlen, ndist, DIST_MEANING, this.dist, DIST_ROOT, false, "distance", where);
  }

  /** Skips the gzip trailer and the next member header after a deflate stream's final block. */
  nextMember(): void {
    this.alignToByte();
    if (this.pos + 8 > this.inEnd) this.exhausted();
    this.pos = parseGzipHeader(this.input, this.pos + 8, this.where);
    this.histStart = this.op;
    this.streamStart = this.op;
  }

  /**
   * Decodes one Huffman-coded block's symbols until end-of-block or until the output is full.
   * This is the hot loop: all state lives in locals and is written back on every exit.
   */
  codes(lt: Int32Array, dt: Int32Array): void {
    const { input, inEnd, out, window, histStart } = this;
    const outLen = out.length;
    const lmask = (1 << LITLEN_ROOT) - 1;
    const dmask = (1 << DIST_ROOT) - 1;
    let pos = this.pos;
    let bitBuf = this.bitBuf;
    let bitCount = this.bitCount;
    let op = this.op;
    let error = "";
    for (;;) {
      // Bits borrowed past the end of the input must not have been consumed.
      if (pos > inEnd && bitCount < (pos - inEnd) << 3) {
        error = "exhausted";
        break;
      }
      if (op >= outLen) break;
      // 20 bits cover the longest literal/length code (15) plus its extra bits (5).
      if (bitCount < 20) {
        do {
          bitBuf |= (pos < inEnd ? (input[pos] as number) : 0) << bitCount;
          pos++;
          bitCount += 8;
        } while (bitCount <= 24);
      }
      let e = lt[bitBuf & lmask] as number;
      if ((e & LINK_FLAG) !== 0) {
        bitBuf >>>= LITLEN_ROOT;
        bitCount -= LITLEN_ROOT;
        e = lt[(e >>> 12) + (bitBuf & ((1 << ((e >>> 4) & 15)) - 1))] as number;
      }
      let n = e & 15;
      bitBuf >>>= n;
      bitCount -= n;
      let kind = (e >>> 4) & 0xff;
      if (kind === 0) {
        out[op++] = e >>> 12;
        // Literals dominate; when the buffer still holds a full code, try a second one without
        // going round the loop (measured: about 13% faster on bgzip.tar.gz). A miss costs nothing,
        // as the entry is looked up again at the top.
        if (bitCount >= 15 && op < outLen) {
          e = lt[bitBuf & lmask] as number;
          if ((e & KIND_FIELD) === 0) {
            n = e & 15;
            bitBuf >>>= n;
            bitCount -= n;
            out[op++] = e >>> 12;
          }
        }
        continue;
      }
      if ((kind & KIND_LENGTH) === 0) {
        if ((kind & KIND_END) === 0) error = "invalid literal/length code";
        break;
      }
      // A match: the refill above left enough bits for the extra length bits.
      let len = e >>> 12;
      n = kind & 15;
      if (n !== 0) {
        len += bitBuf & ((1 << n) - 1);
        bitBuf >>>= n;
        bitCount -= n;
      }
      if (bitCount < 15) {
        do {
          bitBuf |= (pos < inEnd ? (input[pos] as number) : 0) << bitCount;
          pos++;
          bitCount += 8;
        } while (bitCount <= 24);
      }
      e = dt[bitBuf & dmask] as number;
      if ((e & LINK_FLAG) !== 0) {
        bitBuf >>>= DIST_ROOT;
        bitCount -= DIST_ROOT;
        e = dt[(e >>> 12) + (bitBuf & ((1 << ((e >>> 4) & 15)) - 1))] as number;
      }
      n = e & 15;
      bitBuf >>>= n;
      bitCount -= n;
      kind = (e >>> 4) & 0xff;
      if ((kind & KIND_LENGTH) === 0) {
        error = "invalid distance code";
        break;
      }
      let dist = e >>> 12;
      n = kind & 15;
      if (n !== 0) {
        if (bitCount < n) {
          do {
            bitBuf |= (pos < inEnd ? (input[pos] as number) : 0) << bitCount;
            pos++;
            bitCount += 8;
          } while (bitCount <= 24);
        }
        dist += bitBuf & ((1 << n) - 1);
        bitBuf >>>= n;
        bitCount -= n;
      }
      if (dist > op - histStart) {
        error = `distance ${dist} reaches before the available history (${op - histStart} bytes)`;
        break;
      }
      if (len > outLen - op) len = outLen - op;
      let from = op - dist;
      if (from < 0) {
        // The match starts in the preset window (only possible before any member switch).
        let w = window.length + from;
        const fromWindow = Math.min(len, -from);
        const stop = op + fromWindow;
        while (op < stop) out[op++] = window[w++] as number;
        len -= fromWindow;
        from = 0;
      }
      const end = op + len;
      if (dist >= len && len > 32) {
        out.copyWithin(op, from, end - dist);
        op = end;
      } else {
        // Overlapping matches repeat bytes just written, so copy forwards one byte at a time.
        while (op < end) out[op++] = out[from++] as number;
      }
    }
    this.pos = pos;
    this.bitBuf = bitBuf;
    this.bitCount = bitCount;
    this.op = op;
    if (error === "exhausted") this.exhausted();
    if (error !== "") this.bad(`${error} at output byte ${op}, input bit ${this.bitPosition()}`);
  }

  run(onBlock: ((block: InflateBlockInfo) => void) | undefined, gzipMembers: boolean): Uint8Array {
    const outLen = this.out.length;
    let final = false;
    while (this.op < outLen) {
      if (final) {
        if (!gzipMembers) fail(`deflate stream ended after ${this.op} of ${outLen} output bytes`, this.where);
        this.nextMember();
        final = false;
      }
      const bitPos = this.bitPosition();
      final = this.take(1) === 1;
      const type = this.take(2);
      if (type === 3) this.bad(`invalid block type 3 at input bit ${bitPos}`);
      this.checkInput();
      onBlock?.({ bitPos, outPos: this.op, type: type as 0 | 1 | 2, final, streamStart: this.streamStart });
      if (type === 0) {
        this.stored();
      } else if (type === 1) {
        const fixed = getFixedTables();
        this.codes(fixed.litlen, fixed.dist);
      } else {
        this.dynamicTables();
        this.codes(this.litlen, this.dist);
      }
    }
    this.checkInput();
    return this.out;
  }
}

function checkCount(value: number, name: string, max: number, where: string): void {
  if (!Number.isSafeInteger(value) || value < 0 || value > max) {
    fail(`${name} ${value} is not an integer in 0..${max}`, where);
  }
}

/**
 * Inflates raw DEFLATE data (no zlib or gzip wrapper) into exactly `outLen` bytes, starting at any
 * bit position, with an optional preset window. The output is allocated once.
 *
 * Throws `RAFS_LIMIT` when `outLen` exceeds `maxOutput`, and `RAFS_DECOMPRESS` on malformed data
 * (bad block type, bad code lengths, invalid codes, distances beyond the available history, stored
 * length mismatch), when the input ends before `outLen` bytes, or when the stream ends early and
 * `gzipMembers` is off.
 */
export function inflateRaw(input: Uint8Array, options: InflateRawOptions): Uint8Array {
  const where = options.where ?? "deflate stream";
  const { outLen } = options;
  const maxOutput = options.maxOutput ?? DEFAULT_MAX_INFLATE_OUTPUT;
  checkCount(outLen, "output length", Number.MAX_SAFE_INTEGER, where);
  if (outLen > maxOutput) {
    throw new RafsError(
      RafsErrorCode.LIMIT,
      `output length ${outLen} exceeds the limit of ${maxOutput} bytes`,
      { where },
    );
  }
  const bitOffset = options.bitOffset ?? 0;
  const pendingBits = options.pendingBits ?? 0;
  const pendingByte = options.pendingByte ?? 0;
  checkCount(bitOffset, "bit offset", input.length * 8, where);
  checkCount(pendingBits, "pending bit count", 7, where);
  checkCount(pendingByte, "pending byte", 255, where);
  if (pendingBits !== 0 && bitOffset !== 0) fail("pending bits and a bit offset cannot be combined", where);

  let window = options.window ?? new Uint8Array(0);
  if (window.length > DEFLATE_WINDOW_SIZE) window = window.subarray(window.length - DEFLATE_WINDOW_SIZE);
  const inflater = new Inflater(input, outLen, window, where);
  if (pendingBits !== 0) {
    // The pending bits are the top bits of the byte before input[0]; they come out first.
    inflater.bitBuf = pendingByte >>> (8 - pendingBits);
    inflater.bitCount = pendingBits;
  } else {
    inflater.pos = Math.floor(bitOffset / 8);
    const skip = bitOffset % 8;
    if (skip !== 0) {
      inflater.bitBuf = (input[inflater.pos] as number) >>> skip;
      inflater.bitCount = 8 - skip;
      inflater.pos++;
    }
  }
  return inflater.run(options.onBlock, options.gzipMembers ?? false);
}
