// Finds the bootstrap: a bootstrap file itself, or a data blob that carries one (TOC entry
// `image.boot`, or a trailing `image.boot` tar section). Reference sections 4.2, 4.3, 4.7.
import { createHash } from "node:crypto";
import {
  decodeTarHeader,
  decodeTocEntries,
  decompress,
  detectFormat,
  RafsError,
  RafsErrorCode,
  TAR_HEADER_SIZE,
  TOC_NAME,
  toHex,
} from "@rafscan/rafs";
import type { BlobSource } from "./blob-source.js";

const BOOT_NAME = "image.boot";

/** Where a bootstrap came from. */
export interface LoadedBootstrap {
  readonly bytes: Uint8Array;
  /** True when it was found inside a data blob, which then also serves that blob's chunks. */
  readonly fromBlob: boolean;
}

/**
 * Returns `bytes` as the bootstrap when it has a known magic; otherwise looks for a bootstrap
 * inside it as a data blob.
 */
export async function loadBootstrap(
  source: BlobSource,
  maxBootstrapSize: number,
  name: string,
  signal?: AbortSignal,
): Promise<LoadedBootstrap> {
  if (source.size === undefined)
    throw new RafsError(RafsErrorCode.BLOB_READ, "source has no size", { where: name });
  const size = await source.size({ signal });
  const headLen = Math.min(size, 8192);
  const head = await source.read(0, headLen, { signal });
  if (detectFormat(head) !== undefined) {
    if (size > maxBootstrapSize) {
      throw new RafsError(RafsErrorCode.LIMIT, `bootstrap of ${size} bytes exceeds maxBootstrapSize`, {
        where: name,
      });
    }
    return { bytes: size === headLen ? head : await source.read(0, size, { signal }), fromBlob: false };
  }
  if (size < TAR_HEADER_SIZE) {
    throw new RafsError(RafsErrorCode.BAD_MAGIC, "not a RAFS/EROFS image nor a data blob with a bootstrap", {
      where: name,
    });
  }
  const tail = await source.read(size - TAR_HEADER_SIZE, TAR_HEADER_SIZE, { signal });
  let header: ReturnType<typeof decodeTarHeader>;
  try {
    header = decodeTarHeader(tail, `${name} tail tar header`);
  } catch (err) {
    throw new RafsError(RafsErrorCode.BAD_MAGIC, "not a RAFS/EROFS image nor a data blob with a bootstrap", {
      where: name,
      cause: err,
    });
  }
  const sectionEnd = size - TAR_HEADER_SIZE;
  if (header.size > sectionEnd) {
    throw new RafsError(RafsErrorCode.CORRUPT, `tail section of ${header.size} bytes`, { where: name });
  }
  if (header.name === BOOT_NAME) {
    // v5 `--inline-bootstrap` blobs end with the raw bootstrap and its header, without a TOC.
    if (header.size > maxBootstrapSize) {
      throw new RafsError(RafsErrorCode.LIMIT, `bootstrap of ${header.size} bytes exceeds maxBootstrapSize`, {
        where: name,
      });
    }
    return { bytes: await source.read(sectionEnd - header.size, header.size, { signal }), fromBlob: true };
  }
  if (header.name !== TOC_NAME) {
    throw new RafsError(
      RafsErrorCode.BAD_MAGIC,
      `blob ends with section '${header.name}', not a TOC or bootstrap`,
      {
        where: name,
      },
    );
  }
  const toc = decodeTocEntries(
    await source.read(sectionEnd - header.size, header.size, { signal }),
    `${name} TOC`,
  );
  const boot = toc.find((e) => e.name === BOOT_NAME);
  if (boot === undefined) {
    throw new RafsError(
      RafsErrorCode.BAD_MAGIC,
      "data blob carries no bootstrap (no image.boot in its TOC)",
      {
        where: name,
      },
    );
  }
  if (boot.uncompressedSize > maxBootstrapSize) {
    throw new RafsError(
      RafsErrorCode.LIMIT,
      `bootstrap of ${boot.uncompressedSize} bytes exceeds maxBootstrapSize`,
      {
        where: name,
      },
    );
  }
  if (boot.compressedOffset + boot.compressedSize > size) {
    throw new RafsError(RafsErrorCode.OUT_OF_BOUNDS, "TOC image.boot lies outside the blob", { where: name });
  }
  const raw = await source.read(boot.compressedOffset, boot.compressedSize, { signal });
  let bytes: Uint8Array;
  try {
    bytes = decompress(boot.compressor, raw, boot.uncompressedSize, `${name} image.boot`, maxBootstrapSize);
  } catch (err) {
    // As for chunks: bytes that do not decode are not the ones the TOC's sha256 was taken of.
    if (err instanceof RafsError && err.code === RafsErrorCode.DECOMPRESS) {
      throw new RafsError(
        RafsErrorCode.DIGEST_MISMATCH,
        `image.boot does not match its TOC sha256: it does not decode (${err.message})`,
        { where: name, cause: err },
      );
    }
    throw err;
  }
  const digest = createHash("sha256").update(bytes).digest();
  if (Buffer.compare(digest, boot.uncompressedDigest) !== 0) {
    throw new RafsError(
      RafsErrorCode.DIGEST_MISMATCH,
      `image.boot sha256 ${digest.toString("hex")} != TOC ${toHex(boot.uncompressedDigest)}`,
      { where: name },
    );
  }
  return { bytes, fromBlob: true };
}
