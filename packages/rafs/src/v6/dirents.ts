// EROFS directory blocks: 12-byte dirents followed by their names, sorted byte-wise across the
// directory. Format: Linux fs/erofs/erofs_fs.h (erofs_dirent), fs/erofs/namei.c; reference 3.8.
import { byteView, compareBytes, u8, u16, u64 } from "../bytes.js";
import { EROFS_DIRENT_SIZE } from "../constants.js";
import { corrupt } from "../errors.js";
import { fileTypeOfDirent } from "../file-type.js";
import type { FileType } from "../model.js";

/** A raw directory entry, "." and ".." included. */
export interface RawDirent {
  readonly nid: number;
  readonly name: Uint8Array;
  /** From e_file_type; undefined when the entry says "unknown" (0). */
  readonly type: FileType | undefined;
}

/** Decodes one directory block of `block.length` bytes (the last block may be shorter). */
export function decodeDirBlock(block: Uint8Array, where: string): RawDirent[] {
  if (block.length < EROFS_DIRENT_SIZE) corrupt(`directory block of ${block.length} bytes`, where);
  const b = byteView(block);
  const firstNameOff = u16(b, 8);
  // The first name starts right after the last dirent, which gives the entry count.
  if (firstNameOff % EROFS_DIRENT_SIZE !== 0 || firstNameOff === 0 || firstNameOff > block.length) {
    corrupt(`invalid first name offset ${firstNameOff}`, where);
  }
  const count = firstNameOff / EROFS_DIRENT_SIZE;
  const out: RawDirent[] = [];
  for (let i = 0; i < count; i++) {
    const o = i * EROFS_DIRENT_SIZE;
    const nameOff = u16(b, o + 8);
    const nextOff = i + 1 < count ? u16(b, o + EROFS_DIRENT_SIZE + 8) : block.length;
    if (nameOff < firstNameOff || nextOff <= nameOff || nextOff > block.length) {
      corrupt(`dirent ${i} name range [${nameOff}, ${nextOff}) is invalid`, where);
    }
    let name = block.subarray(nameOff, nextOff);
    // Only the last name of a block may be followed by NUL padding (Linux: strnlen).
    if (i + 1 === count) {
      const nul = name.indexOf(0);
      if (nul === 0) corrupt(`dirent ${i} has an empty name`, where);
      if (nul > 0) name = name.subarray(0, nul);
    }
    const fileType = u8(b, o + 10);
    if (fileType > 7) corrupt(`dirent ${i} has file type ${fileType}`, where);
    out.push({ nid: u64(b, o, `${where} dirent ${i} nid`), name, type: fileTypeOfDirent(fileType) });
  }
  return out;
}

/** Binary search for `name` in one decoded block. */
export function findInBlock(entries: readonly RawDirent[], name: Uint8Array): RawDirent | undefined {
  let lo = 0;
  let hi = entries.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const e = entries[mid];
    if (e === undefined) break;
    const c = compareBytes(e.name, name);
    if (c === 0) return e;
    if (c < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}

const DOT = new Uint8Array([0x2e]);
const DOTDOT = new Uint8Array([0x2e, 0x2e]);

/** True for the "." and ".." entries. */
export function isDotEntry(name: Uint8Array): boolean {
  return compareBytes(name, DOT) === 0 || compareBytes(name, DOTDOT) === 0;
}
