// The analyzer plugin contract: a plain object that says which files it needs and turns their
// bytes into findings. The runner (runner.ts) walks the image once, matches every plugin's needs,
// reads the matched files together so the blob source can coalesce ranges, and isolates failures.
import type { Image } from "@rafscan/vfs";
import type { Findings, OsInfo, Package, PackageOwner } from "./findings.js";

/** What a predicate need sees of a walked entry (regular files only). */
export interface NeedEntry {
  /** Absolute path in the image: `/usr/bin/env`. */
  readonly path: string;
  /** Size in bytes. */
  readonly size: number;
  /** st_mode: type and permission bits. */
  readonly mode: number;
}

/**
 * One need: an exact absolute path (`/etc/os-release`, followed through symlinks inside the
 * image), a glob in picomatch syntax with `dot: true` (any string containing `*`, `?`, `[`, `{`),
 * or a predicate over regular files met in the walk.
 */
export type Need = string | ((entry: NeedEntry) => boolean);

/** One file handed to `analyze`. */
export interface MatchedFile {
  /** The path as matched (an exact need keeps the path it named, not the symlink's target). */
  readonly path: string;
  /** Size in bytes of the (resolved) regular file. */
  readonly size: number;
  readonly mode: number;
  /**
   * The whole file. For `access: "whole"` plugins the runner has already read it (one batch for all
   * plugins); otherwise it is read on the first call. Counted against the plugin's budget.
   * @throws when the file exceeds the plugin's `maxFileSize`, or the budget is spent
   */
  bytes(): Promise<Uint8Array>;
  /** `length` bytes at `offset` (clamped to the file's end). Counted against the plugin's budget. */
  read(offset: number, length: number): Promise<Uint8Array>;
  /** The whole file decoded as UTF-8 (invalid sequences replaced). */
  text(): Promise<string>;
}

/** What `analyze` may use besides its files. */
export interface AnalyzerContext {
  /** The image, for plugins that must look beyond their matched files (reads are counted too). */
  readonly image: Image;
  /** The OS found by the OS stage, when there is one (for package namespaces, e.g. purl `distro`). */
  readonly os: OsInfo | undefined;
  /** Records a recoverable problem (bad input) without failing the scan. */
  warn(message: string, path?: string): void;
  /** Options the user passed for this plugin id (`ScanOptions.pluginOptions[id]`). */
  readonly options: Readonly<Record<string, unknown>>;
  readonly signal: AbortSignal | undefined;
}

/** An analyzer plugin. */
export interface AnalyzerPlugin {
  /** Stable id, e.g. `dpkg`, `python`, `secrets`. */
  readonly id: string;
  /** The plugin's own version (reported with its findings). */
  readonly version: string;
  /** One-line description for `rafscan scan --list-analyzers`. */
  readonly description?: string;
  /** `os` plugins run first; their `os` finding is passed to every other plugin. Default `packages`. */
  readonly stage?: "os" | "packages";
  readonly needs: readonly Need[];
  /**
   * `whole` (default): every matched file is read in full by the runner, before `analyze`, in one
   * batch with all other plugins' files. `range`: nothing is read ahead; the plugin reads ranges.
   */
  readonly access?: "whole" | "range";
  /** Files larger than this are not read whole (they are reported as skipped). Default 64 MiB. */
  readonly maxFileSize?: number;
  /** Total bytes this plugin may read; the rest of its files are skipped and reported. Default none. */
  readonly budget?: number;
  /**
   * The matched files are a package database (dpkg status, apk installed, the rpm db, package
   * metadata files): one that could not be read makes the report incomplete (`complete: false`),
   * which `rafscan scan` turns into exit code 3. Default `false` (a skipped file is still listed in
   * `incomplete`, but does not make the scan incomplete).
   */
  readonly database?: boolean;
  analyze(files: readonly MatchedFile[], ctx: AnalyzerContext): Promise<Findings> | Findings;
  /**
   * For OS package managers: which of `paths` (the files language packages were found in, after
   * every `packages` plugin ran) belong to one of `packages` (what this plugin found). Called once
   * per scan, after the packages stage, with the same counted `ctx`; the runner then sets
   * `installedBy` on the language packages. Optional; read as little as possible.
   */
  owners?(
    paths: readonly string[],
    packages: readonly Package[],
    ctx: AnalyzerContext,
  ): Promise<ReadonlyMap<string, PackageOwner>> | ReadonlyMap<string, PackageOwner>;
}
