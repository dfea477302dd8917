// Test helper: an AnalyzerContext whose `image` is a small in-memory tree (stat, readFile,
// walkSync), for plugins that read files beside the matched ones (Cargo.toml, package.json).
import type { Image } from "@rafscan/vfs";
import type { AnalyzerContext } from "../../src/plugin.js";

interface FakeStats {
  readonly size: number;
  readonly type: "file" | "dir";
  isFile(): boolean;
  isDirectory(): boolean;
}

function stats(type: "file" | "dir", size: number): FakeStats {
  return { size, type, isFile: () => type === "file", isDirectory: () => type === "dir" };
}

function enoent(path: string): Error {
  return Object.assign(new Error(`ENOENT: no such file or directory, stat '${path}'`), { code: "ENOENT" });
}

/** A context over `files` (absolute path -> text); `reads` lists every readFile path. */
export function treeContext(
  files: Record<string, string>,
): AnalyzerContext & { warnings: { message: string; path: string | undefined }[]; reads: string[] } {
  const dirs = new Set<string>(["/"]);
  for (const path of Object.keys(files)) {
    for (let i = path.indexOf("/", 1); i > 0; i = path.indexOf("/", i + 1)) dirs.add(path.slice(0, i));
  }
  const reads: string[] = [];
  const warnings: { message: string; path: string | undefined }[] = [];
  const image = {
    stat: async (path: string) => {
      if (Object.hasOwn(files, path)) return stats("file", Buffer.byteLength(files[path] as string));
      if (dirs.has(path)) return stats("dir", 0);
      throw enoent(path);
    },
    readFile: async (path: string) => {
      if (!Object.hasOwn(files, path)) throw enoent(path);
      reads.push(path);
      return files[path] as string;
    },
    *walkSync(start: string, options: { descend?: (e: { path: string; depth: number }) => boolean } = {}) {
      const all = [...dirs].filter((d) => d !== start && d.startsWith(`${start}/`));
      const entries = [
        ...all.map((p) => ({ path: p, stats: stats("dir", 0) })),
        ...Object.keys(files)
          .filter((p) => p.startsWith(`${start}/`))
          .map((p) => ({ path: p, stats: stats("file", 1) })),
      ].map((e) => ({ ...e, depth: e.path.slice(start.length).split("/").length - 1 }));
      yield { path: start, stats: stats("dir", 0), depth: 0 };
      const pruned: string[] = [];
      for (const e of entries.sort((a, b) => a.path.localeCompare(b.path))) {
        if (pruned.some((p) => e.path.startsWith(`${p}/`))) continue;
        yield e;
        if (e.stats.type === "dir" && options.descend && !options.descend(e)) pruned.push(e.path);
      }
    },
  };
  return {
    image: image as unknown as Image,
    os: undefined,
    options: {},
    signal: undefined,
    warn: (message, path) => warnings.push({ message, path }),
    warnings,
    reads,
  };
}
