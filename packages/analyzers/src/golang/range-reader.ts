// The ranged-read surface the binary analyzers share, and a reader that insists on full reads.
import type { MatchedFile } from "../plugin.js";

/**
 * Something that serves byte ranges: a {@link MatchedFile} in `range` access, or an archive entry
 * held in memory. `read` clamps to `size`, like `MatchedFile.read`.
 */
export interface RangeReader {
  readonly size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
}

/**
 * Reads exactly `length` bytes at `offset`, or throws naming `what`: a short read means the
 * structure that pointed there lies beyond the file's end.
 */
export async function readExact(
  file: RangeReader,
  offset: number,
  length: number,
  what: string,
): Promise<Uint8Array> {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new Error(`${what}: bad range ${offset}+${length}`);
  }
  if (offset + length > file.size) {
    throw new Error(
      `${what}: range ${offset}+${length} lies beyond the end of the file (${file.size} bytes)`,
    );
  }
  const bytes = await file.read(offset, length);
  if (bytes.length !== length) {
    throw new Error(`${what}: short read, ${bytes.length} of ${length} bytes at ${offset}`);
  }
  return bytes;
}

/** A {@link RangeReader} over bytes already in memory. */
export function memoryReader(bytes: Uint8Array): RangeReader {
  return {
    size: bytes.length,
    read: async (offset, length) => bytes.subarray(offset, Math.min(bytes.length, offset + length)),
  };
}

/** A {@link RangeReader} over `size` bytes of `outer` starting at `base`: a stored zip entry. */
export function sliceReader(outer: RangeReader, base: number, size: number): RangeReader {
  return {
    size,
    read: (offset, length) => {
      const start = Math.min(Math.max(0, offset), size);
      return outer.read(base + start, Math.max(0, Math.min(length, size - start)));
    },
  };
}
