// `rafscan inspect IMAGE [stat PATH | ls PATH | chunks PATH | icheck INO] [--json]`: what
// `nydus-image inspect` shows, without nydus.
import { BlobFeatures, type BlobInfo, flagNames, toHex } from "@rafscan/rafs";
import type { Image } from "@rafscan/vfs";
import { comparePathBytes, listingEntry } from "../listing.js";
import { humanBytes, type Io, writeJsonLine } from "../output.js";
import { UsageError } from "../usage-error.js";

/** Runs `inspect` with an optional request (`stat`, `ls`, `chunks`, `icheck`). */
export async function runInspect(
  image: Image,
  request: readonly string[],
  json: boolean,
  io: Io,
): Promise<number> {
  const [what, arg] = request;
  switch (what) {
    case undefined:
      return summary(image, json, io);
    case "stat":
      return inspectStat(image, need(arg, "stat PATH"), json, io);
    case "ls":
      return inspectLs(image, need(arg, "ls PATH"), json, io);
    case "chunks":
      return inspectChunks(image, need(arg, "chunks PATH"), json, io);
    case "icheck":
      return inspectIcheck(image, need(arg, "icheck INO"), json, io);
    default:
      throw new UsageError(`unknown inspect request '${what}' (stat PATH, ls PATH, chunks PATH, icheck INO)`);
  }
}

function need(arg: string | undefined, usage: string): string {
  if (arg === undefined) throw new UsageError(`inspect ${usage}: missing argument`);
  return arg;
}

function blobJson(b: BlobInfo) {
  return {
    index: b.index,
    id: b.id,
    compressor: b.compressor,
    digester: b.digester,
    chunkSize: b.chunkSize,
    chunkCount: b.chunkCount ?? null,
    compressedSize: b.compressedSize ?? null,
    uncompressedSize: b.uncompressedSize ?? null,
    features: `0x${(b.features >>> 0).toString(16)}`,
    featureNames: flagNames(BlobFeatures, b.features),
    hasBlobMeta: b.meta !== undefined,
    blobMeta: b.meta
      ? {
          compressor: b.meta.compressor,
          offset: b.meta.offset,
          compressedSize: b.meta.compressedSize,
          uncompressedSize: b.meta.uncompressedSize,
        }
      : null,
    hasToc: (b.features & BlobFeatures.HAS_TOC) !== 0 || b.tocSize > 0,
    tocSize: b.tocSize,
    tocDigest: b.tocDigest ? toHex(b.tocDigest) : null,
    encrypted: b.encrypted ?? false,
  };
}

async function summary(image: Image, json: boolean, io: Io): Promise<number> {
  const i = image.info;
  // A plain OCI image (or a directory) is read through a temporary uncompressed RAFS image: its
  // superblock describes that copy, not the image, so the format says what the image is.
  const label = image.origin?.format;
  const stats = {
    format: label ?? i.format,
    ...(label === undefined ? {} : { readAs: i.format }),
    version: i.format === "v5" ? 5 : i.format === "v6" ? 6 : "erofs",
    blockSize: i.blockSize ?? null,
    chunkSize: i.chunkSize ?? null,
    compressor: i.compressor,
    digester: i.digester,
    flags: i.flags,
    flagNames: i.flagNames,
    inodeCount: i.inodeCount,
    rootIno: i.rootId,
    bootstrapSize: i.bootstrapSize,
    prefetch: i.prefetch,
    blobCount: i.blobs.length,
  };
  const blobs = i.blobs.map(blobJson);
  if (json) {
    writeJsonLine(io, { stats, blobs });
    return 0;
  }
  const lines = [
    label !== undefined
      ? `Format:          ${label === "oci" ? "OCI image (not Nydus)" : label}, read through a temporary uncompressed RAFS ${i.format} image`
      : `Format:          ${i.format === "erofs" ? "EROFS (plain)" : `RAFS ${i.format}`}`,
    `Block size:      ${i.blockSize ?? "-"}`,
    `Chunk size:      ${i.chunkSize === undefined ? "-" : `0x${i.chunkSize.toString(16)}`}`,
    `Compressor:      ${i.compressor}`,
    `Digester:        ${i.digester}`,
    `Flags:           ${i.flags} ${i.flagNames.join(" | ")}`,
    `Inodes:          ${i.inodeCount}`,
    `Root inode:      ${i.rootId}`,
    `Bootstrap size:  ${i.bootstrapSize} (${humanBytes(i.bootstrapSize)})`,
    `Prefetch:        ${i.prefetch.length === 0 ? "none" : i.prefetch.join(", ")}`,
    `Blobs:           ${i.blobs.length}`,
  ];
  for (const b of blobs) {
    lines.push(
      `  [${b.index}] ${b.id || "(no id)"}`,
      `      compressor ${b.compressor}, digester ${b.digester}, chunks ${b.chunkCount ?? "?"}, ` +
        `compressed ${b.compressedSize ?? "?"}, uncompressed ${b.uncompressedSize ?? "?"}`,
      `      features ${b.features} ${b.featureNames.join(" | ")}; blob meta ${b.hasBlobMeta ? "yes" : "no"}; TOC ${b.hasToc ? `yes (${b.tocSize} bytes)` : "no"}`,
    );
  }
  io.stdout.write(`${lines.join("\n")}\n`);
  return 0;
}

async function inspectStat(image: Image, path: string, json: boolean, io: Io): Promise<number> {
  const st = await image.lstat(path);
  const e = await listingEntry(image, path, st, {});
  if (json) writeJsonLine(io, { ...e, mtimeNs: st.mtimeNs.toString(), blocks: st.blocks });
  else
    for (const [k, v] of Object.entries(e))
      io.stdout.write(`${k.padEnd(8)} ${typeof v === "object" ? JSON.stringify(v) : v}\n`);
  return 0;
}

async function inspectLs(image: Image, path: string, json: boolean, io: Io): Promise<number> {
  const entries = await image.readdir(path, { withFileTypes: true });
  const rows = [];
  for (const d of entries) {
    const p = d.parentPath === "/" ? `/${d.name}` : `${d.parentPath}/${d.name}`;
    const st = await image.lstat(p);
    rows.push({ name: d.name, ino: st.ino, type: d.type, size: st.size });
  }
  for (const r of rows) {
    if (json) writeJsonLine(io, r);
    else
      io.stdout.write(
        `${String(r.ino).padStart(8)} ${r.type.padEnd(8)} ${String(r.size).padStart(10)} ${r.name}\n`,
      );
  }
  return 0;
}

async function inspectChunks(image: Image, path: string, json: boolean, io: Io): Promise<number> {
  const extents = await image.fileExtents(path);
  for (const ext of extents) {
    const row =
      ext.kind === "chunk"
        ? {
            kind: "chunk",
            fileOffset: ext.fileOffset,
            length: ext.length,
            blobIndex: ext.chunk.blobIndex,
            blobId: image.info.blobs[ext.chunk.blobIndex]?.id ?? null,
            chunkIndex: ext.chunk.chunkIndex,
            compressedOffset: ext.chunk.compressedOffset,
            compressedSize: ext.chunk.compressedSize,
            uncompressedOffset: ext.chunk.uncompressedOffset,
            uncompressedSize: ext.chunk.uncompressedSize,
            compressed: ext.chunk.compressed,
            digest: ext.chunk.digest ? toHex(ext.chunk.digest) : null,
            crc32c: ext.chunk.crc32c ?? null,
          }
        : ext.kind === "inline"
          ? { kind: "inline", fileOffset: ext.fileOffset, length: ext.bytes.length }
          : ext.kind === "device"
            ? {
                kind: "device",
                fileOffset: ext.fileOffset,
                length: ext.length,
                device: ext.device,
                offset: ext.offset,
              }
            : { kind: "hole", fileOffset: ext.fileOffset, length: ext.length };
    if (json) writeJsonLine(io, row);
    else
      io.stdout.write(
        `${Object.entries(row)
          .map(([k, v]) => `${k}=${v}`)
          .join(" ")}\n`,
      );
  }
  return 0;
}

async function inspectIcheck(image: Image, inoArg: string, json: boolean, io: Io): Promise<number> {
  const ino = Number(inoArg);
  if (!Number.isSafeInteger(ino) || ino < 0)
    throw new UsageError(`icheck: '${inoArg}' is not an inode number`);
  const paths: string[] = [];
  for await (const e of image.walk("/")) if (e.stats.ino === ino) paths.push(e.path);
  paths.sort(comparePathBytes);
  if (json) writeJsonLine(io, { ino, paths });
  else for (const p of paths) io.stdout.write(`${p}\n`);
  if (paths.length === 0) {
    io.stderr.write(`rafscan: inode ${ino} not found\n`);
    return 1;
  }
  return 0;
}
