// Reads a plain (non-Nydus) OCI image the slow way: downloads every layer, builds an uncompressed
// RAFS image of the merged tree in a temporary directory, and opens that. This is what
// @rafscan/registry's `openImage` falls back to when given `plainImage: openPlainImage`; the layer
// downloads are counted in the image's transport counters so reports show what it cost.
import { rmSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openImage, type PlainImage, type RegistryAccess } from "@rafscan/registry";
import type { Image } from "@rafscan/vfs";
import { buildImage } from "../build.js";
import { readImage } from "./read-image.js";

/** Options of {@link plainImageOpener}. */
export interface PlainImageOptions extends RegistryAccess {
  readonly username?: string;
  readonly password?: string;
  readonly insecure?: boolean;
  /** Called as layer bytes arrive. */
  readonly onProgress?: (p: { layer: number; layers: number; bytes: number; total: number }) => void;
}

/**
 * Returns a `plainImage` handler for @rafscan/registry's `openImage`. The temporary image is
 * removed when the process exits.
 */
export function plainImageOpener(options: PlainImageOptions = {}): (plain: PlainImage) => Promise<Image> {
  return async (plain) => {
    const work = await mkdtemp(join(tmpdir(), "rafscan-plain-"));
    process.once("exit", () => rmSync(work, { recursive: true, force: true }));
    const seen = new Map<number, number>();
    const source = await readImage(plain.name, {
      ...(options.username === undefined ? {} : { username: options.username }),
      ...(options.password === undefined ? {} : { password: options.password }),
      insecure: options.insecure === true,
      ...(options.dockerConfig === undefined ? {} : { dockerConfig: options.dockerConfig }),
      ...(options.dispatcher === undefined ? {} : { dispatcher: options.dispatcher }),
      ...(plain.platform === undefined ? {} : { platform: plain.platform }),
      ...(plain.signal === undefined ? {} : { signal: plain.signal }),
      onProgress: (p) => {
        const before = seen.get(p.layer);
        if (before === undefined) plain.stats.layersDownloaded++;
        plain.stats.otherBytes += p.bytes - (before ?? 0);
        seen.set(p.layer, p.bytes);
        options.onProgress?.(p);
      },
    });
    plain.stats.otherRequests += source.layers.length + 2;
    // Uncompressed: the image is read once, locally; compressing it would only cost time.
    await buildImage(source.layers, {
      outDir: work,
      compressor: "none",
      ...(plain.signal === undefined ? {} : { signal: plain.signal }),
    });
    return openImage(work, {
      origin: {
        name: source.name,
        kind: "registry" as const,
        manifestDigest: plain.manifestDigest,
        imageBytes: plain.manifest.layers.reduce((n, l) => n + l.size, 0),
        config: source.config,
        transport: plain.stats as unknown as Readonly<Record<string, number>>,
        converted: true,
        format: "oci",
      },
    });
  };
}
