// A MatchedFile over in-memory bytes that records every read, so tests can assert how little of
// a large file an analyzer touched.
import type { MatchedFile } from "../../../src/plugin.js";

/** Read statistics of a {@link countingFile}. */
export interface ReadStats {
  reads: number;
  bytes: number;
  /** Set when `bytes()` or `text()` (a whole read) was called. */
  whole: boolean;
}

/** A MatchedFile over `content` that counts reads into `stats`. */
export function countingFile(
  path: string,
  content: Uint8Array,
  mode = 0o100755,
): { file: MatchedFile; stats: ReadStats } {
  const stats: ReadStats = { reads: 0, bytes: 0, whole: false };
  const file: MatchedFile = {
    path,
    size: content.length,
    mode,
    bytes: async () => {
      stats.whole = true;
      stats.reads++;
      stats.bytes += content.length;
      return content;
    },
    read: async (offset, length) => {
      const out = content.subarray(offset, Math.min(content.length, offset + length));
      stats.reads++;
      stats.bytes += out.length;
      return out;
    },
    text: async () => {
      stats.whole = true;
      stats.bytes += content.length;
      return new TextDecoder().decode(content);
    },
  };
  return { file, stats };
}
