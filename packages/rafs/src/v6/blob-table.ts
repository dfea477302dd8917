// RAFS v6 blob table (RafsV6Blob, 256 B each) and the EROFS device table (128 B slots).
// Format: nydus rafs/src/metadata/layout/v6.rs; Linux erofs_deviceslot; reference 3.4 and 3.5.
import { byteView, cString, isZero, need, toHex, u32, u64 } from "../bytes.js";
import { BlobFeatures, EROFS_DEVICE_SLOT_SIZE, RAFS_V6_BLOB_ENTRY_SIZE } from "../constants.js";
import { corrupt, RafsError, RafsErrorCode } from "../errors.js";
import type { Limits } from "../limits.js";
import type { BlobInfo, CompressorName, DigesterName } from "../model.js";
import type { ErofsSuperBlock, RafsV6ExtSuperBlock } from "./superblock.js";

const COMPRESSORS: readonly CompressorName[] = ["none", "lz4_block", "gzip", "zstd"];

/** One EROFS device slot. */
export interface DeviceSlot {
  readonly tag: string;
  readonly blocks: number;
  readonly mappedBlkaddr: number;
}

/** Decodes the device table (`extra_devices` slots at `devt_slotoff * 128`). */
export function decodeDeviceTable(bytes: Uint8Array, sb: ErofsSuperBlock, limits: Limits): DeviceSlot[] {
  const where = "EROFS device table";
  if (sb.extraDevices > limits.maxBlobs) {
    throw new RafsError(RafsErrorCode.LIMIT, `${sb.extraDevices} devices exceed maxBlobs`, { where });
  }
  if (sb.extraDevices === 0) return [];
  const base = sb.devtSlotoff * EROFS_DEVICE_SLOT_SIZE;
  need(bytes.length, base, sb.extraDevices * EROFS_DEVICE_SLOT_SIZE, where);
  const b = byteView(bytes);
  const out: DeviceSlot[] = [];
  for (let i = 0; i < sb.extraDevices; i++) {
    const o = base + i * EROFS_DEVICE_SLOT_SIZE;
    out.push({
      tag: new TextDecoder().decode(cString(bytes.subarray(o, o + 64))),
      blocks: u32(b, o + 64),
      mappedBlkaddr: u32(b, o + 68),
    });
  }
  return out;
}

/** Decodes the RAFS v6 blob table. */
export function decodeRafsV6Blobs(bytes: Uint8Array, ext: RafsV6ExtSuperBlock, limits: Limits): BlobInfo[] {
  const where = "RAFS v6 blob table";
  const count = ext.blobTableSize / RAFS_V6_BLOB_ENTRY_SIZE;
  if (count > limits.maxBlobs)
    throw new RafsError(RafsErrorCode.LIMIT, `${count} blobs exceed maxBlobs`, { where });
  need(bytes.length, ext.blobTableOffset, ext.blobTableSize, where);
  const b = byteView(bytes);
  const out: BlobInfo[] = [];
  for (let i = 0; i < count; i++) {
    const o = ext.blobTableOffset + i * RAFS_V6_BLOB_ENTRY_SIZE;
    const w = `${where} entry ${i}`;
    const id = new TextDecoder().decode(cString(bytes.subarray(o, o + 64)));
    if (u32(b, o + 64) !== i) corrupt(`blob_index ${u32(b, o + 64)} in slot ${i}`, w);
    const chunkSize = u32(b, o + 68);
    if (chunkSize !== ext.chunkSize)
      corrupt(`chunk size ${chunkSize} differs from the superblock's ${ext.chunkSize}`, w);
    const chunkCount = u32(b, o + 72);
    if (chunkCount > 1 << 24) corrupt(`chunk count ${chunkCount} exceeds 2^24`, w);
    const compressor = COMPRESSORS[u32(b, o + 76)];
    if (compressor === undefined) corrupt(`unknown compression_algo ${u32(b, o + 76)}`, w);
    const digestAlgo = u32(b, o + 80);
    const digester: DigesterName | undefined =
      digestAlgo === 0 ? "blake3" : digestAlgo === 1 ? "sha256" : undefined;
    if (digester === undefined) corrupt(`unknown digest_algo ${digestAlgo}`, w);
    const features = u32(b, o + 84);
    // Nydus rejects bits 12..15 and the in-memory-only bit 31.
    if (features & 0xf000 || features & BlobFeatures._V5_NO_EXT_BLOB_TABLE) {
      corrupt(`invalid blob features 0x${features.toString(16)}`, w);
    }
    const ciCompressor = COMPRESSORS[u32(b, o + 108)] ?? "none";
    const ciOffset = u64(b, o + 112, `${w} ci_offset`);
    const ciCompressedSize = u64(b, o + 120, `${w} ci_compressed_size`);
    const ciUncompressedSize = u64(b, o + 128, `${w} ci_uncompressed_size`);
    const tocDigest = bytes.subarray(o + 136, o + 168);
    const metaDigest = bytes.subarray(o + 168, o + 200);
    const cipherAlgo = u32(b, o + 216);
    const encrypted = cipherAlgo !== 0 || (features & BlobFeatures.ENCRYPTED) !== 0;
    const separate = (features & BlobFeatures.SEPARATE) !== 0;
    out.push({
      index: i,
      id,
      compressor,
      digester,
      chunkSize,
      chunkCount,
      features,
      compressedSize: u64(b, o + 88, `${w} compressed_size`),
      uncompressedSize: u64(b, o + 96, `${w} uncompressed_size`),
      tocSize: u32(b, o + 104),
      ...(isZero(tocDigest) ? {} : { tocDigest }),
      ...(ciUncompressedSize > 0
        ? {
            meta: {
              compressor: ciCompressor,
              offset: ciOffset,
              compressedSize: ciCompressedSize,
              uncompressedSize: ciUncompressedSize,
              // With encryption this field holds the key, not a digest (reference 3.5).
              ...(separate && !encrypted && !isZero(metaDigest) ? { separateMetaId: toHex(metaDigest) } : {}),
            },
          }
        : {}),
      encrypted,
    });
  }
  return out;
}
