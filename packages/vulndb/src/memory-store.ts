// An advisory store held in memory: a handful of OSV records for tests, examples and embedders
// that bring their own data (the sample database is one).
import type { DatabaseInfo } from "@rafscan/analyzers";
import { type LookupOptions, summarizeAffected } from "./affected-summary.js";
import type { OsvRecord } from "./osv.js";
import { normalizePackageName } from "./package-names.js";
import type { AdvisoryStore } from "./store.js";

/**
 * {@link AdvisoryStore} over records given up front. Records are indexed by every
 * (ecosystem, name) of their `affected` entries, names compared as {@link normalizePackageName}
 * says. The records are trusted as typed: validate data from disk before handing it over.
 */
export class MemoryAdvisoryStore implements AdvisoryStore {
  readonly #index = new Map<string, OsvRecord[]>();
  readonly #ecosystems = new Set<string>();
  readonly #info: DatabaseInfo;

  /**
   * @param records the advisories
   * @param info what `info()` reports; default: schema 1, built now, one `memory` source counting
   *   the records, not a sample.
   */
  constructor(records: Iterable<OsvRecord>, info: Partial<DatabaseInfo> = {}) {
    let count = 0;
    for (const record of records) {
      count++;
      const keys = new Set<string>();
      for (const a of record.affected ?? []) {
        this.#ecosystems.add(a.package.ecosystem);
        keys.add(key(a.package.ecosystem, a.package.name));
      }
      for (const k of keys) {
        const list = this.#index.get(k);
        if (list === undefined) this.#index.set(k, [record]);
        else list.push(record);
      }
    }
    this.#info = {
      schemaVersion: info.schemaVersion ?? 1,
      builtAt: info.builtAt ?? new Date().toISOString(),
      sources: info.sources ?? [{ id: "memory", name: "in-memory records", records: count }],
      sample: info.sample ?? false,
      ...(info.path !== undefined ? { path: info.path } : {}),
    };
  }

  info(): DatabaseInfo {
    return this.#info;
  }

  lookup(ecosystem: string, name: string, options: LookupOptions = {}): readonly OsvRecord[] {
    const k = key(ecosystem, name);
    const found = this.#index.get(k) ?? [];
    const affects = options.affects;
    if (affects === undefined) return found;
    return found.filter((r) =>
      affects(summarizeAffected(r, (a) => key(a.package.ecosystem, a.package.name) === k)),
    );
  }

  ecosystems(): readonly string[] {
    return [...this.#ecosystems].sort();
  }

  close(): void {
    // Nothing to release: the records are ordinary objects.
  }
}

function key(ecosystem: string, name: string): string {
  return `${ecosystem}\u0000${normalizePackageName(ecosystem, name)}`;
}
