// The blob TOC (`rafs.blob.toc`) at a data blob's tail, and the walk over tar-headed sections.
// Format: nydus storage/src/meta/toc.rs (TocEntry, 128 bytes); reference sections 4.2 and 4.3.
import { byteView, cString, decodeName, need, u32, u64 } from "./bytes.js";
import { corrupt, RafsError, RafsErrorCode } from "./errors.js";
import type { CompressorName } from "./model.js";
import { decodeTarHeader, TAR_HEADER_SIZE } from "./tar-header.js";

export const TOC_ENTRY_SIZE = 128;
export const TOC_NAME = "rafs.blob.toc";
const MAX_TOC_ENTRIES = 64;

/** One TOC entry. */
export interface TocEntry {
  readonly name: string;
  /** TOC compression bits: 0x1 none, 0x2 zstd, 0x4 lz4_block. */
  readonly compressor: CompressorName;
  readonly uncompressedDigest: Uint8Array;
  readonly compressedOffset: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
}

/** Decodes TOC entries (the `size` bytes before the trailing `rafs.blob.toc` tar header). */
export function decodeTocEntries(bytes: Uint8Array, where = "blob TOC"): TocEntry[] {
  if (bytes.length % TOC_ENTRY_SIZE !== 0)
    corrupt(`TOC of ${bytes.length} bytes is not a multiple of 128`, where);
  const count = bytes.length / TOC_ENTRY_SIZE;
  if (count > MAX_TOC_ENTRIES) {
    throw new RafsError(RafsErrorCode.LIMIT, `TOC with ${count} entries`, { where });
  }
  const b = byteView(bytes);
  const out: TocEntry[] = [];
  for (let i = 0; i < count; i++) {
    const o = i * TOC_ENTRY_SIZE;
    const w = `${where} entry ${i}`;
    const flags = u32(b, o);
    out.push({
      name: decodeName(cString(bytes.subarray(o + 8, o + 24))),
      compressor: tocCompressor(flags & 0xf, w),
      uncompressedDigest: bytes.subarray(o + 24, o + 56),
      compressedOffset: u64(b, o + 56, `${w} compressed_offset`),
      compressedSize: u64(b, o + 64, `${w} compressed_size`),
      uncompressedSize: u64(b, o + 72, `${w} uncompressed_size`),
      // Bytes 80..127 (reserved2) are ignored: real blobs carry garbage there (reference 4.3).
    });
  }
  return out;
}

function tocCompressor(bits: number, where: string): CompressorName {
  switch (bits) {
    case 0x1:
      return "none";
    case 0x2:
      return "zstd";
    case 0x4:
      return "lz4_block";
    default:
      return corrupt(`unknown TOC compression bits 0x${bits.toString(16)}`, where);
  }
}

/**
 * Given the last 512 bytes of a blob, tells where the TOC entries are, or `undefined` when the
 * blob does not end with a `rafs.blob.toc` header.
 */
export function locateToc(tail: Uint8Array, blobSize: number): { offset: number; size: number } | undefined {
  if (tail.length < TAR_HEADER_SIZE || blobSize < TAR_HEADER_SIZE) return undefined;
  let header: ReturnType<typeof decodeTarHeader>;
  try {
    header = decodeTarHeader(tail.subarray(tail.length - TAR_HEADER_SIZE), "blob tail tar header");
  } catch {
    return undefined;
  }
  if (header.name !== TOC_NAME) return undefined;
  const offset = blobSize - TAR_HEADER_SIZE - header.size;
  if (offset < 0) corrupt(`TOC of ${header.size} bytes in a blob of ${blobSize}`, "blob TOC tar header");
  return { offset, size: header.size };
}

/** Finds an entry by name and checks it lies inside the blob. */
export function tocSection(
  entries: readonly TocEntry[],
  name: string,
  blobSize: number,
): TocEntry | undefined {
  const e = entries.find((x) => x.name === name);
  if (e === undefined) return undefined;
  need(blobSize, e.compressedOffset, e.compressedSize, `TOC section ${name}`);
  return e;
}
