// The part of an OSV record that decides whether it covers an installed version of one package:
// what an index row holds beside the record, so a lookup can skip records that cannot apply
// without inflating and parsing them.
import type { OsvAffected, OsvRange, OsvRecord } from "./osv.js";

/** One `affected` entry cut down to what version evaluation reads. */
export type AffectedSummaryEntry = Pick<OsvAffected, "ranges" | "versions" | "database_specific">;

/** What a record says of one (ecosystem, package name). */
export interface AffectedSummary {
  /** The record is withdrawn (the matcher skips it). */
  readonly withdrawn: boolean;
  /** Its `affected` entries for that package: ECOSYSTEM and SEMVER ranges, versions, status. */
  readonly entries: readonly AffectedSummaryEntry[];
  /** The record's `database_specific.rafscan_status`, when it has one. */
  readonly status?: string;
}

/** Options of {@link AdvisoryStore.lookup}. */
export interface LookupOptions {
  /**
   * Keeps only the records whose summary for the looked-up package passes (withdrawn ones
   * included in what it sees). Default: every record.
   */
  readonly affects?: (summary: AffectedSummary) => boolean;
}

function statusOf(specific: Readonly<Record<string, unknown>> | undefined): string | undefined {
  const s = specific?.rafscan_status;
  return typeof s === "string" ? s : undefined;
}

/**
 * The summary of `record` for the entries `select` picks (those of one package). GIT ranges are
 * left out: commit hashes never decide whether an installed version is covered.
 */
export function summarizeAffected(
  record: OsvRecord,
  select: (entry: OsvAffected) => boolean,
): AffectedSummary {
  const status = statusOf(record.database_specific);
  if (record.withdrawn !== undefined) return { withdrawn: true, entries: [] };
  const entries: AffectedSummaryEntry[] = [];
  for (const entry of record.affected ?? []) {
    if (!select(entry)) continue;
    const ranges: OsvRange[] = [];
    for (const r of entry.ranges ?? []) {
      if (r.type !== "GIT") ranges.push({ type: r.type, events: r.events });
    }
    const entryStatus = statusOf(entry.database_specific);
    entries.push({
      ...(entry.ranges === undefined ? {} : { ranges }),
      ...(entry.versions === undefined ? {} : { versions: entry.versions }),
      ...(entryStatus === undefined ? {} : { database_specific: { rafscan_status: entryStatus } }),
    });
  }
  return { withdrawn: false, entries, ...(status === undefined ? {} : { status }) };
}

/** The on-disk text of a summary (`affected.summary`): JSON with short keys. */
export function encodeSummary(s: AffectedSummary): string {
  if (s.withdrawn) return '{"w":1}';
  return JSON.stringify(s.status === undefined ? { e: s.entries } : { e: s.entries, s: s.status });
}

/**
 * Reads a summary written by {@link encodeSummary}. The shape is checked only as far as the
 * matcher's evaluation relies on it (which treats every field as untrusted).
 * @throws Error when the text is not a summary
 */
export function decodeSummary(text: string): AffectedSummary {
  const v = JSON.parse(text) as unknown;
  if (typeof v !== "object" || v === null) throw new Error("an index summary is not an object");
  const o = v as Record<string, unknown>;
  if (o.w === 1) return { withdrawn: true, entries: [] };
  if (!Array.isArray(o.e)) throw new Error("an index summary has no entries");
  const status = typeof o.s === "string" ? o.s : undefined;
  return {
    withdrawn: false,
    entries: o.e as AffectedSummaryEntry[],
    ...(status === undefined ? {} : { status }),
  };
}
