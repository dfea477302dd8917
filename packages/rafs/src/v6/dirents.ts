// EROFS directory blocks: 12-byte dirents followed by their names, sorted byte-wise across the
// directory. Format: Linux fs/erofs/erofs_fs.h (erofs_dirent), fs/erofs/namei.c; reference 3.8.
import { type ByteView, byteView, compareBytes, u8, u16, u64 } from "../bytes.js";
import { EROFS_DIRENT_SIZE } from "../constants.js";
import { corrupt } from "../errors.js";
import { fileTypeOfDirent } from "../file-type.js";
import type { FileType } from "../model.js";

/** A raw directory entry, "." and ".." included; `id` is the nid. */
export interface RawDirent {
  readonly id: number;
  readonly name: Uint8Array;
  /** From e_file_type; undefined when the entry says "unknown" (0). */
  readonly type: FileType | undefined;
}

/**
 * Where the name of entry `i` ends (its start is the entry's e_nameoff), checked; the last name
 * of a block is cut at its first NUL (Linux: strnlen). Returns a number, not a range, because it
 * runs once per entry of every walk.
 */
function nameEnd(b: ByteView, count: number, firstNameOff: number, i: number, where: () => string): number {
  const block = b.bytes;
  const o = i * EROFS_DIRENT_SIZE;
  const nameOff = u16(b, o + 8);
  const nextOff = i + 1 < count ? u16(b, o + EROFS_DIRENT_SIZE + 8) : block.length;
  if (nameOff < firstNameOff || nextOff <= nameOff || nextOff > block.length) {
    corrupt(`dirent ${i} name range [${nameOff}, ${nextOff}) is invalid`, where());
  }
  if (i + 1 < count) return nextOff;
  const nul = block.indexOf(0, nameOff);
  if (nul === nameOff) corrupt(`dirent ${i} has an empty name`, where());
  return nul < 0 || nul > nextOff ? nextOff : nul;
}

/** Entry count of a block, from the first name offset (the names follow the last dirent). */
function blockCount(b: ByteView, where: () => string): { count: number; firstNameOff: number } {
  if (b.bytes.length < EROFS_DIRENT_SIZE) corrupt(`directory block of ${b.bytes.length} bytes`, where());
  const firstNameOff = u16(b, 8);
  if (firstNameOff % EROFS_DIRENT_SIZE !== 0 || firstNameOff === 0 || firstNameOff > b.bytes.length) {
    corrupt(`invalid first name offset ${firstNameOff}`, where());
  }
  return { count: firstNameOff / EROFS_DIRENT_SIZE, firstNameOff };
}

function direntAt(b: ByteView, i: number, end: number, where: () => string): RawDirent {
  const o = i * EROFS_DIRENT_SIZE;
  const fileType = u8(b, o + 10);
  if (fileType > 7) corrupt(`dirent ${i} has file type ${fileType}`, where());
  return {
    id: u64(b, o, where, "dirent nid"),
    name: b.bytes.subarray(u16(b, o + 8), end),
    type: fileTypeOfDirent(fileType),
  };
}

/** Decodes one directory block of `block.length` bytes (the last block may be shorter). */
export function decodeDirBlock(block: Uint8Array, where: () => string): RawDirent[] {
  const b = byteView(block);
  const { count, firstNameOff } = blockCount(b, where);
  const out: RawDirent[] = new Array(count);
  for (let i = 0; i < count; i++) out[i] = direntAt(b, i, nameEnd(b, count, firstNameOff, i, where), where);
  return out;
}

/**
 * Looks `name` up in one block by binary search, comparing names in place (no entry is decoded
 * except the one found). `position` says whether the name sorts before (-1) or after (1) every
 * entry of the block, or inside its range (0).
 */
export function searchDirBlock(
  block: Uint8Array,
  name: Uint8Array,
  where: () => string,
): { position: -1 | 0 | 1; entry?: RawDirent } {
  const b = byteView(block);
  const { count, firstNameOff } = blockCount(b, where);
  const cmp = (i: number): number =>
    compareRange(block, u16(b, i * EROFS_DIRENT_SIZE + 8), nameEnd(b, count, firstNameOff, i, where), name);
  if (cmp(0) > 0) return { position: -1 };
  if (cmp(count - 1) < 0) return { position: 1 };
  let lo = 0;
  let hi = count - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const c = cmp(mid);
    if (c === 0)
      return { position: 0, entry: direntAt(b, mid, nameEnd(b, count, firstNameOff, mid, where), where) };
    if (c < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return { position: 0 };
}

/** Byte-wise comparison of `bytes[start, end)` with `name`. */
function compareRange(bytes: Uint8Array, start: number, end: number, name: Uint8Array): number {
  const n = Math.min(end - start, name.length);
  for (let i = 0; i < n; i++) {
    const d = (bytes[start + i] as number) - (name[i] as number);
    if (d !== 0) return d;
  }
  return end - start - name.length;
}

const DOT = new Uint8Array([0x2e]);
const DOTDOT = new Uint8Array([0x2e, 0x2e]);

/** True for the "." and ".." entries. */
export function isDotEntry(name: Uint8Array): boolean {
  return compareBytes(name, DOT) === 0 || compareBytes(name, DOTDOT) === 0;
}
