// The scan report: everything a scan found, what each analyzer read, and what the scan cost.
// `rafscan scan --format json` prints it as is; the SBOM writers (sbom/) read it.
import type { ImageConfigFindings } from "./config/image-config.js";
import type { OsInfo, Package, Secret } from "./findings.js";
import type { VulnerabilityReport } from "./vulnerability.js";

/** A problem an analyzer met and survived: a bad package database, a skipped file. */
export interface ScanWarning {
  /** The plugin id, or `scan` for the runner itself. */
  readonly plugin: string;
  readonly message: string;
  /** The file concerned, when there is one. */
  readonly path?: string;
}

/** A matched file an analyzer did not read, and why. */
export interface SkippedFile {
  readonly path: string;
  /** `larger than maxFileSize (N bytes)`, `budget spent`, `unreadable: ...` */
  readonly reason: string;
}

/** A file an analyzer wanted but could not read (skipped by a limit, or unreadable). */
export interface IncompleteFile {
  /** The plugin id. */
  readonly plugin: string;
  readonly path: string;
  /** Why it was not read: `budget spent`, `larger than maxFileSize (N bytes)`, `unreadable: ...`. */
  readonly reason: string;
  /** True when the file is part of the plugin's package database: the scan is then incomplete. */
  readonly required: boolean;
}

/** The decoder a codec used during the scan (see @rafscan/rafs `codecBackends`). */
export interface DecoderUse {
  /** `zstd-napi`, `fzstd`, `lz4-napi`, `typescript`. */
  readonly implementation: string;
  /** True for a pure-JS decoder standing in for a native binding that did not load (slower). */
  readonly fallback: boolean;
  readonly reason?: string;
}

/** What one analyzer did. */
export interface AnalyzerReport {
  readonly id: string;
  readonly version: string;
  /** Files matched by its needs. */
  readonly filesMatched: number;
  /** Files (or ranges of them) it read. */
  readonly filesRead: number;
  /** File bytes it read (decompressed). */
  readonly bytesRead: number;
  readonly skipped: readonly SkippedFile[];
  readonly packages: number;
  readonly secrets: number;
  /** Wall time of its `analyze` call, in ms. */
  readonly durationMs: number;
  /** Set when `analyze` threw: the scan goes on without this analyzer's findings. */
  readonly error?: string;
}

/** What the scan cost: compare `bytesFetched` with `imageBytes`. */
export interface ScanTelemetry {
  /** Compressed size of the whole image (bootstrap and data blobs), when known. */
  readonly imageBytes: number | undefined;
  /** Bytes fetched from blob sources and registries (metadata and chunks). */
  readonly bytesFetched: number;
  /** Requests (or reads, for local sources) made. */
  readonly requests: number;
  readonly cacheHits: number;
  readonly cacheMisses: number;
  /** Entries walked in the bootstrap. */
  readonly entriesWalked: number;
  /** File bytes handed to analyzers (decompressed). */
  readonly fileBytesRead: number;
  /** Time waiting on sources, ms (overlapping waits count once each). */
  readonly networkMs: number;
  /** Whole scan wall time, ms. */
  readonly durationMs: number;
  /** The decoder used for each codec that decoded chunks in this process (`zstd`, `lz4_block`). */
  readonly decoders?: Readonly<Record<string, DecoderUse>>;
}

/** The image scanned. */
export interface ScannedImage {
  /** What the user named: a reference, `oci:DIR`, or a bootstrap path. */
  readonly name: string;
  /** Manifest digest, when read from a registry or layout. */
  readonly digest?: string;
  /** `rafs-v5`, `rafs-v6`, `erofs`. */
  readonly format: string;
}

/** The result of `scanImage`. */
export interface ScanReport {
  /** Bumped when a field changes meaning; fields are only ever added within one version. */
  readonly schemaVersion: 1;
  readonly image: ScannedImage;
  /** The first `os` finding of the `os` stage, in plugin order. */
  readonly os: OsInfo | undefined;
  readonly packages: readonly Package[];
  readonly secrets: readonly Secret[];
  readonly notes: readonly string[];
  readonly warnings: readonly ScanWarning[];
  readonly analyzers: readonly AnalyzerReport[];
  readonly telemetry: ScanTelemetry;
  /** What the image config says (user, ports, env names, secrets in env), when the image has one. */
  readonly config?: ImageConfigFindings;
  /** Vulnerabilities, when a matcher was given (`scanImage(image, { vulnerabilities })`). */
  readonly vulnerabilities?: VulnerabilityReport;
  /** ISO 8601 time the scan finished. */
  readonly createdAt: string;
  /**
   * False when an analyzer could not read (part of) its package database, so `packages` is known
   * to miss some. Always set by `scanImage`.
   */
  readonly complete?: boolean;
  /** Every file an analyzer wanted but did not read, with the reason. Always set by `scanImage`. */
  readonly incomplete?: readonly IncompleteFile[];
}
