// scanImage: runs the analyzers over an open image and assembles the ScanReport with what it cost.
import { codecBackends, type ImageFormat } from "@rafscan/rafs";
import type { Image } from "@rafscan/vfs";
import { builtinAnalyzers } from "./builtin.js";
import { analyzeImageConfig } from "./config/image-config.js";
import type { AnalyzerPlugin } from "./plugin.js";
import type { ScanReport, ScanTelemetry } from "./report.js";
import { type RunOptions, runAnalyzers } from "./runner.js";
import type { VulnerabilityMatcher } from "./vulnerability.js";

/** Options of {@link scanImage}; the runner's options apply as well. */
export interface ScanOptions extends RunOptions {
  /** What the user named the image: a reference, `oci:DIR`, a bootstrap path. Default `image`. */
  readonly name?: string | undefined;
  /** The manifest digest, when the image came from a registry or an OCI layout. */
  readonly digest?: string | undefined;
  /** Analyzers to run. Default {@link builtinAnalyzers}. */
  readonly analyzers?: readonly AnalyzerPlugin[] | undefined;
  /** Compressed size of the whole image, for comparison with `bytesFetched`. Default unknown. */
  readonly imageBytes?: number | undefined;
  /**
   * Wire-level numbers that replace those the image counted (a registry layer knows the bytes and
   * requests that really crossed the network). Called once, after the analyzers ran.
   */
  readonly telemetry?: (() => Partial<ScanTelemetry>) | undefined;
  /**
   * Matches the packages found against advisories (an open `@rafscan/vulndb` database); the
   * result goes into `report.vulnerabilities`. Default: no matching.
   */
  readonly vulnerabilities?: VulnerabilityMatcher | undefined;
}

const FORMATS: Readonly<Record<ImageFormat, string>> = { v5: "rafs-v5", v6: "rafs-v6", erofs: "erofs" };

/**
 * Scans `image`: runs the analyzers (see `runAnalyzers`) and reports findings, warnings, per-analyzer
 * reads and telemetry. Telemetry counts the image's whole life so far (opening it included):
 * `bytesFetched` is blob bytes plus bootstrap and blob-meta bytes, `requests` the blob reads.
 * Rejects only when `options.signal` aborts.
 */
export async function scanImage(image: Image, options: ScanOptions = {}): Promise<ScanReport> {
  const start = performance.now();
  const result = await runAnalyzers(image, options.analyzers ?? builtinAnalyzers(), options);
  const s = image.stats;
  const origin = image.origin;
  const counted: ScanTelemetry = {
    imageBytes: options.imageBytes ?? origin?.imageBytes,
    bytesFetched: s.blobBytesRead + s.metadataBytes,
    requests: s.blobReads,
    cacheHits: s.cacheHits,
    cacheMisses: s.cacheMisses,
    entriesWalked: result.entriesWalked,
    fileBytesRead: result.fileBytesRead,
    networkMs: Math.round(s.blobReadMs),
    durationMs: 0,
  };
  const override = options.telemetry?.() ?? transportTelemetry(origin?.transport);
  // Which decoders ran: a pure-JS fallback for a native codec that did not load is several times
  // slower, and the user should learn why a scan was slow from the report, not guess.
  const decoders = codecBackends();
  const telemetry: ScanTelemetry = {
    ...counted,
    ...override,
    durationMs: Math.round(performance.now() - start),
    ...(Object.keys(decoders).length === 0 ? {} : { decoders }),
  };
  // The config comes with registry and layout images; its secrets join the file secrets.
  const config =
    origin?.config === undefined ? undefined : analyzeImageConfig(origin.config as Record<string, unknown>);
  const report: ScanReport = {
    schemaVersion: 1,
    image: {
      name: options.name ?? origin?.name ?? "image",
      // The opener knows better than the bootstrap: a plain OCI image read through a temporary
      // uncompressed RAFS image is `oci`, not `rafs-v6`.
      format:
        origin?.format ??
        (origin?.converted === true ? "oci" : undefined) ??
        FORMATS[image.info.format] ??
        String(image.info.format),
      ...((options.digest ?? origin?.manifestDigest) !== undefined
        ? { digest: (options.digest ?? origin?.manifestDigest) as string }
        : {}),
    },
    os: result.os,
    packages: result.packages,
    secrets: config === undefined ? result.secrets : [...result.secrets, ...config.secrets],
    notes: config === undefined ? result.notes : [...result.notes, ...config.notes],
    warnings: result.warnings,
    analyzers: result.analyzers,
    telemetry,
    ...(config === undefined ? {} : { config }),
    createdAt: new Date().toISOString(),
    complete: !result.incomplete.some((f) => f.required),
    incomplete: result.incomplete,
  };
  if (options.vulnerabilities === undefined) return report;
  const vulnerabilities = await options.vulnerabilities.match(
    report,
    options.signal === undefined ? {} : { signal: options.signal },
  );
  return { ...report, vulnerabilities };
}

/**
 * Wire-level numbers from a registry transport (`image.origin.transport`, see @rafscan/registry's
 * RemoteStats): every request and body byte, manifests and bootstrap included, and the time any
 * request was in flight. Local images have no transport and keep the image's own counts.
 */
function transportTelemetry(t: Readonly<Record<string, number>> | undefined): Partial<ScanTelemetry> {
  if (t === undefined) return {};
  return {
    bytesFetched: t.bytesFetched ?? 0,
    requests: t.requests ?? 0,
    networkMs: Math.round(t.networkMs ?? 0),
  };
}
