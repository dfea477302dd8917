// The sample advisory store: the few OSV records shipped in sample/sample-osv.json for rafscan's
// sample image, so a first `rafscan scan` shows findings with no database. Not real advisory data:
// `info().sample` is true and every finding's data source is `sample`.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { MemoryAdvisoryStore } from "./memory-store.js";
import type { OsvRecord } from "./osv.js";

/** The shipped sample records (resolved from this module: `dist/` sits beside `sample/`). */
export const SAMPLE_DATA_PATH = fileURLToPath(new URL("../sample/sample-osv.json", import.meta.url));

/** Thrown when the shipped sample file is missing or not what rafscan wrote. */
export class SampleDataError extends Error {
  readonly code = "VULNDB_SAMPLE_DATA";
  constructor(message: string) {
    super(`sample advisory data ${SAMPLE_DATA_PATH}: ${message}`);
    this.name = "SampleDataError";
  }
}

/**
 * Opens the sample store: a {@link MemoryAdvisoryStore} over the shipped sample records, with
 * `info().sample` true and one source `sample`. Throws {@link SampleDataError} when the file is
 * missing or malformed (a broken install).
 */
export function openSampleStore(): MemoryAdvisoryStore {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(SAMPLE_DATA_PATH, "utf8"));
  } catch (e) {
    throw new SampleDataError((e as Error).message);
  }
  const records = (json as { records?: unknown } | null)?.records;
  if (!Array.isArray(records)) throw new SampleDataError("no `records` array");
  for (const [i, r] of records.entries()) {
    const rec = r as Partial<OsvRecord> | null;
    if (typeof rec?.id !== "string" || !Array.isArray(rec.affected)) {
      throw new SampleDataError(`record ${i} has no string id or no affected list`);
    }
  }
  return new MemoryAdvisoryStore(records as OsvRecord[], {
    builtAt: "2026-12-01T00:00:00Z",
    sources: [{ id: "sample", name: "rafscan sample data (not real advisories)", records: records.length }],
    sample: true,
    path: SAMPLE_DATA_PATH,
  });
}
