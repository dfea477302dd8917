// RAFS v5 blob table and extended blob table. Format: nydus rafs/src/metadata/layout/v5.rs
// (RafsV5BlobTable, RafsV5ExtBlobTable); reference section 2.5 and 2.6.
import { byteView, cString, need, u32, u64 } from "../bytes.js";
import { RAFS_V5_EXT_BLOB_ENTRY_SIZE } from "../constants.js";
import { corrupt, RafsError, RafsErrorCode } from "../errors.js";
import type { Limits } from "../limits.js";
import type { BlobInfo } from "../model.js";
import type { V5SuperBlock } from "./superblock.js";

const BLOB_ENTRY_HEADER = 8;

/** Decodes the blob table and, when present, the extended blob table. */
export function decodeV5Blobs(bytes: Uint8Array, sb: V5SuperBlock, limits: Limits): BlobInfo[] {
  const where = "v5 blob table";
  need(bytes.length, sb.blobTableOffset, sb.blobTableSize, where);
  const table = bytes.subarray(sb.blobTableOffset, sb.blobTableOffset + sb.blobTableSize);
  const b = byteView(table);
  const ids: { id: string; readahead: [number, number] }[] = [];
  let off = 0;
  // Entries are packed back to back; the last one has no NUL and the table is zero-padded to 8,
  // so nydus stops when fewer than 9 bytes (header + one id byte) remain.
  while (table.length - off > BLOB_ENTRY_HEADER) {
    if (ids.length >= limits.maxBlobs) {
      throw new RafsError(RafsErrorCode.LIMIT, `more than ${limits.maxBlobs} blobs`, { where });
    }
    const readahead: [number, number] = [u32(b, off), u32(b, off + 4)];
    const rest = table.subarray(off + BLOB_ENTRY_HEADER);
    const id = cString(rest);
    if (id.length === 0) break; // zero padding after the last entry
    ids.push({ id: new TextDecoder().decode(id), readahead });
    off += BLOB_ENTRY_HEADER + id.length + 1;
  }
  const ext = sb.extBlobTableEntries;
  if (ext !== 0) {
    if (ext !== ids.length) corrupt(`extended blob table has ${ext} entries for ${ids.length} blobs`, where);
    need(bytes.length, sb.extBlobTableOffset, ext * RAFS_V5_EXT_BLOB_ENTRY_SIZE, "v5 extended blob table");
  }
  const e = byteView(bytes);
  return ids.map(({ id }, index) => {
    const base = sb.extBlobTableOffset + index * RAFS_V5_EXT_BLOB_ENTRY_SIZE;
    const hasExt = ext !== 0;
    return {
      index,
      id,
      compressor: sb.compressor,
      digester: sb.digester,
      chunkSize: sb.chunkSize,
      chunkCount: hasExt ? u32(e, base) : undefined,
      features: hasExt ? u32(e, base + 4) : 0,
      uncompressedSize: hasExt ? u64(e, base + 8, "v5 ext blob uncompressed_size") : undefined,
      compressedSize: hasExt ? u64(e, base + 16, "v5 ext blob compressed_size") : undefined,
      tocSize: 0,
    };
  });
}
