// Reads OSV records out of the three forms osv.dev data comes in: a zip of JSON files (the
// per-ecosystem `all.zip` exports), a directory tree of JSON files, and JSON Lines; and downloads
// a zip from an http(s) URL first. Every byte is untrusted: entry counts, sizes and inflation
// ratios are checked before anything is read, and a record over its size limit is skipped, not
// read.
import { createReadStream, createWriteStream } from "node:fs";
import { lstat, mkdtemp, open, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { VulndbError, VulndbErrorCode } from "./errors.js";
import type { VulndbLimits } from "./limits.js";
import { ZipFormatError, ZipReader } from "./zip-reader.js";

/** The form of one input. */
export type SourceKind = "zip" | "directory" | "jsonl" | "json";

/** One record's raw text, or why it was skipped unread. */
export type RawRecord =
  | { readonly where: string; readonly text: string }
  | { readonly where: string; readonly skipped: string };

/** Bytes inflated from zips so far in one build, shared across its inputs. */
interface ZipBudget {
  total: number;
}

const ZIP_MAGIC = 0x04034b50;
/** Entries smaller than this are not held to the ratio limit: tiny files compress oddly. */
const RATIO_FLOOR = 64 * 1024;

/** True for `http://` and `https://` inputs. */
export function isUrl(input: string): boolean {
  return /^https?:\/\//i.test(input);
}

/** A URL without credentials or query, fit for summaries and errors. */
export function redactUrl(input: string): string {
  try {
    const u = new URL(input);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return input.slice(0, 200);
  }
}

/** Decides what a local input is: a directory, a zip (by its magic), JSON Lines or one JSON record. */
export async function sourceKind(path: string): Promise<SourceKind> {
  let st: Awaited<ReturnType<typeof lstat>>;
  try {
    st = await lstat(path);
  } catch (cause) {
    throw new VulndbError(VulndbErrorCode.BAD_SOURCE, `cannot read OSV input ${path}`, { path, cause });
  }
  if (st.isDirectory()) return "directory";
  if (!st.isFile())
    throw new VulndbError(VulndbErrorCode.BAD_SOURCE, `${path} is not a file or directory`, { path });
  const fh = await open(path, "r");
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await fh.read(head, 0, 4, 0);
    if (bytesRead === 4 && head.readUInt32LE(0) === ZIP_MAGIC) return "zip";
  } finally {
    await fh.close();
  }
  if (/\.json$/i.test(path)) return "json";
  if (/\.(jsonl|ndjson)$/i.test(path)) return "jsonl";
  throw new VulndbError(
    VulndbErrorCode.BAD_SOURCE,
    `${path} is not a zip, a directory, a .json file or a .jsonl/.ndjson file`,
    { path },
  );
}

/** Yields the records of one local input (zip, directory, JSON Lines or JSON file). */
export async function* readRecords(
  path: string,
  kind: SourceKind,
  limits: VulndbLimits,
  budget: ZipBudget = { total: 0 },
): AsyncGenerator<RawRecord> {
  if (kind === "zip") yield* readZip(path, limits, budget);
  else if (kind === "directory") yield* readDirectory(path, limits, budget);
  else if (kind === "jsonl") yield* readJsonLines(path, limits);
  else yield await readJsonFile(path, limits);
}

async function readJsonFile(path: string, limits: VulndbLimits): Promise<RawRecord> {
  const st = await lstat(path);
  if (st.size > limits.maxRecordBytes) {
    return {
      where: path,
      skipped: `file of ${st.size} bytes is over the ${limits.maxRecordBytes}-byte record limit`,
    };
  }
  return { where: path, text: await readFile(path, "utf8") };
}

/** Walks a directory tree in name order (so builds are reproducible), never following symlinks. */
async function* readDirectory(
  dir: string,
  limits: VulndbLimits,
  budget: ZipBudget,
): AsyncGenerator<RawRecord> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) yield* readDirectory(path, limits, budget);
    else if (e.isFile()) {
      if (/\.json$/i.test(e.name)) yield await readJsonFile(path, limits);
      else if (/\.(jsonl|ndjson)$/i.test(e.name)) yield* readJsonLines(path, limits);
      else if (/\.zip$/i.test(e.name)) yield* readZip(path, limits, budget);
    }
  }
}

/**
 * Splits a JSON Lines file into lines without ever holding more than one record's bytes: a line
 * over the record limit is skipped to its end and reported, not buffered.
 */
async function* readJsonLines(path: string, limits: VulndbLimits): AsyncGenerator<RawRecord> {
  let parts: Buffer[] = [];
  let pending = 0;
  let overlong = false;
  let line = 1;
  const finish = (): RawRecord | undefined => {
    const where = `${path}:${line}`;
    line++;
    if (overlong) {
      overlong = false;
      parts = [];
      pending = 0;
      return { where, skipped: `line is over the ${limits.maxRecordBytes}-byte record limit` };
    }
    const text = Buffer.concat(parts, pending).toString("utf8");
    parts = [];
    pending = 0;
    return text.trim() === "" ? undefined : { where, text };
  };
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl === -1 ? chunk.length : nl;
      if (!overlong) {
        if (pending + end - start > limits.maxRecordBytes) overlong = true;
        else if (end > start) {
          parts.push(chunk.subarray(start, end));
          pending += end - start;
        }
      }
      if (nl === -1) break;
      const r = finish();
      if (r !== undefined) yield r;
      start = nl + 1;
    }
  }
  const r = finish();
  if (r !== undefined) yield r;
}

function zipError(path: string, message: string, cause?: unknown): VulndbError {
  return new VulndbError(VulndbErrorCode.BAD_ZIP, `${path}: ${message}`, { path, cause });
}

/**
 * Yields the `.json` entries of a zip, one at a time. A zip over the entry-count or total limits,
 * an entry inflating beyond the ratio limit or beyond its declared size, or a zip whose structure
 * contradicts itself fails the whole zip: those are bombs or damage, not bad records. An entry
 * over the record limit, encrypted, or failing its CRC is skipped with the reason.
 */
async function* readZip(path: string, limits: VulndbLimits, budget: ZipBudget): AsyncGenerator<RawRecord> {
  let zip: ZipReader;
  try {
    zip = await ZipReader.open(path, {
      maxEntries: limits.maxZipEntries,
      maxCentralDirectoryBytes: limits.maxZipDirectoryBytes,
    });
  } catch (err) {
    throw zipError(
      path,
      err instanceof ZipFormatError ? err.message : `not a readable zip: ${(err as Error).message}`,
      err,
    );
  }
  try {
    for (const entry of zip.entries) {
      const where = `${basename(path)}!${entry.name}`;
      if (entry.name.endsWith("/") || !/\.json$/i.test(entry.name)) continue;
      const size = entry.size;
      if (size > limits.maxRecordBytes) {
        yield {
          where,
          skipped: `entry of ${size} bytes is over the ${limits.maxRecordBytes}-byte record limit`,
        };
        continue;
      }
      if (size > RATIO_FLOOR && size > entry.compressedSize * limits.maxZipRatio) {
        throw zipError(
          path,
          `entry ${entry.name} inflates ${size}/${entry.compressedSize} bytes, over the ratio limit of ${limits.maxZipRatio}`,
        );
      }
      budget.total += size;
      if (budget.total > limits.maxZipTotalBytes) {
        throw zipError(path, `entries inflate to more than the limit of ${limits.maxZipTotalBytes} bytes`);
      }
      let data: Awaited<ReturnType<ZipReader["read"]>>;
      try {
        data = await zip.read(entry);
      } catch (err) {
        throw zipError(path, err instanceof ZipFormatError ? err.message : (err as Error).message, err);
      }
      if (Buffer.isBuffer(data)) yield { where, text: data.toString("utf8") };
      else yield { where, skipped: data.skipped };
    }
  } finally {
    await zip.close();
  }
}

/** Options of {@link download}. */
export interface DownloadOptions {
  readonly signal?: AbortSignal;
  readonly limits: VulndbLimits;
}

/**
 * Downloads an OSV export from an http(s) URL into a fresh temporary directory and returns the
 * file's path and a function that deletes it. Bounded by `maxDownloadBytes`, announced or not.
 */
export async function download(
  url: string,
  options: DownloadOptions,
): Promise<{ path: string; dispose: () => Promise<void> }> {
  const shown = redactUrl(url);
  const max = options.limits.maxDownloadBytes;
  let res: Response;
  try {
    res = await fetch(url, {
      redirect: "follow",
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
  } catch (cause) {
    if (options.signal?.aborted === true) throw options.signal.reason;
    throw new VulndbError(VulndbErrorCode.DOWNLOAD, `cannot download ${shown}: ${(cause as Error).message}`, {
      path: shown,
      cause,
    });
  }
  if (res.status !== 200 || res.body === null) {
    await res.body?.cancel().catch(() => {});
    throw new VulndbError(VulndbErrorCode.DOWNLOAD, `cannot download ${shown}: HTTP ${res.status}`, {
      path: shown,
    });
  }
  const announced = Number(res.headers.get("content-length") ?? "NaN");
  if (Number.isFinite(announced) && announced > max) {
    await res.body.cancel().catch(() => {});
    throw new VulndbError(
      VulndbErrorCode.TOO_LARGE,
      `${shown} is ${announced} bytes, over the download limit of ${max}`,
      { path: shown },
    );
  }
  const dir = await mkdtemp(join(tmpdir(), "rafscan-osv-"));
  const dispose = () => rm(dir, { recursive: true, force: true });
  const path = join(dir, "download.zip");
  let got = 0;
  try {
    const body = Readable.fromWeb(res.body as import("node:stream/web").ReadableStream<Uint8Array>);
    await pipeline(
      body,
      async function* (source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          got += chunk.length;
          if (got > max) {
            throw new VulndbError(
              VulndbErrorCode.TOO_LARGE,
              `${shown} is over the download limit of ${max} bytes`,
              { path: shown },
            );
          }
          yield chunk;
        }
      },
      createWriteStream(path),
      options.signal === undefined ? {} : { signal: options.signal },
    );
    if (Number.isFinite(announced) && got !== announced) {
      throw new VulndbError(VulndbErrorCode.DOWNLOAD, `${shown}: got ${got} of ${announced} bytes`, {
        path: shown,
      });
    }
  } catch (err) {
    await dispose();
    if (err instanceof VulndbError || options.signal?.aborted === true) throw err;
    throw new VulndbError(VulndbErrorCode.DOWNLOAD, `cannot download ${shown}: ${(err as Error).message}`, {
      path: shown,
      cause: err,
    });
  }
  return { path, dispose };
}
