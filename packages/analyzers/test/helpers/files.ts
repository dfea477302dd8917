// Test helpers: MatchedFile and AnalyzerContext objects over in-memory bytes, to unit-test a
// plugin's `analyze` without an image.

import type { OsInfo } from "../../src/findings.js";
import type { AnalyzerContext, MatchedFile } from "../../src/plugin.js";

/** A MatchedFile over `content` (a string is UTF-8 encoded). */
export function memoryFile(path: string, content: Uint8Array | string, mode = 0o100644): MatchedFile {
  const bytes = typeof content === "string" ? new TextEncoder().encode(content) : content;
  return {
    path,
    size: bytes.length,
    mode,
    bytes: async () => bytes,
    read: async (offset, length) => bytes.subarray(offset, Math.min(bytes.length, offset + length)),
    text: async () => new TextDecoder().decode(bytes),
  };
}

/** A context that collects warnings; `image` throws if a plugin touches it. */
export function memoryContext(
  options: { os?: OsInfo; pluginOptions?: Record<string, unknown> } = {},
): AnalyzerContext & { warnings: { message: string; path: string | undefined }[] } {
  const warnings: { message: string; path: string | undefined }[] = [];
  return {
    get image(): never {
      throw new Error("this test context has no image");
    },
    os: options.os,
    options: options.pluginOptions ?? {},
    signal: undefined,
    warn: (message, path) => warnings.push({ message, path }),
    warnings,
  };
}
