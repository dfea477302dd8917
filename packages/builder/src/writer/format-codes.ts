// Numbers both bootstrap writers store: RafsSuperFlags compression bits, blob compression ids and
// st_mode type bits (reference 5.1, 5.2; POSIX).
import type { CompressorName, FileType } from "@rafscan/rafs";

/** RafsSuperFlags bit of each compressor. */
export const COMPRESSOR_FLAG: Readonly<Record<CompressorName, number>> = {
  none: 0x1,
  lz4_block: 0x2,
  gzip: 0x40,
  zstd: 0x80,
};

/** RafsV6Blob `compression_algo` / blob meta `ci_compressor` id of each compressor. */
export const COMPRESSOR_ID: Readonly<Record<CompressorName, number>> = {
  none: 0,
  lz4_block: 1,
  gzip: 2,
  zstd: 3,
};

/** st_mode type bits of each file type. */
export const TYPE_BITS: Readonly<Record<FileType, number>> = {
  file: 0o100000,
  dir: 0o040000,
  symlink: 0o120000,
  chardev: 0o020000,
  blockdev: 0o060000,
  fifo: 0o010000,
  socket: 0o140000,
};
