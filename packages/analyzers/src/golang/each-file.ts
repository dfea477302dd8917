// Runs a per-file analysis over matched files a few at a time, turning one file's failure into a
// warning so a hostile file cannot cost the others their findings.
import type { AnalyzerContext, MatchedFile } from "../plugin.js";

/**
 * Files analysed at once. Ranged reads of different files wait on the blob source independently,
 * so a little concurrency hides latency; more would only queue behind the same source.
 */
export const FILE_CONCURRENCY = 8;

/**
 * Calls `analyzeOne` for every file, at most `limit` at a time (default {@link FILE_CONCURRENCY}),
 * and concatenates the results in file order. A throw becomes `ctx.warn(message, file.path)`;
 * warnings (thrown or given to `fileCtx.warn`) reach `ctx` in file order once all are done.
 * Stops starting new files once `ctx.signal` is aborted.
 */
export async function eachFile<T>(
  files: readonly MatchedFile[],
  ctx: AnalyzerContext,
  analyzeOne: (file: MatchedFile, fileCtx: AnalyzerContext) => Promise<readonly T[]>,
  limit = FILE_CONCURRENCY,
): Promise<T[]> {
  const results: (readonly T[])[] = new Array(files.length);
  // Warnings are held per file and replayed in file order, so reports do not depend on timing.
  const warnings: { message: string; path: string | undefined }[][] = files.map(() => []);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      if (ctx.signal?.aborted === true) return;
      const index = next++;
      const file = files[index];
      const own = warnings[index];
      if (file === undefined || own === undefined) return;
      const fileCtx: AnalyzerContext = {
        // A getter: the image is only touched by plugins that need it.
        get image() {
          return ctx.image;
        },
        os: ctx.os,
        options: ctx.options,
        signal: ctx.signal,
        warn: (message, path) => own.push({ message, path }),
      };
      try {
        results[index] = await analyzeOne(file, fileCtx);
      } catch (err) {
        own.push({ message: err instanceof Error ? err.message : String(err), path: file.path });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, files.length)) }, worker));
  for (const list of warnings) for (const w of list) ctx.warn(w.message, w.path);
  const out: T[] = [];
  for (const r of results) if (r !== undefined) out.push(...r);
  return out;
}

/** Trivy's test for an executable: a regular file with any execute bit set. */
export function isExecutableEntry(entry: { readonly mode: number; readonly size: number }): boolean {
  // 0o170000 is S_IFMT, 0o100000 S_IFREG. Files shorter than an ELF32 header cannot be binaries.
  return (entry.mode & 0o170000) === 0o100000 && (entry.mode & 0o111) !== 0 && entry.size >= 52;
}
