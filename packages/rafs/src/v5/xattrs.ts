// RAFS v5 inline xattrs: u64 total size, then (u32 pair_size, name, NUL, value) pairs, padded to 8.
// Format: nydus rafs/src/metadata/layout/v5.rs (RafsV5XAttrs); reference section 2.7.
import { alignUp, byteView, decodeName, need, u32, u64 } from "../bytes.js";
import { corrupt, RafsError, RafsErrorCode } from "../errors.js";
import type { Limits } from "../limits.js";
import type { Xattr } from "../model.js";

/** Decodes the xattr block at `offset`; returns the pairs and where the block ends. */
export function decodeV5Xattrs(
  bytes: Uint8Array,
  offset: number,
  limits: Limits,
  where: string,
): { xattrs: Xattr[]; end: number } {
  need(bytes.length, offset, 8, where);
  const b = byteView(bytes);
  const total = u64(b, offset, `${where} size`);
  const start = offset + 8;
  need(bytes.length, start, alignUp(total, 8), where);
  const xattrs: Xattr[] = [];
  let p = start;
  while (p < start + total) {
    if (xattrs.length >= limits.maxXattrsPerInode) {
      throw new RafsError(RafsErrorCode.LIMIT, `more than ${limits.maxXattrsPerInode} xattrs`, { where });
    }
    if (start + total - p < 4) corrupt("truncated xattr pair header", where);
    const pairSize = u32(b, p);
    p += 4;
    if (pairSize > start + total - p) corrupt(`xattr pair of ${pairSize} bytes overruns the block`, where);
    const pair = bytes.subarray(p, p + pairSize);
    const nul = pair.indexOf(0);
    if (nul <= 0) corrupt("xattr pair without a name", where);
    xattrs.push({ name: decodeName(pair.subarray(0, nul)), value: pair.subarray(nul + 1) });
    p += pairSize;
  }
  return { xattrs, end: start + alignUp(total, 8) };
}
