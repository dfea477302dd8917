// MatchedFile objects handed to plugins, and the read accounting behind them: per-plugin
// maxFileSize and budget, the scan-wide byte cap, and an Image wrapper that counts a plugin's own reads.
import type { Image, ImageFileHandle, ReadOptions } from "@rafscan/vfs";
import type { MatchedFile } from "./plugin.js";

/** Default `maxFileSize` of a plugin: 64 MiB. */
export const DEFAULT_MAX_FILE_SIZE = 64 * 1024 * 1024;

/** The scan-wide cap on file bytes read (`maxTotalBytes`), shared by all plugins. */
export class ScanBudget {
  /** Unique file bytes read from the image on behalf of plugins. */
  bytesRead = 0;
  readonly maxTotalBytes: number;
  #reserved = 0;

  /** `maxTotalBytes`: default no limit. */
  constructor(maxTotalBytes = Number.POSITIVE_INFINITY) {
    this.maxTotalBytes = maxTotalBytes;
  }

  /** Why `n` more bytes may not be read, or undefined after reserving them. */
  reserve(n: number): string | undefined {
    if (this.#reserved + n > this.maxTotalBytes) return `maxTotalBytes spent (${this.maxTotalBytes} bytes)`;
    this.#reserved += n;
    return undefined;
  }

  /** Turns a reservation into bytes read (`read`) or gives it back (`read` 0 after a failure). */
  settle(reserved: number, read: number): void {
    this.#reserved += read - reserved;
    this.bytesRead += read;
  }
}

/** What one plugin has read and skipped, and what it may still read. */
export class PluginAccount {
  readonly maxFileSize: number;
  readonly budget: number;
  bytesRead = 0;
  /** Paths read in full or in part. */
  readonly filesRead = new Set<string>();
  /** Path → why it was not read; the first reason wins. */
  readonly skipped = new Map<string, string>();
  readonly #scan: ScanBudget;
  #reserved = 0;

  /** `maxFileSize` default {@link DEFAULT_MAX_FILE_SIZE}; `budget` default no limit. */
  constructor(scan: ScanBudget, maxFileSize = DEFAULT_MAX_FILE_SIZE, budget = Number.POSITIVE_INFINITY) {
    this.#scan = scan;
    this.maxFileSize = maxFileSize;
    this.budget = budget;
  }

  /**
   * Reserves `n` bytes of this plugin's budget and, when `scanWide`, of the scan's cap (a file read
   * once for several plugins is charged to the scan once). Returns why not, or undefined.
   * `whole` marks a whole-file read, which `maxFileSize` also limits.
   */
  reserve(n: number, options: { whole: boolean; scanWide: boolean }): string | undefined {
    if (options.whole && n > this.maxFileSize) return `larger than maxFileSize (${n} bytes)`;
    if (this.#reserved + n > this.budget) return `budget spent (${this.budget} bytes)`;
    if (options.scanWide) {
      const why = this.#scan.reserve(n);
      if (why !== undefined) return why;
    }
    this.#reserved += n;
    return undefined;
  }

  /** Settles a reservation of `reserved` bytes of which `read` were read from `path`. */
  settle(path: string, reserved: number, read: number, scanWide: boolean): void {
    this.#reserved += read - reserved;
    this.bytesRead += read;
    if (read > 0) this.filesRead.add(path);
    if (scanWide) this.#scan.settle(reserved, read);
  }

  /** Records that `path` was not read; returns the error a plugin's read call throws. */
  skip(path: string, reason: string): Error {
    if (!this.skipped.has(path)) this.skipped.set(path, reason);
    return new Error(`${path}: not read: ${reason}`);
  }
}

/** A file as matched: the path named by the need and the regular file it resolves to. */
export interface FileMatch {
  readonly path: string;
  /** The resolved path (symlinks followed): reads go there, and dedup across plugins uses it. */
  readonly realPath: string;
  readonly size: number;
  readonly mode: number;
}

const decoder = new TextDecoder();

/** A MatchedFile over bytes the runner has already read (and charged) for an `access: "whole"` plugin. */
export function prefetchedFile(match: FileMatch, bytes: Uint8Array): MatchedFile {
  return {
    path: match.path,
    size: match.size,
    mode: match.mode,
    bytes: async () => bytes,
    read: async (offset, length) => {
      checkRange(offset, length, match.path);
      return bytes.subarray(Math.min(offset, bytes.length), Math.min(bytes.length, offset + length));
    },
    text: async () => decoder.decode(bytes),
  };
}

/** A MatchedFile read on demand (an `access: "range"` plugin); every read is charged to `account`. */
export function lazyFile(
  match: FileMatch,
  image: Image,
  account: PluginAccount,
  signal: AbortSignal | undefined,
): MatchedFile {
  let whole: Promise<Uint8Array> | undefined;
  let handle: Promise<ImageFileHandle> | undefined;
  const bytes = (): Promise<Uint8Array> => {
    whole ??= (async () => {
      const why = account.reserve(match.size, { whole: true, scanWide: true });
      if (why !== undefined) throw account.skip(match.path, why);
      let read = 0;
      try {
        const data = await image.readFile(match.realPath, { signal });
        read = data.length;
        return data;
      } finally {
        account.settle(match.path, match.size, read, true);
      }
    })();
    return whole;
  };
  return {
    path: match.path,
    size: match.size,
    mode: match.mode,
    bytes,
    read: async (offset, length) => {
      checkRange(offset, length, match.path);
      const n = Math.max(0, Math.min(length, match.size - offset));
      if (n === 0) return new Uint8Array(0);
      const why = account.reserve(n, { whole: false, scanWide: true });
      if (why !== undefined) throw account.skip(match.path, why);
      let read = 0;
      try {
        handle ??= image.open(match.realPath, { signal });
        const buffer = new Uint8Array(n);
        const r = await (await handle).read(buffer, 0, n, offset, { signal });
        read = r.bytesRead;
        return buffer.subarray(0, read);
      } finally {
        account.settle(match.path, n, read, true);
      }
    },
    text: async () => decoder.decode(await bytes()),
  };
}

function checkRange(offset: number, length: number, path: string): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new RangeError(`${path}: bad range (${offset}, ${length})`);
  }
}

/**
 * `image` as a plugin sees it through `ctx.image`: `readFile` and `open(...).read` are charged to the
 * plugin's account (and refused over its maxFileSize or budget); everything else passes through.
 * `createReadStream` is not counted: plugins should use `open` for partial reads.
 */
export function countingImage(image: Image, account: PluginAccount): Image {
  const readFile = async (path: string, options: ReadOptions & { encoding?: BufferEncoding | null } = {}) => {
    const { size } = await image.stat(path);
    const why = account.reserve(size, { whole: true, scanWide: true });
    if (why !== undefined) throw account.skip(path, why);
    let read = 0;
    try {
      const data = await image.readFile(path, { ...options, encoding: null });
      read = data.length;
      return options.encoding ? data.toString(options.encoding) : data;
    } finally {
      account.settle(path, size, read, true);
    }
  };
  const open = async (path: string, options: ReadOptions = {}): Promise<ImageFileHandle> => {
    const h = await image.open(path, options);
    return {
      path: h.path,
      stat: () => h.stat(),
      close: () => h.close(),
      read: async (
        buffer,
        offset = 0,
        length = buffer.length - offset,
        position = null,
        readOptions = {},
      ) => {
        const why = account.reserve(length, { whole: false, scanWide: true });
        if (why !== undefined) throw account.skip(path, why);
        let read = 0;
        try {
          const r = await h.read(buffer, offset, length, position, readOptions);
          read = r.bytesRead;
          return r;
        } finally {
          account.settle(path, length, read, true);
        }
      },
      readFile: async (readOptions = {}) => (await readFile(h.path, readOptions)) as Buffer,
    };
  };
  return new Proxy(image, {
    get(target, prop) {
      if (prop === "readFile") return readFile;
      if (prop === "open") return open;
      // Bind to the real image: its methods use #private fields, which a Proxy receiver lacks.
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
