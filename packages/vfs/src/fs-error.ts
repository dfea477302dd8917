// Filesystem errors shaped exactly like node:fs ones: `ENOENT: no such file or directory, open '/x'`
// with `code`, `errno`, `syscall` and `path`, so code written against node:fs handles them as is.
import { constants } from "node:os";

/** The node:fs error codes this package raises. */
export type FsErrorCode =
  | "ENOENT"
  | "ENOTDIR"
  | "EISDIR"
  | "ELOOP"
  | "ENAMETOOLONG"
  | "EINVAL"
  | "EBADF"
  | "ENODATA";

const DESCRIPTIONS: Record<FsErrorCode, string> = {
  ENOENT: "no such file or directory",
  ENOTDIR: "not a directory",
  EISDIR: "illegal operation on a directory",
  ELOOP: "too many symbolic links encountered",
  ENAMETOOLONG: "name too long",
  EINVAL: "invalid argument",
  EBADF: "bad file descriptor",
  ENODATA: "no data available",
};

/** An error with node:fs's shape. `errno` is negative, as node reports it. */
export class FsError extends Error {
  override readonly name = "Error";
  readonly code: FsErrorCode;
  readonly errno: number;
  readonly syscall: string;
  readonly path: string;

  constructor(code: FsErrorCode, syscall: string, path: string) {
    super(`${code}: ${DESCRIPTIONS[code]}, ${syscall} '${path}'`);
    this.code = code;
    this.errno = -((constants.errno as Record<string, number>)[code] ?? 0);
    this.syscall = syscall;
    this.path = path;
  }
}

/** True when `err` is an {@link FsError}, optionally with the given code. */
export function isFsError(err: unknown, code?: FsErrorCode): err is FsError {
  return err instanceof FsError && (code === undefined || err.code === code);
}
