// Test-only zran checkpoint generator: decodes a whole gzip file with our inflater, records every
// deflate block boundary the way nydus's generator does (zlib Z_BLOCK stops), and turns a boundary
// into a ZranContext plus its input window and dictionary. Also a little bit writer and a gzip
// member builder for hand-made streams.
import type { ZranContext } from "../../src/zran/context.js";
import { DEFLATE_WINDOW_SIZE, inflateRaw, parseGzipHeader } from "../../src/zran/inflate.js";

/** A deflate block boundary in a gzip file. */
export interface Checkpoint {
  /** Bit position of the block header in the file. */
  readonly bitPos: number;
  /** Uncompressed position (whole multi-member stream). */
  readonly outPos: number;
  /** Block type of the block that starts here. */
  readonly type: 0 | 1 | 2;
  /** Output position where this checkpoint's gzip member began. */
  readonly streamStart: number;
}

/** The result of {@link scanCheckpoints}. */
export interface CheckpointScan {
  /** The whole uncompressed stream, as our inflater produced it. */
  readonly output: Uint8Array;
  readonly checkpoints: Checkpoint[];
}

/** Decodes `gz` (all members, `totalOut` bytes) and records every block boundary. */
export function scanCheckpoints(gz: Uint8Array, totalOut: number): CheckpointScan {
  const checkpoints: Checkpoint[] = [];
  const output = inflateRaw(gz, {
    bitOffset: parseGzipHeader(gz, 0) * 8,
    outLen: totalOut,
    gzipMembers: true,
    onBlock: (b) =>
      checkpoints.push({ bitPos: b.bitPos, outPos: b.outPos, type: b.type, streamStart: b.streamStart }),
  });
  return { output, checkpoints };
}

/** A context built from a checkpoint, with the bytes a reader would fetch for it. */
export interface CheckpointContext {
  readonly ctx: ZranContext;
  /** gz bytes `[ctx.inOffset, ctx.inOffset + ctx.inLen)`. */
  readonly input: Uint8Array;
  /** The last 32 KiB of the checkpoint's member output (zlib inflateGetDictionary). */
  readonly dictionary: Uint8Array;
}

/**
 * Builds the zran context nydus would record at `cp`: `in_offset = ceil(bitPos / 8)`, the pending
 * bits are the unused top bits of the byte before it, the dictionary is the member's last 32 KiB.
 * `inLen` defaults to the rest of the file.
 */
export function contextAt(
  gz: Uint8Array,
  scan: CheckpointScan,
  cp: Checkpoint,
  outLen: number,
  inLen?: number,
): CheckpointContext {
  const inOffset = Math.ceil(cp.bitPos / 8);
  const ctxBits = (8 - (cp.bitPos % 8)) % 8;
  const len = inLen ?? gz.length - inOffset;
  const dictionary = scan.output.subarray(
    Math.max(cp.streamStart, cp.outPos - DEFLATE_WINDOW_SIZE),
    cp.outPos,
  );
  return {
    ctx: {
      inOffset,
      outOffset: cp.outPos,
      dictOffset: 0,
      inLen: len,
      outLen,
      dictSize: dictionary.length,
      ctxByte: ctxBits > 0 ? (gz[inOffset - 1] as number) : 0,
      ctxBits,
    },
    input: gz.subarray(inOffset, inOffset + len),
    dictionary,
  };
}

/**
 * Serializes contexts as nydus stores them (40-byte ZranInflateContext records, then the
 * dictionaries back to back), with `dictOffset` assigned in order. Returns the table bytes.
 */
export function encodeZranTable(
  entries: readonly { ctx: ZranContext; dictionary: Uint8Array }[],
): Uint8Array {
  const dictTotal = entries.reduce((n, e) => n + e.dictionary.length, 0);
  const table = new Uint8Array(entries.length * 40 + dictTotal);
  const view = new DataView(table.buffer);
  let dictOff = 0;
  entries.forEach(({ ctx, dictionary }, i) => {
    const at = i * 40;
    view.setBigUint64(at, BigInt(ctx.inOffset), true);
    view.setBigUint64(at + 8, BigInt(ctx.outOffset), true);
    view.setBigUint64(at + 16, BigInt(dictOff), true);
    view.setUint32(at + 24, ctx.inLen, true);
    view.setUint32(at + 28, ctx.outLen, true);
    view.setUint32(at + 32, dictionary.length, true);
    view.setUint8(at + 36, ctx.ctxByte);
    view.setUint8(at + 37, ctx.ctxBits);
    table.set(dictionary, entries.length * 40 + dictOff);
    dictOff += dictionary.length;
  });
  return table;
}

/** Writes a deflate bit stream: values least significant bit first, Huffman codes most significant first. */
export class BitWriter {
  readonly #bytes: number[] = [];
  #acc = 0;
  #n = 0;

  bits(value: number, count: number): this {
    for (let i = 0; i < count; i++) this.#push((value >>> i) & 1);
    return this;
  }

  code(code: number, length: number): this {
    for (let i = length - 1; i >= 0; i--) this.#push((code >>> i) & 1);
    return this;
  }

  /** Pads to a byte boundary with zero bits. */
  align(): this {
    while (this.#n !== 0) this.#push(0);
    return this;
  }

  bytes(data: ArrayLike<number>): this {
    this.align();
    for (let i = 0; i < data.length; i++) this.#bytes.push(data[i] as number);
    return this;
  }

  finish(): Uint8Array {
    this.align();
    return Uint8Array.from(this.#bytes);
  }

  #push(bit: number): void {
    this.#acc |= bit << this.#n;
    if (++this.#n === 8) {
      this.#bytes.push(this.#acc);
      this.#acc = 0;
      this.#n = 0;
    }
  }
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (ISO-HDLC), for gzip trailers and FHCRC; node:zlib.crc32 needs Node 22. */
export function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of data) c = (CRC_TABLE[(c ^ b) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Optional gzip header fields of {@link gzipMember}. */
export interface GzipHeaderFields {
  readonly extra?: Uint8Array;
  readonly name?: string;
  readonly comment?: string;
  readonly headerCrc?: boolean;
}

/** One gzip member around raw deflate data, with a correct trailer (so node:zlib accepts it). */
export function gzipMember(
  deflated: Uint8Array,
  plain: Uint8Array,
  fields: GzipHeaderFields = {},
): Uint8Array {
  const head: number[] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];
  let flags = 0;
  if (fields.extra !== undefined) {
    flags |= 0x04;
    head.push(fields.extra.length & 0xff, fields.extra.length >>> 8, ...fields.extra);
  }
  if (fields.name !== undefined) {
    flags |= 0x08;
    head.push(...Buffer.from(fields.name, "latin1"), 0);
  }
  if (fields.comment !== undefined) {
    flags |= 0x10;
    head.push(...Buffer.from(fields.comment, "latin1"), 0);
  }
  if (fields.headerCrc === true) flags |= 0x02;
  head[3] = flags;
  if (fields.headerCrc === true) {
    const c = crc32(Uint8Array.from(head));
    head.push(c & 0xff, (c >>> 8) & 0xff);
  }
  const crc = crc32(plain);
  const size = plain.length >>> 0;
  const trailer = [crc & 0xff, (crc >>> 8) & 0xff, (crc >>> 16) & 0xff, crc >>> 24];
  trailer.push(size & 0xff, (size >>> 8) & 0xff, (size >>> 16) & 0xff, size >>> 24);
  return new Uint8Array(Buffer.concat([Uint8Array.from(head), deflated, Uint8Array.from(trailer)]));
}
