// @ts-check
// Summarises a V8 .cpuprofile (node --cpu-prof) into the functions with the most self time,
// mapped back to TypeScript source lines through the dist/ source maps when they exist.
import { existsSync, readFileSync } from "node:fs";
import { SourceMap } from "node:module";
import { dirname, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * @typedef {object} HotSpot
 * @property {string} fn  function name, `(anonymous)` or a V8 pseudo-frame such as `(garbage collector)`
 * @property {string} where  `path:line` relative to the repo root, the .ts source when a map resolves it
 * @property {number} selfMs  time sampled in this function itself
 * @property {number} selfPct  share of all sampled time
 */

/**
 * @typedef {object} ProfileSummary
 * @property {number} totalMs  sampled wall time of the profile
 * @property {HotSpot[]} top  functions by self time, largest first
 * @property {{ where: string, selfMs: number, selfPct: number }[]} files  self time summed per file
 * @property {{ category: string, selfMs: number, selfPct: number }[]} categories  self time by
 *   kind: our packages, module loading, dependencies' top-level code, GC, idle (waiting on I/O)
 */

/**
 * Reads a .cpuprofile and returns its hottest functions.
 * @param {string} profilePath
 * @param {{ repoRoot: string, top?: number }} options  `top` defaults to 15
 * @returns {ProfileSummary}
 */
export function summarizeProfile(profilePath, { repoRoot, top = 15 }) {
  /** @type {{ nodes: { id: number, callFrame: { functionName: string, url: string, lineNumber: number, columnNumber: number } }[], samples: number[], timeDeltas: number[] }} */
  const profile = JSON.parse(readFileSync(profilePath, "utf8"));
  /** @type {Map<number, number>} */
  const selfUs = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = /** @type {number} */ (profile.samples[i]);
    // timeDeltas[i] is the time since the previous sample; charging it to this sample's node is
    // how Chrome DevTools attributes self time too.
    selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, profile.timeDeltas[i] ?? 0));
  }
  const maps = new SourceMaps();
  /** @type {Map<string, { fn: string, where: string, us: number }>} */
  const byFrame = new Map();
  /** @type {Map<string, number>} */
  const byFile = new Map();
  /** @type {Map<string, number>} */
  const byCategory = new Map();
  let totalUs = 0;
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    totalUs += us;
    if (us === 0) continue;
    const { functionName, url, lineNumber, columnNumber } = node.callFrame;
    const where = maps.locate(url, lineNumber, columnNumber, repoRoot);
    const fn = functionName === "" ? "(anonymous)" : functionName;
    const key = `${fn}@${where}`;
    const prev = byFrame.get(key);
    if (prev) prev.us += us;
    else byFrame.set(key, { fn, where, us });
    const file = where.replace(/:\d+$/, "");
    byFile.set(file, (byFile.get(file) ?? 0) + us);
    const category = categoryOf(fn, where);
    byCategory.set(category, (byCategory.get(category) ?? 0) + us);
  }
  const pct = (/** @type {number} */ us) => Math.round((1000 * us) / Math.max(1, totalUs)) / 10;
  const ms = (/** @type {number} */ us) => Math.round(us / 100) / 10;
  return {
    totalMs: ms(totalUs),
    top: [...byFrame.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({ fn: f.fn, where: f.where, selfMs: ms(f.us), selfPct: pct(f.us) })),
    files: [...byFile.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([where, us]) => ({ where, selfMs: ms(us), selfPct: pct(us) })),
    categories: [...byCategory.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([category, us]) => ({ category, selfMs: ms(us), selfPct: pct(us) })),
  };
}

/**
 * Buckets a frame so start-up costs (module loading, native addons) stand apart from the walk.
 * @param {string} fn
 * @param {string} where
 */
function categoryOf(fn, where) {
  if (fn === "(garbage collector)") return "garbage collection";
  if (fn === "(idle)") return "idle (waiting on I/O)";
  if (where.startsWith("packages/")) return `ours: ${where.split("/").slice(0, 2).join("/")}`;
  if (where.startsWith("benchmarks/")) return "benchmark loop";
  if (where.includes("node_modules/")) return "dependencies (module top-level code)";
  if (
    fn === "dlopen" ||
    fn === "internalBinding" ||
    where.startsWith("node:internal/modules/") ||
    where.startsWith("node:internal/deps/cjs-module-lexer") ||
    where.startsWith("node:internal/bootstrap/realm")
  ) {
    return "module loading (node)";
  }
  return "other (node internals, natives, (program))";
}

/** Loads each dist file's source map once and maps generated positions back to sources. */
class SourceMaps {
  /** @type {Map<string, SourceMap | undefined>} */
  #maps = new Map();

  /**
   * @param {string} url  `file://` URL, `node:` URL or empty for V8 pseudo-frames
   * @param {number} line  0-based, as in the profile
   * @param {number} column  0-based
   * @param {string} repoRoot
   */
  locate(url, line, column, repoRoot) {
    if (!url.startsWith("file://")) return url === "" ? "(native)" : `${url}:${line + 1}`;
    const file = fileURLToPath(url);
    const map = this.#load(file);
    const entry = map?.findEntry(line, column);
    if (entry && "originalSource" in entry && entry.originalSource) {
      const source = entry.originalSource.startsWith("file://")
        ? fileURLToPath(entry.originalSource)
        : resolve(dirname(file), entry.originalSource);
      return `${relative(repoRoot, source)}:${entry.originalLine + 1}`;
    }
    return `${relative(repoRoot, file)}:${line + 1}`;
  }

  /** @param {string} file */
  #load(file) {
    if (this.#maps.has(file)) return this.#maps.get(file);
    let map;
    const mapFile = `${file}.map`;
    if (existsSync(mapFile)) {
      try {
        map = new SourceMap(JSON.parse(readFileSync(mapFile, "utf8")));
      } catch {
        map = undefined;
      }
    }
    this.#maps.set(file, map);
    return map;
  }
}
