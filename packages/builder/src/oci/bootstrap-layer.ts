// The bootstrap layer: a gzip'd tar with `image/` and `image/image.boot` (reference 6.1), written
// as a stream with both digests computed on the way: the layer digest (of the gzip bytes) and the
// diff id (of the tar). The same bootstrap always gives the same bytes (see gzip header below).
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { stat } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import { constants, crc32, createDeflateRaw } from "node:zlib";
import { BuildError } from "../input/build-error.js";
import { BOOTSTRAP_DIR, BOOTSTRAP_ENTRY } from "./media-types.js";
import { tarEnd, tarPadding, USTAR_MAX_SIZE, ustarHeader } from "./ustar.js";

/** What {@link writeBootstrapLayer} wrote. */
export interface BootstrapLayer {
  /** `sha256:<hex>` of the gzip bytes: the layer digest. */
  readonly digest: string;
  /** Size of the gzip bytes. */
  readonly size: number;
  /** `sha256:<hex>` of the uncompressed tar: the layer's diff id in the image config. */
  readonly diffId: string;
}

/**
 * A fixed gzip header (RFC 1952): deflate, no flags, MTIME 0, XFL 0, OS 255 ("unknown", as Go's
 * gzip writes it). node:zlib's own header would carry the OS code of the platform zlib was built
 * for, so the same image would differ in one byte between Windows and Linux.
 */
const GZIP_HEADER = Uint8Array.of(0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xff);

/**
 * Writes the bootstrap layer of `bootstrapPath` to `outPath`. Deflate output is the same for the
 * same input and the same zlib; a different Node release may compress differently.
 * @throws BuildError `BUILD_BLOB_MISMATCH` when the bootstrap changes size while being read
 */
export async function writeBootstrapLayer(
  bootstrapPath: string,
  outPath: string,
  signal?: AbortSignal,
): Promise<BootstrapLayer> {
  const { size } = await stat(bootstrapPath);
  if (size > USTAR_MAX_SIZE) {
    throw new BuildError(
      "BUILD_OPTION",
      `bootstrap of ${size} bytes is too large for a tar entry`,
      bootstrapPath,
    );
  }
  const tarHash = createHash("sha256");
  const gzHash = createHash("sha256");
  let crc = 0;
  let tarSize = 0;
  let gzSize = 0;

  async function* tar(): AsyncGenerator<Uint8Array> {
    yield ustarHeader({ name: BOOTSTRAP_DIR, type: "dir", mode: 0o755, size: 0 });
    yield ustarHeader({ name: BOOTSTRAP_ENTRY, type: "file", mode: 0o444, size });
    let read = 0;
    for await (const chunk of createReadStream(bootstrapPath) as AsyncIterable<Buffer>) {
      read += chunk.length;
      // The header already promised `size` bytes; more or fewer would corrupt the tar.
      if (read > size) break;
      yield chunk;
    }
    if (read !== size) {
      throw new BuildError("BUILD_BLOB_MISMATCH", `bootstrap changed size while being packed`, bootstrapPath);
    }
    yield tarPadding(size);
    yield tarEnd();
  }
  async function* measureTar(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    for await (const chunk of source) {
      tarHash.update(chunk);
      crc = crc32(chunk, crc);
      tarSize += chunk.length;
      yield chunk;
    }
  }
  async function* gzipFrame(deflated: AsyncIterable<Buffer>): AsyncGenerator<Uint8Array> {
    yield GZIP_HEADER;
    for await (const chunk of deflated) yield chunk;
    // The trailer: CRC-32 and the input size modulo 2^32, little-endian.
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(crc >>> 0, 0);
    trailer.writeUInt32LE(tarSize % 2 ** 32, 4);
    yield trailer;
  }
  async function* measureGzip(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    for await (const chunk of source) {
      gzHash.update(chunk);
      gzSize += chunk.length;
      yield chunk;
    }
  }
  await pipeline(
    tar,
    measureTar,
    createDeflateRaw({ level: constants.Z_DEFAULT_COMPRESSION }),
    gzipFrame,
    measureGzip,
    createWriteStream(outPath),
    ...(signal === undefined ? [] : [{ signal }]),
  );
  return {
    digest: `sha256:${gzHash.digest("hex")}`,
    size: gzSize,
    diffId: `sha256:${tarHash.digest("hex")}`,
  };
}
