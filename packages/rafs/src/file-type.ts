// Mapping between st_mode type bits, EROFS dirent file types and our FileType names.

import { type Where, whereText } from "./bytes.js";
import { S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK } from "./constants.js";
import { corrupt } from "./errors.js";
import type { FileType } from "./model.js";

/** The FileType of an st_mode, or undefined for an invalid type. */
export function modeType(mode: number): FileType | undefined {
  switch (mode & S_IFMT) {
    case S_IFREG:
      return "file";
    case S_IFDIR:
      return "dir";
    case S_IFLNK:
      return "symlink";
    case S_IFCHR:
      return "chardev";
    case S_IFBLK:
      return "blockdev";
    case S_IFIFO:
      return "fifo";
    case S_IFSOCK:
      return "socket";
    default:
      return undefined;
  }
}

/** The FileType of an st_mode; an unknown type is corrupt metadata. */
export function fileTypeOfMode(mode: number, where: Where): FileType {
  return modeType(mode) ?? corrupt(`invalid file type in mode 0o${mode.toString(8)}`, whereText(where));
}

const DIRENT_TYPES: readonly FileType[] = ["file", "dir", "chardev", "blockdev", "fifo", "socket", "symlink"];

/** EROFS dirent e_file_type values (1 reg .. 7 symlink); 0 (unknown) returns undefined. */
export function fileTypeOfDirent(t: number): FileType | undefined {
  return DIRENT_TYPES[t - 1];
}

/** Splits a Linux dev_t (new_encode_dev layout) into [major, minor]. */
export function splitDev(rdev: number): [number, number] {
  const major = (rdev >>> 8) & 0xfff;
  const minor = (rdev & 0xff) | ((rdev >>> 12) & 0xfff00);
  return [major, minor];
}
