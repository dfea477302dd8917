// A project manifest read beside a lockfile (Cargo.toml, package.json): found or not, and its
// size checked against LANG_LIMITS.maxManifestBytes before any byte of it is read.
import type { AnalyzerContext } from "../plugin.js";
import { LANG_LIMITS } from "./limits.js";

/**
 * The size of the regular file at `path`, or `undefined` when there is none (absent, not a file,
 * unreadable metadata). Callers decide what an over-limit size means (see {@link overManifestLimit}).
 */
export async function manifestSize(ctx: AnalyzerContext, path: string): Promise<number | undefined> {
  try {
    const st = await ctx.image.stat(path);
    return st.isFile() ? st.size : undefined;
  } catch {
    return undefined;
  }
}

/** The reason a manifest of `size` bytes is not read, or `undefined` when it is small enough. */
export function overManifestLimit(size: number): string | undefined {
  return size > LANG_LIMITS.maxManifestBytes
    ? `larger than ${LANG_LIMITS.maxManifestBytes} bytes`
    : undefined;
}
