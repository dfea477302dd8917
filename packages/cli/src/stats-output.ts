// `--stats`: what reading the image cost, printed to stderr after a command (stdout stays the
// command's own output, so scripts can pipe it).
import type { Image } from "@rafscan/vfs";
import { humanBytes, type Io } from "./output.js";
import { plural } from "./parse-values.js";

/** The telemetry of an image: chunk reads and caches, plus the transport's counters. */
export function imageTelemetry(image: Image): Record<string, unknown> {
  const s = image.stats;
  const t = image.origin?.transport;
  return {
    image: image.origin?.name,
    imageBytes: image.origin?.imageBytes,
    converted: image.origin?.converted === true,
    metadataBytes: s.metadataBytes,
    blobReads: s.blobReads,
    blobBytesRead: s.blobBytesRead,
    cacheHits: s.cacheHits,
    cacheMisses: s.cacheMisses,
    chunksVerified: s.chunksVerified,
    ...(t === undefined
      ? {
          requests: s.blobReads,
          bytesFetched: s.blobBytesRead + s.metadataBytes,
          networkMs: Math.round(s.blobReadMs),
        }
      : {
          requests: t.requests,
          bytesFetched: t.bytesFetched,
          networkMs: Math.round(t.networkMs ?? 0),
          retries: t.retries,
          rangeIgnored: t.rangeIgnored,
          layersDownloaded: t.layersDownloaded,
          diskHits: t.diskHits,
          diskMisses: t.diskMisses,
        }),
  };
}

/** Prints the telemetry: one JSON line `{"stats": {...}}` with --json, else one readable line. */
export function writeStats(image: Image, json: boolean, io: Io): void {
  const t = imageTelemetry(image);
  if (json) {
    io.stderr.write(`${JSON.stringify({ stats: t })}\n`);
    return;
  }
  const of = typeof t.imageBytes === "number" ? ` of ${humanBytes(t.imageBytes)}` : "";
  io.stderr.write(
    `rafscan: fetched ${humanBytes(t.bytesFetched as number)}${of} in ${plural(t.requests as number, "request")}, ` +
      `${t.networkMs} ms waiting; chunk cache ${plural(t.cacheHits as number, "hit")} / ${plural(t.cacheMisses as number, "miss", "misses")}` +
      (t.retries ? `, ${plural(t.retries as number, "retry", "retries")}` : "") +
      (t.layersDownloaded ? `, ${plural(t.layersDownloaded as number, "whole layer")} downloaded` : "") +
      "\n",
  );
}
