// Format detection and the single entry point that opens any supported bootstrap.
import { RafsError, RafsErrorCode } from "./errors.js";
import { type Limits, resolveLimits } from "./limits.js";
import type { ImageFormat, RafsImage } from "./model.js";
import { openV5 } from "./v5/image.js";
import { isV5 } from "./v5/superblock.js";
import { openV6 } from "./v6/image.js";
import { isErofs } from "./v6/superblock.js";

/** Tells which format a bootstrap uses, or undefined when none matches. */
export function detectFormat(bytes: Uint8Array): "v5" | "v6-or-erofs" | undefined {
  if (isV5(bytes)) return "v5";
  if (isErofs(bytes)) return "v6-or-erofs";
  return undefined;
}

/**
 * Opens a RAFS v5, RAFS v6 or plain EROFS bootstrap from memory. Only the superblock, tables and
 * root inode are decoded now; everything else is decoded on demand.
 */
export function openBootstrap(bytes: Uint8Array, limits: Partial<Limits> = {}): RafsImage {
  const max = resolveLimits(limits).maxBootstrapSize;
  if (bytes.length > max) {
    throw new RafsError(
      RafsErrorCode.LIMIT,
      `bootstrap of ${bytes.length} bytes exceeds maxBootstrapSize ${max}`,
      {
        where: "bootstrap",
      },
    );
  }
  const format = detectFormat(bytes);
  if (format === "v5") return openV5(bytes, limits);
  if (format === "v6-or-erofs") return openV6(bytes, limits);
  throw new RafsError(
    RafsErrorCode.BAD_MAGIC,
    "not a RAFS v5, RAFS v6 or EROFS image (no magic at 0 or 1024)",
    {
      where: "bootstrap",
    },
  );
}

export type { ImageFormat };
