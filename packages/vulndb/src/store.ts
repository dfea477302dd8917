// What the matcher asks of an advisory store. The SQLite database implements it; tests and
// embedders may pass their own (an in-memory store over a handful of records).
import type { DatabaseInfo } from "@rafscan/analyzers";
import type { LookupOptions } from "./affected-summary.js";
import type { OsvRecord } from "./osv.js";

/** A read-only source of advisories keyed by (ecosystem with release, package name). */
export interface AdvisoryStore {
  /** What the store says of itself (schema, build time, sources, sample or not). */
  info(): DatabaseInfo;
  /**
   * Records with an `affected` entry for `name` in `ecosystem` (exact, with release suffix:
   * `Debian:12`, `PyPI`). Withdrawn records are included; the matcher skips them. With
   * `options.affects`, only the records whose summary for this package passes, sorted by id: the
   * matcher uses it so records that cannot cover the installed version are never decoded.
   */
  lookup(ecosystem: string, name: string, options?: LookupOptions): readonly OsvRecord[];
  /** Ecosystems (with release) the store holds records for, to tell an unknown release apart. */
  ecosystems(): readonly string[];
  close(): void;
}
