// Reads a real directory tree as a stream of SourceEntry: lstat metadata, hardlinks, symlink
// targets, device numbers, file data, and xattrs from one recursive `getfattr` run.
import { spawn } from "node:child_process";
import type { BigIntStats } from "node:fs";
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  readdirSync,
  readlinkSync,
  readSync,
} from "node:fs";
import { lstat, open, realpath } from "node:fs/promises";
import type { FileType } from "@rafscan/rafs";
import type { EntrySource, SourceEntry } from "../source.js";
import { BuildError, BuildErrorCode, BuildWarningCode, type WarningHandler } from "./build-error.js";

/** Options of {@link readDirectory}. */
export interface ReadDirectoryOptions {
  readonly signal?: AbortSignal;
  /** Receives recoverable oddities, such as `getfattr` being absent. Default: ignored. */
  readonly onWarning?: WarningHandler;
  /**
   * The command that lists xattrs (Debian package `attr`), or `false` to read none. Node has no
   * xattr API. Default `"getfattr"`, found on PATH.
   */
  readonly getfattr?: string | false;
}

/** Bytes read from a large file at once; files up to this size are read in one go. */
const READ_SIZE = 1024 * 1024;

/**
 * Longest stretch of synchronous work before the walk yields to the event loop, so timers, I/O
 * callbacks and abort signals still run during a walk of a large tree.
 */
const YIELD_AFTER_MS = 10;

const utf8 = new TextDecoder("utf-8", { fatal: true });
const lossy = new TextDecoder("utf-8");
const NO_XATTRS: ReadonlyMap<string, Uint8Array> = new Map();

/**
 * Walks the directory `root` (a symlink to a directory is followed, nothing below it is) and
 * yields every entry, the root first as path "": depth first, parents before children, siblings
 * in byte order of their names, so the same tree always gives the same sequence. The second and
 * later names of a non-directory inode with nlink > 1 come as `hardlink` entries naming the first.
 * A file's `data` opens it when iterated and yields exactly `size` bytes.
 *
 * Errors are {@link BuildError}s naming the path: `BUILD_IO` when something cannot be read or a
 * file changes size while read, `BUILD_BAD_ENTRY` for names that are not UTF-8 (SourceEntry paths
 * are strings) and device numbers beyond Linux's 12-bit major and 20-bit minor.
 */
export function readDirectory(root: string, options: ReadDirectoryOptions = {}): EntrySource {
  return { [Symbol.asyncIterator]: () => directoryEntries(root, options) };
}

interface Pending {
  readonly abs: Buffer;
  readonly rel: string;
}

async function* directoryEntries(root: string, options: ReadDirectoryOptions): AsyncGenerator<SourceEntry> {
  const { signal } = options;
  const io = (message: string, path: string | undefined, cause: unknown) =>
    new BuildError(BuildErrorCode.IO, `${message}: ${errorText(cause)}`, {
      input: root,
      ...(path === undefined ? {} : { path }),
      cause,
    });
  let base: string;
  try {
    base = await realpath(root);
  } catch (err) {
    throw io("cannot open the directory", undefined, err);
  }
  const baseStat = await lstat(base).catch((err: unknown) => {
    throw io("cannot stat the directory", undefined, err);
  });
  if (!baseStat.isDirectory())
    throw new BuildError(BuildErrorCode.BAD_INPUT, "not a directory", { input: root });

  const warn = (message: string) =>
    options.onWarning?.({ code: BuildWarningCode.XATTRS_UNAVAILABLE, message, input: root });
  const xattrs =
    options.getfattr === false
      ? new Map()
      : await readXattrs(base, options.getfattr ?? "getfattr", warn, signal);

  // First path seen of each multiply linked inode, by "dev:ino".
  const inodes = new Map<string, string>();
  const stack: Pending[] = [{ abs: Buffer.from(base), rel: "" }];
  // The walk uses synchronous lstat/readdir/readlink: through libuv's thread pool each call costs
  // a round trip (measured 60 us for lstat here, 4 us synchronously), which dominated the walk.
  let lastYield = performance.now();
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    if (performance.now() - lastYield > YIELD_AFTER_MS) {
      await new Promise((resolve) => setImmediate(resolve));
      lastYield = performance.now();
    }
    signal?.throwIfAborted();
    const { abs, rel } = item;
    let st: BigIntStats;
    try {
      st = lstatSync(abs, { bigint: true });
    } catch (err) {
      throw io("cannot stat", rel, err);
    }
    const type = fileType(st.mode);
    if (type === undefined) {
      throw new BuildError(BuildErrorCode.BAD_ENTRY, `unknown file type (mode 0o${st.mode.toString(8)})`, {
        input: root,
        path: rel,
      });
    }
    // Floor division: a time before 1970 keeps a non-negative nanosecond part.
    let sec = st.mtimeNs / 1_000_000_000n;
    let nsec = st.mtimeNs % 1_000_000_000n;
    if (nsec < 0n) {
      nsec += 1_000_000_000n;
      sec -= 1n;
    }
    const common = {
      path: rel,
      mode: Number(st.mode & 0o7777n),
      uid: Number(st.uid),
      gid: Number(st.gid),
      mtimeSec: Number(sec),
      mtimeNsec: Number(nsec),
      xattrs:
        (xattrs.get(abs.toString("latin1")) as ReadonlyMap<string, Uint8Array> | undefined) ?? NO_XATTRS,
    };
    if (type !== "dir" && st.nlink > 1n) {
      const key = `${st.dev}:${st.ino}`;
      const first = inodes.get(key);
      if (first !== undefined) {
        yield { ...common, type: "hardlink", size: 0, target: first };
        continue;
      }
      inodes.set(key, rel);
    }
    switch (type) {
      case "dir": {
        let names: Buffer[];
        try {
          names = readdirSync(abs, { encoding: "buffer" });
        } catch (err) {
          throw io("cannot read the directory", rel, err);
        }
        names.sort(Buffer.compare);
        const children: Pending[] = [];
        const sep = abs[abs.length - 1] === 0x2f ? "" : "/";
        for (const nameBytes of names) {
          let name: string;
          try {
            name = utf8.decode(nameBytes);
          } catch {
            const shown = `${rel === "" ? "" : `${rel}/`}${lossy.decode(nameBytes)}`;
            throw new BuildError(BuildErrorCode.BAD_ENTRY, "name is not valid UTF-8", {
              input: root,
              path: shown,
            });
          }
          children.push({
            abs: Buffer.concat([abs, Buffer.from(sep), nameBytes]),
            rel: rel === "" ? name : `${rel}/${name}`,
          });
        }
        yield { ...common, type, size: 0 };
        // Reversed onto the stack so that the smallest name is walked first.
        for (let i = children.length - 1; i >= 0; i--) stack.push(children[i] as Pending);
        break;
      }
      case "file": {
        if (st.size > BigInt(Number.MAX_SAFE_INTEGER)) {
          throw new BuildError(BuildErrorCode.LIMIT, `file of ${st.size} bytes`, { input: root, path: rel });
        }
        const size = Number(st.size);
        yield { ...common, type, size, data: fileData(abs, rel, size, st, root, signal) };
        break;
      }
      case "symlink": {
        let target: Buffer;
        try {
          target = readlinkSync(abs, { encoding: "buffer" });
        } catch (err) {
          throw io("cannot read the symlink", rel, err);
        }
        let text: string;
        try {
          text = utf8.decode(target);
        } catch {
          throw new BuildError(BuildErrorCode.BAD_ENTRY, "symlink target is not valid UTF-8", {
            input: root,
            path: rel,
          });
        }
        yield { ...common, type, size: 0, target: text };
        break;
      }
      case "chardev":
      case "blockdev": {
        const rdev = splitDev(st.rdev);
        if (rdev === undefined) {
          throw new BuildError(BuildErrorCode.BAD_ENTRY, `device number ${st.rdev} does not fit 12+20 bits`, {
            input: root,
            path: rel,
          });
        }
        yield { ...common, type, size: 0, rdev };
        break;
      }
      default:
        yield { ...common, type, size: 0 };
    }
  }
}

function fileType(mode: bigint): FileType | undefined {
  switch (Number(mode & BigInt(constants.S_IFMT))) {
    case constants.S_IFREG:
      return "file";
    case constants.S_IFDIR:
      return "dir";
    case constants.S_IFLNK:
      return "symlink";
    case constants.S_IFCHR:
      return "chardev";
    case constants.S_IFBLK:
      return "blockdev";
    case constants.S_IFIFO:
      return "fifo";
    case constants.S_IFSOCK:
      return "socket";
    default:
      return undefined;
  }
}

/**
 * Splits a userspace dev_t as glibc encodes it (gnu_dev_major/gnu_dev_minor: major in bits 8-19
 * and 32-43, minor in bits 0-7 and 20-31). Undefined when it does not fit the kernel's 12-bit
 * major and 20-bit minor (new_encode_dev), which is all RAFS and EROFS can store.
 */
export function splitDev(dev: bigint): { major: number; minor: number } | undefined {
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  if (major > 0xfffn || minor > 0xfffffn) return undefined;
  return { major: Number(major), minor: Number(minor) };
}

/** A file's bytes: exactly `size` of them, from the inode that was stat'ed, or BUILD_IO. */
function fileData(
  abs: Buffer,
  rel: string,
  size: number,
  st: BigIntStats,
  root: string,
  signal: AbortSignal | undefined,
): AsyncIterable<Uint8Array> {
  const io = (message: string, cause?: unknown) =>
    new BuildError(BuildErrorCode.IO, cause === undefined ? message : `${message}: ${errorText(cause)}`, {
      input: root,
      path: rel,
      ...(cause === undefined ? {} : { cause }),
    });
  const flags = constants.O_RDONLY | constants.O_NOFOLLOW;
  return {
    async *[Symbol.asyncIterator]() {
      if (size <= READ_SIZE) {
        // Small files in one synchronous go: five thread-pool round trips cost more than the read.
        const bytes = readSmallFile();
        if (bytes.length > 0) yield bytes;
        return;
      }
      // O_NOFOLLOW: if the file was swapped for a symlink since the walk, do not read elsewhere.
      const fh = await open(abs, flags).catch((err: unknown) => {
        throw io("cannot open", err);
      });
      try {
        const now = await fh.stat({ bigint: true });
        if (now.ino !== st.ino || now.dev !== st.dev) throw io("file was replaced while the tree was read");
        let pos = 0;
        while (pos < size) {
          signal?.throwIfAborted();
          const want = Math.min(size - pos, READ_SIZE);
          const buf = Buffer.allocUnsafe(want);
          const { bytesRead } = await fh.read(buf, 0, want, pos).catch((err: unknown) => {
            throw io("cannot read", err);
          });
          if (bytesRead === 0) throw io(`file shrank while read: ${pos} of ${size} bytes`);
          pos += bytesRead;
          yield bytesRead === want ? buf : buf.subarray(0, bytesRead);
        }
        const probe = Buffer.alloc(1);
        const { bytesRead } = await fh.read(probe, 0, 1, size).catch((err: unknown) => {
          throw io("cannot read", err);
        });
        if (bytesRead > 0) throw io(`file grew while read: more than ${size} bytes`);
      } finally {
        await fh.close();
      }
    },
  };

  function readSmallFile(): Buffer {
    signal?.throwIfAborted();
    let fd: number;
    try {
      fd = openSync(abs, flags);
    } catch (err) {
      throw io("cannot open", err);
    }
    try {
      const now = fstatSync(fd, { bigint: true });
      if (now.ino !== st.ino || now.dev !== st.dev) throw io("file was replaced while the tree was read");
      // One extra byte: a file that grew shows it in the same read.
      const buf = Buffer.allocUnsafe(size + 1);
      let pos = 0;
      for (;;) {
        let n: number;
        try {
          n = readSync(fd, buf, pos, size + 1 - pos, pos);
        } catch (err) {
          throw io("cannot read", err);
        }
        if (n === 0) break;
        pos += n;
        if (pos > size) throw io(`file grew while read: more than ${size} bytes`);
      }
      if (pos < size) throw io(`file shrank while read: ${pos} of ${size} bytes`);
      return buf.subarray(0, size);
    } finally {
      closeSync(fd);
    }
  }
}

/**
 * Runs `getfattr -R -P -h -d -m - -e hex --absolute-names BASE` once and parses its listing into
 * absolute path (raw bytes as latin1) -> xattrs. `-P -h`: never follow symlinks, report the
 * symlink's own xattrs; `-m -`: every namespace (trusted.* is listed only for root).
 */
async function readXattrs(
  base: string,
  command: string,
  warn: (message: string) => void,
  signal: AbortSignal | undefined,
): Promise<Map<string, Map<string, Uint8Array>>> {
  const out = new Map<string, Map<string, Uint8Array>>();
  const args = ["-R", "-P", "-h", "-d", "-m", "-", "-e", "hex", "--absolute-names", base];
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], ...(signal ? { signal } : {}) });
  let current: Map<string, Uint8Array> | undefined;
  let carry: Buffer = Buffer.alloc(0);
  let stderr = "";
  let bad = 0;
  const line = (bytes: Buffer) => {
    if (bytes.length === 0) {
      current = undefined;
      return;
    }
    if (bytes.subarray(0, 8).toString("latin1") === "# file: ") {
      current = new Map();
      out.set(unquote(bytes.subarray(8)).toString("latin1"), current);
      return;
    }
    if (current === undefined || bytes[0] === 0x23) return;
    const eq = bytes.indexOf(0x3d);
    const nameBytes = unquote(eq < 0 ? bytes : bytes.subarray(0, eq));
    const value = eq < 0 ? new Uint8Array(0) : decodeValue(bytes.subarray(eq + 1).toString("latin1"));
    let name: string;
    try {
      name = utf8.decode(nameBytes);
    } catch {
      bad++;
      return;
    }
    if (value === undefined) bad++;
    else current.set(name, value);
  };
  child.stdout.on("data", (chunk: Buffer) => {
    let data = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
    for (let nl = data.indexOf(0x0a); nl >= 0; nl = data.indexOf(0x0a)) {
      line(data.subarray(0, nl));
      data = data.subarray(nl + 1);
    }
    carry = Buffer.from(data);
  });
  child.stderr.on("data", (chunk: Buffer) => {
    if (stderr.length < 4096) stderr += chunk.toString("utf8");
  });
  const result = await new Promise<{ code: number | null; error?: Error }>((resolve) => {
    child.on("error", (error) => resolve({ code: null, error }));
    child.on("close", (code) => resolve({ code }));
  });
  signal?.throwIfAborted();
  if (result.error !== undefined) {
    const missing = (result.error as NodeJS.ErrnoException).code === "ENOENT";
    warn(
      missing
        ? `${command} not found (Debian package "attr"): extended attributes are not read`
        : `${command} failed to start: ${result.error.message}; extended attributes are not read`,
    );
    return new Map();
  }
  if (carry.length > 0) line(carry);
  if (result.code !== 0) {
    warn(
      `${command} exited with status ${result.code}; some extended attributes may be missing: ${stderr.trim()}`,
    );
  }
  if (bad > 0) warn(`${bad} extended attributes from ${command} could not be parsed and are left out`);
  return out;
}

/** Undoes getfattr's quoting: `\ooo` (three octal digits) is one byte, e.g. `\012`, `\134`. */
function unquote(bytes: Buffer): Buffer {
  if (!bytes.includes(0x5c)) return bytes;
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    const d1 = octal(bytes[i + 1]);
    const d2 = octal(bytes[i + 2]);
    const d3 = octal(bytes[i + 3]);
    if (b === 0x5c && d1 >= 0 && d2 >= 0 && d3 >= 0) {
      out.push(((d1 << 6) | (d2 << 3) | d3) & 0xff);
      i += 3;
    } else {
      out.push(b);
    }
  }
  return Buffer.from(out);
}

/** The value of an octal digit byte, or -1. */
function octal(b: number | undefined): number {
  return b !== undefined && b >= 0x30 && b <= 0x37 ? b - 0x30 : -1;
}

/** A getfattr value: `0x<hex>` (as asked with -e hex), `0s<base64>` or `"text"`. */
function decodeValue(text: string): Uint8Array | undefined {
  if (text.startsWith("0x")) {
    const hex = text.slice(2);
    if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return undefined;
    return new Uint8Array(Buffer.from(hex, "hex"));
  }
  if (text.startsWith("0s")) return new Uint8Array(Buffer.from(text.slice(2), "base64"));
  if (text.length >= 2 && text.startsWith('"') && text.endsWith('"')) {
    return new Uint8Array(unquote(Buffer.from(text.slice(1, -1), "latin1")));
  }
  return undefined;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
