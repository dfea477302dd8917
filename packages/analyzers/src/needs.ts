// Compiles a plugin's needs (exact paths, globs, predicates) into the matcher the runner applies to
// every regular file of its single walk, plus the exact paths it resolves separately with `stat`.
import picomatch from "picomatch";
import type { Need, NeedEntry } from "./plugin.js";

/** The characters that make a need a glob rather than an exact path (see plugin.ts `Need`). */
const GLOB_CHARS = /[*?[{]/;

/** A plugin's needs, ready for the walk. */
export interface CompiledNeeds {
  /**
   * Exact absolute paths. They may be symlinks (`/etc/os-release -> ../usr/lib/os-release`), so the
   * runner resolves them with `image.stat`, which follows links inside the image, not in the walk.
   */
  readonly exact: readonly string[];
  /** False when there is nothing to match in the walk (only exact paths). */
  readonly walks: boolean;
  /**
   * True when a regular file met in the walk matches a glob or a predicate (exact paths are not
   * consulted here). A predicate that throws makes this throw.
   */
  matches(entry: NeedEntry): boolean;
}

/** `p` with a leading `/` and runs of `/` collapsed; a trailing `/` is dropped. */
export function absolutePath(p: string): string {
  const collapsed = `/${p}`.replace(/\/{2,}/g, "/");
  return collapsed.length > 1 && collapsed.endsWith("/") ? collapsed.slice(0, -1) : collapsed;
}

/** True when `need` is a glob: it holds `*`, `?`, `[` or `{`. */
export function isGlob(need: string): boolean {
  return GLOB_CHARS.test(need);
}

interface CompiledGlob {
  /** Every match starts with this (the glob's static base plus `/`): a cheap early reject. */
  readonly prefix: string;
  readonly test: (path: string) => boolean;
}

/**
 * Compiles `needs`. Globs use picomatch with `dot: true`; a pattern without a leading `/` is made
 * absolute. Empty strings are ignored.
 * @throws TypeError when `needs` is not an array or holds something other than strings and functions
 */
export function compileNeeds(needs: readonly Need[]): CompiledNeeds {
  if (!Array.isArray(needs)) throw new TypeError("needs is not an array");
  const exact = new Set<string>();
  const globs: CompiledGlob[] = [];
  const predicates: ((entry: NeedEntry) => boolean)[] = [];
  for (const need of needs as readonly unknown[]) {
    if (typeof need === "function") {
      predicates.push(need as (entry: NeedEntry) => boolean);
    } else if (typeof need === "string") {
      if (need === "") continue;
      const abs = absolutePath(need);
      if (isGlob(abs)) {
        const base = picomatch.scan(abs).base;
        const prefix = base === "" || base === "/" ? "/" : `${base.replace(/\/+$/, "")}/`;
        globs.push({ prefix, test: picomatch(abs, { dot: true }) });
      } else {
        exact.add(abs);
      }
    } else {
      throw new TypeError(`a need must be a path, a glob or a predicate, not ${typeof need}`);
    }
  }
  return {
    exact: [...exact],
    walks: globs.length > 0 || predicates.length > 0,
    matches(entry) {
      for (const g of globs) if (entry.path.startsWith(g.prefix) && g.test(entry.path)) return true;
      for (const p of predicates) if (p(entry) === true) return true;
      return false;
    },
  };
}
