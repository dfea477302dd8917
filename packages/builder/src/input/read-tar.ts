// Reads a tar layer (plain, gzip or zstd) as a stream of SourceEntry: ustar, GNU (long names,
// base-256 numbers) and PAX (long names, sizes, nanosecond mtimes, SCHILY/LIBARCHIVE xattrs).
import type { Readable } from "node:stream";
import type { FileType } from "@rafscan/rafs";
import type { EntrySource, SourceEntry } from "../source.js";
import { BuildError, BuildErrorCode, BuildWarningCode, type WarningHandler } from "./build-error.js";
import { ByteReader } from "./byte-reader.js";
import { normalizeEntryPath } from "./entry-path.js";
import { layerBytes, TruncatedInputError } from "./layer-bytes.js";
import {
  BLOCK,
  checksumMatches,
  decodeHeader,
  decodePax,
  isZeroBlock,
  parsePaxInteger,
  parsePaxTime,
  TypeFlag,
} from "./tar-format.js";

/** Options of {@link readTar}. */
export interface ReadTarOptions {
  readonly signal?: AbortSignal;
  /** Largest size an entry may claim. Default 64 GiB ({@link DEFAULT_TAR_LIMITS}). */
  readonly maxEntrySize?: number;
  /** Most uncompressed bytes in the layer. Default 1 TiB. */
  readonly maxTotalSize?: number;
  /**
   * Largest uncompressed/compressed ratio of a gzip or zstd layer, checked once 64 MiB are out.
   * Default 1000 (deflate cannot exceed ~1032, so this mostly bounds zstd).
   */
  readonly maxRatio?: number;
  /** Names the input in errors and warnings. Default: the file path, or none for a stream. */
  readonly name?: string;
  /** Receives recoverable oddities (duplicate paths, ignored ACLs, ...). Default: ignored. */
  readonly onWarning?: WarningHandler;
}

/** The defaults of {@link ReadTarOptions}' limits. */
export const DEFAULT_TAR_LIMITS = Object.freeze({
  maxEntrySize: 64 * 1024 ** 3,
  maxTotalSize: 1024 ** 4,
  maxRatio: 1000,
});

/**
 * Largest PAX extended header or GNU long name/link accepted. Linux caps a file's xattrs at 64 KiB
 * in total and paths at 4 KiB, so 1 MiB of records is far beyond any honest entry.
 */
export const MAX_TAR_META_SIZE = 1024 * 1024;

/** Largest piece of file data yielded at once (pieces are views of the decompressed chunks). */
const MAX_PIECE = 1024 * 1024;

const utf8 = new TextDecoder("utf-8", { fatal: true });
const lossy = new TextDecoder("utf-8");

/**
 * Reads a tar layer. `input` is a file path (re-read on each iteration), a Readable or an async
 * iterable of bytes (read once). gzip and zstd are detected by magic. Entries come in archive
 * order; a regular file's `data` streams from the archive and is skipped if not consumed before
 * the next entry is asked for. Duplicate paths are all yielded (the later wins when applied, as
 * tar extraction does; a `DUPLICATE_ENTRY` warning names them).
 *
 * Errors are {@link BuildError}s naming the entry: `BUILD_BAD_ENTRY` for bad names (NUL, `..`,
 * empty components), hardlinks to paths not earlier in the archive or to directories, sizes over
 * `maxEntrySize`, data cut short, sparse and unknown entry types; `BUILD_BAD_INPUT` for a bad
 * header checksum or corrupt compression; `BUILD_LIMIT` past `maxTotalSize` or `maxRatio`.
 */
export function readTar(
  input: string | Readable | AsyncIterable<Uint8Array>,
  options: ReadTarOptions = {},
): EntrySource {
  const name = options.name ?? (typeof input === "string" ? input : undefined);
  let started = false;
  return {
    [Symbol.asyncIterator]() {
      if (typeof input !== "string") {
        if (started) throw new Error("readTar: a stream input can be iterated only once");
        started = true;
      }
      return tarEntries(input, options, name);
    },
  };
}

/** What a run of meta entries ('x', 'L', 'K') says about the entry after them. */
interface Pending {
  pax: Map<string, Uint8Array> | undefined;
  longName: Uint8Array | undefined;
  longLink: Uint8Array | undefined;
}

async function* tarEntries(
  input: string | Readable | AsyncIterable<Uint8Array>,
  options: ReadTarOptions,
  name: string | undefined,
): AsyncGenerator<SourceEntry> {
  const signal = options.signal;
  const maxEntrySize = options.maxEntrySize ?? DEFAULT_TAR_LIMITS.maxEntrySize;
  const limits = {
    maxTotalSize: options.maxTotalSize ?? DEFAULT_TAR_LIMITS.maxTotalSize,
    maxRatio: options.maxRatio ?? DEFAULT_TAR_LIMITS.maxRatio,
  };
  const where = name === undefined ? {} : { input: name };
  const fail = (code: BuildErrorCode, message: string, path?: string, cause?: unknown) =>
    new BuildError(code, message, {
      ...where,
      ...(path === undefined ? {} : { path }),
      ...(cause === undefined ? {} : { cause }),
    });
  const warn = (code: BuildWarningCode, message: string, path?: string) =>
    options.onWarning?.({ code, message, ...where, ...(path === undefined ? {} : { path }) });
  const warnedKeys = new Set<string>();

  const reader = new ByteReader(layerBytes(input, limits, name, signal));
  // What each path holds now (a hardlink counts as what it links to): hardlinks may only name
  // something earlier in the same archive, and never a directory.
  const seen = new Map<string, FileType>();
  const globals = new Map<string, Uint8Array>();
  let pending: Pending = { pax: undefined, longName: undefined, longLink: undefined };

  /** Skips `n` bytes of the entry `path`; a short archive is this entry's fault. */
  const skipData = async (n: number, path: string) => {
    let skipped: number;
    try {
      skipped = await reader.skip(n);
    } catch (err) {
      throw truncation(err, path);
    }
    if (skipped < n) throw shortData(path, n - skipped, n);
  };
  const truncation = (err: unknown, path: string) =>
    err instanceof TruncatedInputError
      ? fail(
          BuildErrorCode.BAD_ENTRY,
          `the archive is cut short inside this entry (${err.message})`,
          path,
          err,
        )
      : err;
  const shortData = (path: string, missing: number, size: number) =>
    fail(
      BuildErrorCode.BAD_ENTRY,
      `the archive ends ${missing} bytes before the ${size} bytes of this entry`,
      path,
    );

  try {
    for (;;) {
      signal?.throwIfAborted();
      const offset = reader.position;
      const block = await reader.read(BLOCK);
      // A missing end-of-archive marker is accepted, as GNU tar and nydus-image accept it.
      if (block.length === 0) break;
      if (block.length < BLOCK) {
        throw fail(BuildErrorCode.BAD_INPUT, `the archive ends inside the header at byte ${offset}`);
      }
      // One zero block ends the archive; whatever follows (a second one, padding) is not read.
      if (isZeroBlock(block)) break;
      if (!checksumMatches(block)) {
        throw fail(
          BuildErrorCode.BAD_INPUT,
          `bad tar header checksum at byte ${offset}${offset === 0 ? " (not a tar archive?)" : ""}`,
        );
      }
      const h = decodeHeader(block);
      const pax = pending.pax;
      const paxText = (key: string) => {
        const v = pax?.get(key) ?? globals.get(key);
        return v === undefined ? undefined : lossy.decode(v);
      };
      // Global records may set defaults for owners, times and xattrs, but never for a name or size.
      const rawName = pax?.get("path") ?? pending.longName ?? h.name;
      const shownName = lossy.decode(rawName);
      const flag = h.typeflag;
      const isMeta =
        flag === TypeFlag.XHDTYPE ||
        flag === TypeFlag.SOLARIS_XHDTYPE ||
        flag === TypeFlag.XGLTYPE ||
        flag === TypeFlag.GNUTYPE_LONGNAME ||
        flag === TypeFlag.GNUTYPE_LONGLINK;
      // A PAX size is the next entry's; the meta entries between (an 'L' after an 'x') keep theirs.
      const paxSizeBytes = isMeta ? undefined : pax?.get("size");
      const paxSize = paxSizeBytes === undefined ? undefined : lossy.decode(paxSizeBytes);
      const size = paxSize === undefined ? h.size : parsePaxInteger(paxSize);
      if (size === undefined || size < 0) throw fail(BuildErrorCode.BAD_ENTRY, "bad size field", shownName);
      if (size > maxEntrySize) {
        throw fail(
          BuildErrorCode.BAD_ENTRY,
          `entry claims ${size} bytes, more than maxEntrySize (${maxEntrySize})`,
          shownName,
        );
      }
      const padding = (BLOCK - (size % BLOCK)) % BLOCK;

      if (isMeta) {
        if (size > MAX_TAR_META_SIZE) {
          throw fail(
            BuildErrorCode.LIMIT,
            `extended header at byte ${offset} is ${size} bytes, more than ${MAX_TAR_META_SIZE}`,
          );
        }
        const data = await reader.read(size);
        if (data.length < size) {
          throw fail(
            BuildErrorCode.BAD_INPUT,
            `the archive ends inside the extended header at byte ${offset}`,
          );
        }
        await reader.skip(padding);
        if (flag === TypeFlag.GNUTYPE_LONGNAME || flag === TypeFlag.GNUTYPE_LONGLINK) {
          // GNU writes the name and a NUL; a NUL inside the name stays and is refused later.
          let end = data.length;
          while (end > 0 && data[end - 1] === 0) end--;
          if (flag === TypeFlag.GNUTYPE_LONGNAME) pending.longName = data.subarray(0, end);
          else pending.longLink = data.subarray(0, end);
          continue;
        }
        const records = decodePax(data);
        if (typeof records === "string") {
          throw fail(BuildErrorCode.BAD_INPUT, `${records} (extended header at byte ${offset})`);
        }
        if (flag === TypeFlag.XGLTYPE) {
          // A global record with an empty value removes the default it set before.
          for (const { key, value } of records) {
            if (value.length === 0) globals.delete(key);
            else globals.set(key, value);
          }
        } else {
          pending.pax ??= new Map();
          for (const { key, value } of records) pending.pax.set(key, value);
        }
        continue;
      }

      const rawLink = pax?.get("linkpath") ?? pending.longLink ?? h.linkname;
      pending = { pax: undefined, longName: undefined, longLink: undefined };

      // Sparse files: GNU 'S' headers, or PAX GNU.sparse.* records (formats 0.0, 0.1, 1.0).
      const sparse =
        flag === TypeFlag.GNUTYPE_SPARSE ||
        [...(pax?.keys() ?? []), ...globals.keys()].some((k) => k.startsWith("GNU.sparse."));
      if (sparse) throw fail(BuildErrorCode.BAD_ENTRY, "sparse files are not supported", shownName);

      let type: FileType | "hardlink" | undefined;
      switch (flag) {
        case TypeFlag.REGTYPE:
        case TypeFlag.CONTTYPE:
          type = "file";
          break;
        case TypeFlag.AREGTYPE:
          // Pre-POSIX tars mark directories only by a trailing slash.
          type = rawName[rawName.length - 1] === 0x2f ? "dir" : "file";
          break;
        case TypeFlag.LNKTYPE:
          type = "hardlink";
          break;
        case TypeFlag.SYMTYPE:
          type = "symlink";
          break;
        case TypeFlag.CHRTYPE:
          type = "chardev";
          break;
        case TypeFlag.BLKTYPE:
          type = "blockdev";
          break;
        case TypeFlag.DIRTYPE:
        case TypeFlag.GNUTYPE_DUMPDIR:
          type = "dir";
          break;
        case TypeFlag.FIFOTYPE:
          type = "fifo";
          break;
        case TypeFlag.GNUTYPE_VOLHDR:
          // A volume label names the archive, not a file.
          await skipData(size + padding, shownName);
          continue;
        default:
          type = undefined;
      }
      if (type === undefined) {
        const shown =
          flag >= 0x20 && flag < 0x7f ? `'${String.fromCharCode(flag)}'` : `0x${flag.toString(16)}`;
        throw fail(BuildErrorCode.BAD_ENTRY, `unsupported tar entry type ${shown}`, shownName);
      }

      let decodedName: string;
      try {
        decodedName = utf8.decode(rawName);
      } catch {
        throw fail(BuildErrorCode.BAD_ENTRY, "name is not valid UTF-8", shownName);
      }
      const path = normalizeEntryPath(decodedName);
      if (typeof path !== "string") throw fail(BuildErrorCode.BAD_ENTRY, path.problem, shownName);
      if (path === "" && type !== "dir") {
        throw fail(BuildErrorCode.BAD_ENTRY, "the layer root is not a directory", shownName);
      }

      const mode = h.mode;
      if (mode === undefined) throw fail(BuildErrorCode.BAD_ENTRY, "bad mode field", path);
      const paxUid = paxText("uid");
      const uid = paxUid === undefined ? h.uid : parsePaxInteger(paxUid);
      const paxGid = paxText("gid");
      const gid = paxGid === undefined ? h.gid : parsePaxInteger(paxGid);
      if (uid === undefined || uid > 0xffff_ffff) throw fail(BuildErrorCode.BAD_ENTRY, "bad uid", path);
      if (gid === undefined || gid > 0xffff_ffff) throw fail(BuildErrorCode.BAD_ENTRY, "bad gid", path);
      const paxMtime = paxText("mtime");
      const time =
        paxMtime !== undefined
          ? parsePaxTime(paxMtime)
          : h.mtime === undefined
            ? undefined
            : { sec: h.mtime, nsec: 0 };
      if (time === undefined) throw fail(BuildErrorCode.BAD_ENTRY, "bad mtime", path);

      let target: string | undefined;
      if (type === "symlink" || type === "hardlink") {
        let link: string;
        try {
          link = utf8.decode(rawLink);
        } catch {
          throw fail(BuildErrorCode.BAD_ENTRY, "link target is not valid UTF-8", path);
        }
        if (type === "symlink") {
          if (link.includes("\0"))
            throw fail(BuildErrorCode.BAD_ENTRY, "symlink target contains a NUL byte", path);
          target = link;
        } else {
          const t = normalizeEntryPath(link);
          if (typeof t !== "string") {
            throw fail(BuildErrorCode.BAD_ENTRY, `hardlink target '${link}': ${t.problem}`, path);
          }
          const linked = seen.get(t);
          if (linked === undefined) {
            throw fail(
              BuildErrorCode.BAD_ENTRY,
              `hardlink target '${t}' is not earlier in the archive`,
              path,
            );
          }
          if (linked === "dir")
            throw fail(BuildErrorCode.BAD_ENTRY, `hardlink target '${t}' is a directory`, path);
          if (t === path) throw fail(BuildErrorCode.BAD_ENTRY, "hardlink to itself", path);
          target = t;
        }
      }

      let rdev: { major: number; minor: number } | undefined;
      if (type === "chardev" || type === "blockdev") {
        const pm = paxText("SCHILY.devmajor");
        const pn = paxText("SCHILY.devminor");
        const major = pm === undefined ? h.devmajor : parsePaxInteger(pm);
        const minor = pn === undefined ? h.devminor : parsePaxInteger(pn);
        // Linux dev_t has 12 major and 20 minor bits (new_encode_dev); RAFS stores that.
        if (major === undefined || minor === undefined || major > 0xfff || minor > 0xfffff) {
          throw fail(BuildErrorCode.BAD_ENTRY, "bad device number", path);
        }
        rdev = { major, minor };
      }

      const xattrs = new Map<string, Uint8Array>();
      // bsdtar writes both forms of each xattr; its LIBARCHIVE one (base64) is binary-safe and wins.
      const fromLibarchive = new Map<string, Uint8Array>();
      for (const [key, value] of [...globals, ...(pax ?? [])]) {
        if (key.startsWith("SCHILY.xattr.")) {
          // A copy: the record is a view of a decompressed chunk the tree would otherwise pin.
          xattrs.set(key.slice("SCHILY.xattr.".length), value.slice());
        } else if (key.startsWith("LIBARCHIVE.xattr.")) {
          let xname: string;
          try {
            xname = decodeURIComponent(key.slice("LIBARCHIVE.xattr.".length));
          } catch {
            throw fail(BuildErrorCode.BAD_ENTRY, `bad xattr name in PAX record '${key}'`, path);
          }
          const text = lossy.decode(value);
          if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
            throw fail(BuildErrorCode.BAD_ENTRY, `xattr '${xname}' is not base64`, path);
          }
          fromLibarchive.set(xname, new Uint8Array(Buffer.from(text, "base64")));
        } else if (!IGNORED_PAX_KEYS.has(key) && !warnedKeys.has(key)) {
          warnedKeys.add(key);
          warn(BuildWarningCode.IGNORED_FIELD, `PAX record '${key}' is not kept in the image`, path);
        }
      }
      for (const [xname, value] of fromLibarchive) xattrs.set(xname, value);
      for (const xname of xattrs.keys()) {
        // macOS names carry no namespace (bsdtar stores "com.apple.quarantine" as is); Linux refuses
        // them on extraction (EOPNOTSUPP) and so, with a warning, does this reader.
        if (!LINUX_XATTR_NAMESPACES.some((ns) => xname.startsWith(ns) && xname.length > ns.length)) {
          xattrs.delete(xname);
          warn(BuildWarningCode.IGNORED_FIELD, `xattr '${xname}' is in no Linux namespace; dropped`, path);
        }
      }

      if (seen.has(path))
        warn(BuildWarningCode.DUPLICATE_ENTRY, "path appears again; the later entry wins", path);
      seen.set(path, type === "hardlink" ? (seen.get(target as string) as FileType) : type);

      const common = {
        path,
        mode: mode & 0o7777,
        uid,
        gid,
        mtimeSec: time.sec,
        mtimeNsec: time.nsec,
        xattrs,
        ...(target === undefined ? {} : { target }),
        ...(rdev === undefined ? {} : { rdev }),
      };
      if (type !== "file") {
        if (size > 0) {
          // GNU tar skips data after any header; a directory listing ('D') or a pax hardlink
          // carrying its file's bytes both end up here.
          if (flag !== TypeFlag.GNUTYPE_DUMPDIR)
            warn(BuildWarningCode.IGNORED_DATA, `${size} bytes of data after a ${type} entry skipped`, path);
        }
        yield { ...common, type, size: 0 };
        await skipData(size, path);
        await reader.skip(padding);
        continue;
      }
      const data = new EntryData(reader, size, path, signal, truncation, shortData);
      yield { ...common, type, size, data };
      const left = await data.close();
      await skipData(left, path);
      await reader.skip(padding);
    }
  } finally {
    await reader.close();
  }
}

/** The xattr namespaces the Linux kernel accepts (xattr_resolve_name). */
const LINUX_XATTR_NAMESPACES = ["user.", "trusted.", "security.", "system."];

/** PAX keys that carry nothing an image keeps (names of owners, other times, charsets). */
const IGNORED_PAX_KEYS = new Set([
  "path",
  "linkpath",
  "size",
  "uid",
  "gid",
  "mtime",
  "atime",
  "ctime",
  "uname",
  "gname",
  "charset",
  "hdrcharset",
  "comment",
  "SCHILY.devmajor",
  "SCHILY.devminor",
  "SCHILY.dev",
  "SCHILY.ino",
  "SCHILY.nlink",
  "SCHILY.filetype",
  "LIBARCHIVE.creationtime",
]);

/**
 * The data of the current regular file: read once, while it is the current entry. Whatever is
 * left when the next entry is asked for is skipped by the reader.
 */
class EntryData implements AsyncIterable<Uint8Array> {
  #remaining: number;
  #closed = false;
  #started = false;
  #inFlight: Promise<unknown> | undefined;

  constructor(
    readonly reader: ByteReader,
    readonly size: number,
    readonly path: string,
    readonly signal: AbortSignal | undefined,
    readonly truncation: (err: unknown, path: string) => unknown,
    readonly shortData: (path: string, missing: number, size: number) => BuildError,
  ) {
    this.#remaining = size;
  }

  /** Ends reading: waits for a read under way, returns the bytes still to skip. */
  async close(): Promise<number> {
    this.#closed = true;
    await this.#inFlight?.catch(() => {});
    return this.#remaining;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    if (this.#started) throw new Error(`readTar: the data of '${this.path}' can be read once`);
    this.#started = true;
    while (this.#remaining > 0) {
      if (this.#closed) throw new Error(`readTar: the data of '${this.path}' was read after the next entry`);
      this.signal?.throwIfAborted();
      const read = this.reader.next(Math.min(this.#remaining, MAX_PIECE));
      this.#inFlight = read;
      let piece: Uint8Array | undefined;
      try {
        piece = await read;
      } catch (err) {
        throw this.truncation(err, this.path);
      } finally {
        this.#inFlight = undefined;
      }
      if (piece === undefined) throw this.shortData(this.path, this.#remaining, this.size);
      this.#remaining -= piece.length;
      yield piece;
    }
  }
}
