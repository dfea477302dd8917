// `rafscan build SRC -o OUTDIR [--fs-version 5|6] [--compressor C] [--digester D]
// [--chunk-size N] [--prefetch PATH]...`: builds a Nydus image from a directory or a tar layer.
import { statSync } from "node:fs";
import {
  type BuildOptions,
  type BuildResult,
  buildImage,
  type EntrySource,
  readDirectory,
  readTar,
} from "@rafscan/builder";
import type { CompressorName, DigesterName } from "@rafscan/rafs";
import { humanBytes, type Io, progress, progressDone, writeJsonLine } from "../output.js";
import { plural } from "../parse-values.js";
import { UsageError } from "../usage-error.js";

/** Raw option values of `build`, as parsed by main. */
export interface BuildArgs {
  readonly src: string;
  readonly out: string | undefined;
  readonly fsVersion: string | undefined;
  readonly compressor: string | undefined;
  readonly digester: string | undefined;
  readonly chunkSize: string | undefined;
  readonly prefetch: readonly string[] | undefined;
}

const COMPRESSORS: readonly CompressorName[] = ["none", "lz4_block", "zstd", "gzip"];
const DIGESTERS: readonly DigesterName[] = ["blake3", "sha256"];

/** Parses and checks `build` options. */
export function buildOptions(args: BuildArgs): BuildOptions {
  if (args.out === undefined) throw new UsageError("build needs -o OUTDIR");
  const fsVersion = args.fsVersion === undefined ? 6 : Number(args.fsVersion);
  if (fsVersion !== 5 && fsVersion !== 6)
    throw new UsageError(`--fs-version must be 5 or 6, not ${args.fsVersion}`);
  const compressor = (args.compressor ?? "zstd") as CompressorName;
  if (!COMPRESSORS.includes(compressor)) {
    throw new UsageError(`--compressor must be one of ${COMPRESSORS.join(", ")}, not ${args.compressor}`);
  }
  const digester = (args.digester ?? "blake3") as DigesterName;
  if (!DIGESTERS.includes(digester))
    throw new UsageError(`--digester must be blake3 or sha256, not ${args.digester}`);
  const chunkSize = args.chunkSize === undefined ? 0x100000 : parseSize(args.chunkSize);
  if (!(chunkSize >= 0x1000 && chunkSize <= 0x100_0000 && (chunkSize & (chunkSize - 1)) === 0)) {
    throw new UsageError(`--chunk-size must be a power of two from 4K to 16M, not ${args.chunkSize}`);
  }
  return { outDir: args.out, fsVersion, compressor, digester, chunkSize, prefetch: args.prefetch ?? [] };
}

/** Accepts bytes, hex (0x100000) or K/M suffixes. */
function parseSize(text: string): number {
  const m = /^(0x[0-9a-f]+|\d+)([KM]i?B?)?$/i.exec(text.trim());
  if (!m) return Number.NaN;
  const base = Number(m[1]);
  const unit = (m[2] ?? "").toUpperCase();
  return unit.startsWith("K") ? base * 1024 : unit.startsWith("M") ? base * 1024 * 1024 : base;
}

/** The input layer of SRC: a directory, or a tar / tar.gz / tar.zst file. */
export function sourceOf(src: string): EntrySource {
  let isDir: boolean;
  try {
    isDir = statSync(src).isDirectory();
  } catch {
    throw new UsageError(`SRC not found: ${src}`);
  }
  return isDir ? readDirectory(src) : readTar(src);
}

/** Builds the image and prints a summary (JSON with --json); progress on a terminal. */
export async function runBuild(args: BuildArgs, json: boolean, io: Io): Promise<number> {
  const options = buildOptions(args);
  const started = performance.now();
  const result = await buildImage([sourceOf(args.src)], {
    ...options,
    onProgress: (p) => {
      if (p.files % 100 === 0) progress(io, `built ${plural(p.files, "file")}, ${humanBytes(p.bytesIn)} in`);
    },
  });
  progressDone(io);
  const seconds = (performance.now() - started) / 1000;
  const summary = { bootstrap: result.bootstrap, ...buildSummary(result, seconds) };
  if (json) writeJsonLine(io, summary);
  else {
    io.stdout.write(
      `built ${summary.bootstrap}: ${plural(summary.entries, "entry", "entries")}, ${plural(summary.files, "file")}, ${buildTotals(result, seconds)}\n`,
    );
  }
  return 0;
}

/** The fields `build --json` and `convert --json` share, in their contract order. */
export function buildSummary(result: BuildResult, seconds: number) {
  return {
    blobs: result.blobs.map((b) => ({ id: b.id, size: b.size, chunks: b.chunkCount })),
    entries: result.progress.entries,
    files: result.progress.files,
    bytesIn: result.progress.bytesIn,
    chunks: result.progress.chunks,
    dedupedChunks: result.progress.dedupedChunks,
    seconds: Math.round(seconds * 1000) / 1000,
  };
}

/** The human summary's tail: bytes in, blobs out, chunks, time. */
export function buildTotals(result: BuildResult, seconds: number): string {
  const out = result.blobs.reduce((n, b) => n + b.size, 0);
  const p = result.progress;
  return (
    `${humanBytes(p.bytesIn)} in, ${plural(result.blobs.length, "blob")} of ${humanBytes(out)}, ${plural(p.chunks, "chunk")} ` +
    `(${p.dedupedChunks} deduplicated) in ${seconds.toFixed(2)} s`
  );
}
