// The secrets analyzer: built-in rules over text files in the places applications keep their
// configuration, with a byte budget so a large image costs a bounded read.
import picomatch from "picomatch";
import type { Secret } from "../findings.js";
import type { AnalyzerPlugin, NeedEntry } from "../plugin.js";
import { MAX_SECRETS_PER_FILE, scanText } from "./scan.js";

/** Where secrets are looked for unless told otherwise. */
export const DEFAULT_SECRET_PATHS: readonly string[] = [
  "/etc/**",
  "/root/**",
  "/home/**",
  "/app/**",
  "/srv/**",
  "/opt/**",
  "/usr/local/**",
  "/var/www/**",
  "/workspace/**",
];

/**
 * What is never scanned: package trees and toolchains installed from registries (their test
 * fixtures are full of fake keys), certificates, and formats that are binary by name. Mirrors the
 * paths Trivy's built-in allow rules skip.
 */
export const DEFAULT_SECRET_EXCLUDES: readonly string[] = [
  "**/node_modules/**",
  "**/vendor/**",
  "**/site-packages/**",
  "**/dist-packages/**",
  "**/*.dist-info/**",
  "**/.git/**",
  "**/test/**",
  "**/tests/**",
  "**/testdata/**",
  "**/locale/**",
  "**/locales/**",
  "/usr/local/go/**",
  "/usr/local/lib/python*/**",
  "/usr/local/lib/ruby/**",
  "/usr/local/share/**",
  "/opt/yarn-v*/**",
  "/etc/ssl/certs/**",
  "/etc/pki/ca-trust/**",
  "/etc/ca-certificates/**",
  "**/*.md",
  "**/*.{so,a,o,ko,class,jar,war,ear,pyc,pyo,wasm,mo,node}",
  "**/*.so.*",
  "**/*.{gz,tgz,xz,bz2,zst,zip,7z,rar,lz4}",
  "**/*.{png,jpg,jpeg,gif,ico,bmp,webp,pdf,woff,woff2,ttf,otf,eot}",
  "**/*.{db,sqlite,sqlite3}",
];

/** Options of {@link secretsAnalyzer}. */
export interface SecretsOptions {
  /** Globs scanned in addition to {@link DEFAULT_SECRET_PATHS} (the excludes still apply). */
  readonly paths?: readonly string[];
  /** Total bytes read; the rest of the matched files are reported as skipped. Default 64 MiB. */
  readonly budget?: number;
  /** Files larger than this are reported as skipped. Default 1 MiB. */
  readonly maxFileSize?: number;
}

/** Default {@link SecretsOptions.budget}. */
export const DEFAULT_SECRETS_BUDGET = 64 << 20;
/** Default {@link SecretsOptions.maxFileSize}. */
export const DEFAULT_SECRETS_MAX_FILE_SIZE = 1 << 20;
/** Bytes checked for a NUL to tell a binary file, as git and grep do. */
const BINARY_SNIFF = 8 << 10;
/** Files this short cannot hold any rule's match. */
const MIN_SIZE = 10;
/**
 * Executable files larger than this are taken for programs and not read: scripts are rarely this
 * big, and reading a binary only to find a NUL in it would spend the budget for nothing.
 */
const MAX_SCRIPT_SIZE = 256 << 10;

/** The needs predicate: in scope, not excluded, not an executable binary by size. */
export function secretsScope(extraPaths: readonly string[] = []): (entry: NeedEntry) => boolean {
  const include = picomatch([...DEFAULT_SECRET_PATHS, ...extraPaths], { dot: true });
  const exclude = picomatch([...DEFAULT_SECRET_EXCLUDES], { dot: true });
  return (e) =>
    e.size >= MIN_SIZE &&
    !((e.mode & 0o111) !== 0 && e.size > MAX_SCRIPT_SIZE) &&
    include(e.path) &&
    !exclude(e.path);
}

/**
 * The secrets analyzer (id `secrets`, `whole` access, stage `packages`). Binary files (a NUL in
 * the first 8 KiB) are skipped and counted in a note; files over `maxFileSize` or beyond `budget`
 * are skipped by the runner and listed in the analyzer's report.
 */
export function secretsAnalyzer(options: SecretsOptions = {}): AnalyzerPlugin {
  const budget = options.budget ?? DEFAULT_SECRETS_BUDGET;
  const maxFileSize = options.maxFileSize ?? DEFAULT_SECRETS_MAX_FILE_SIZE;
  return {
    id: "secrets",
    version: "1.0.0",
    description: "Credentials (cloud keys, tokens, private keys) in text files, by built-in rules",
    stage: "packages",
    needs: [secretsScope(options.paths)],
    access: "whole",
    maxFileSize,
    budget,
    analyze: async (files, ctx) => {
      const secrets: Secret[] = [];
      const binary: string[] = [];
      let scanned = 0;
      let bytes = 0;
      const decoder = new TextDecoder();
      for (const file of files) {
        if (ctx.signal?.aborted === true) break;
        let content: Uint8Array;
        try {
          content = await file.bytes();
        } catch (err) {
          ctx.warn(err instanceof Error ? err.message : String(err), file.path);
          continue;
        }
        if (content.subarray(0, BINARY_SNIFF).includes(0)) {
          binary.push(file.path);
          continue;
        }
        scanned++;
        bytes += content.length;
        const result = scanText(decoder.decode(content), file.path);
        secrets.push(...result.secrets);
        if (result.dropped > 0) {
          ctx.warn(
            `${result.dropped} more secrets beyond the first ${MAX_SECRETS_PER_FILE} not reported`,
            file.path,
          );
        }
      }
      const notes = [
        `secrets: scanned ${scanned} text files (${bytes} bytes) under ${[...DEFAULT_SECRET_PATHS, ...(options.paths ?? [])].join(", ")}; ` +
          `files over ${maxFileSize} bytes or beyond the ${budget}-byte budget are listed as skipped in the analyzer report`,
      ];
      if (binary.length > 0) {
        const shown = binary.slice(0, 5).join(", ");
        notes.push(
          `secrets: skipped ${binary.length} binary files (NUL in the first ${BINARY_SNIFF} bytes): ${shown}${binary.length > 5 ? ", ..." : ""}`,
        );
      }
      return { secrets, notes };
    },
  };
}
