// Whether one OSV `affected` entry covers an installed version, following the evaluation the OSV
// schema gives (https://ossf.github.io/osv-schema/#evaluation): ECOSYSTEM and SEMVER ranges,
// events introduced / fixed / last_affected (inclusive) / limit, and the explicit `versions` list.
import type { AffectedSummaryEntry } from "../affected-summary.js";
import type { FixStatus, OsvEvent, OsvRange } from "../osv.js";
import type { VersionScheme } from "../versions/index.js";
import { isObject, list } from "./untrusted.js";

/** What one affected entry says of an installed version. */
export interface AffectedVerdict {
  readonly affected: boolean;
  /** The first fixed version above the installed one in each range that covers it. */
  readonly fixed: readonly string[];
  /** The no-fix status, when affected with no fixed version. */
  readonly status: FixStatus;
  /** Ranges not evaluated because a version in them is invalid for the scheme. */
  readonly badRanges: number;
}

const FIX_STATUSES: ReadonlySet<string> = new Set([
  "affected",
  "will_not_fix",
  "fix_deferred",
  "end_of_life",
]);

/** The sentinel for `introduced: "0"` (before every version) and Debian's `fixed: "0"`. */
const BOTTOM = Symbol("bottom");

type Kind = "introduced" | "fixed" | "last_affected" | "limit";
interface Event<V> {
  readonly kind: Kind;
  readonly text: string;
  readonly at: V | typeof BOTTOM;
}

/** On equal versions an introduction sorts first: `introduced X, fixed X` covers nothing. */
const KIND_ORDER: Readonly<Record<Kind, number>> = { introduced: 0, fixed: 1, last_affected: 2, limit: 3 };

function eventOf(e: OsvEvent): { kind: Kind; text: string } | undefined {
  if (!isObject(e)) return undefined;
  if ("introduced" in e && typeof e.introduced === "string")
    return { kind: "introduced", text: e.introduced };
  if ("fixed" in e && typeof e.fixed === "string") return { kind: "fixed", text: e.fixed };
  if ("last_affected" in e && typeof e.last_affected === "string") {
    return { kind: "last_affected", text: e.last_affected };
  }
  if ("limit" in e && typeof e.limit === "string") return { kind: "limit", text: e.limit };
  return undefined;
}

function comparator<V>(scheme: VersionScheme<V>) {
  return (a: V | typeof BOTTOM, b: V | typeof BOTTOM): number =>
    a === BOTTOM ? (b === BOTTOM ? 0 : -1) : b === BOTTOM ? 1 : scheme.compare(a, b);
}

/**
 * Parsed and sorted events by range and scheme. One record is evaluated once for each binary
 * package of its source (dozens for glibc or krb5): parsing and sorting once saves most of the work.
 * `null` marks a range with a version the scheme refuses.
 */
const PARSED = new WeakMap<object, Map<VersionScheme<unknown>, readonly Event<unknown>[] | null>>();

function sortedEvents<V>(range: OsvRange, scheme: VersionScheme<V>): readonly Event<V>[] | undefined {
  let byScheme = PARSED.get(range);
  const cached = byScheme?.get(scheme as VersionScheme<unknown>);
  if (cached !== undefined) return (cached ?? undefined) as readonly Event<V>[] | undefined;
  const events = parseEvents(range, scheme);
  if (byScheme === undefined) {
    byScheme = new Map();
    PARSED.set(range, byScheme);
  }
  byScheme.set(scheme as VersionScheme<unknown>, (events ?? null) as readonly Event<unknown>[] | null);
  return events;
}

function parseEvents<V>(range: OsvRange, scheme: VersionScheme<V>): Event<V>[] | undefined {
  const events: Event<V>[] = [];
  for (const raw of list(range.events)) {
    const e = eventOf(raw);
    if (e === undefined) continue;
    if (e.kind === "limit" && e.text.includes("*")) continue; // a version with "*" is infinity
    // "0" introduced means "from the first version"; Debian writes fixed "0" for "not affected".
    const bottom = e.text === "0" && (e.kind === "introduced" || e.kind === "fixed");
    try {
      events.push({ ...e, at: bottom ? BOTTOM : scheme.parse(e.text) });
    } catch {
      return undefined;
    }
  }
  const cmp = comparator(scheme);
  events.sort((a, b) => cmp(a.at, b.at) || KIND_ORDER[a.kind] - KIND_ORDER[b.kind]);
  return events;
}

/** Parsed `versions` lists by entry and scheme (PyPI and npm entries list hundreds of versions). */
const LISTED = new WeakMap<object, Map<VersionScheme<unknown>, readonly unknown[]>>();

function listedVersions<V>(entry: AffectedSummaryEntry, scheme: VersionScheme<V>): readonly V[] {
  let byScheme = LISTED.get(entry);
  const cached = byScheme?.get(scheme as VersionScheme<unknown>);
  if (cached !== undefined) return cached as readonly V[];
  const parsed: V[] = [];
  for (const v of list(entry.versions)) {
    try {
      parsed.push(scheme.parse(v));
    } catch {
      // One bad listed version does not spoil the others.
    }
  }
  if (byScheme === undefined) {
    byScheme = new Map();
    LISTED.set(entry, byScheme);
  }
  byScheme.set(scheme as VersionScheme<unknown>, parsed);
  return parsed;
}

/**
 * Evaluates one ECOSYSTEM or SEMVER range; `undefined` for GIT ranges (commit hashes, which an
 * installed package does not have) and for ranges holding a version `scheme` refuses (such a range
 * says nothing reliable: it is skipped, never compared as strings).
 */
export function evaluateRange<V>(
  range: OsvRange,
  installed: V,
  scheme: VersionScheme<V>,
): { affected: boolean; fixed?: string } | undefined {
  if (!isObject(range) || (range.type !== "ECOSYSTEM" && range.type !== "SEMVER")) return undefined;
  const events = sortedEvents(range, scheme);
  if (events === undefined) return undefined;
  const cmp = comparator(scheme);
  let affected = false;
  for (const e of events) {
    if (e.kind === "introduced" && cmp(installed, e.at) >= 0) affected = true;
    else if (e.kind === "fixed" && cmp(installed, e.at) >= 0) affected = false;
    else if (e.kind === "last_affected" && cmp(installed, e.at) > 0) affected = false;
  }
  const limits = events.filter((e) => e.kind === "limit");
  if (affected && limits.length > 0 && !limits.some((l) => cmp(installed, l.at) < 0)) affected = false;
  if (!affected) return { affected };
  const next = events.find((e) => e.kind === "fixed" && e.at !== BOTTOM && cmp(installed, e.at) < 0);
  return next === undefined ? { affected } : { affected, fixed: next.text };
}

/**
 * Whether `entry` covers `installed` (already parsed with `scheme`): listed in `versions`, or within
 * one of its ranges. The status of an affected version with no fix comes from
 * `database_specific.rafscan_status` of the entry, else of the record, else `affected`.
 */
export function evaluateAffected<V>(
  entry: AffectedSummaryEntry,
  installed: V,
  scheme: VersionScheme<V>,
  recordSpecific?: Readonly<Record<string, unknown>>,
): AffectedVerdict {
  let affected = false;
  let badRanges = 0;
  const fixed: string[] = [];
  for (const range of list(entry.ranges)) {
    const r = evaluateRange(range, installed, scheme);
    if (r === undefined) {
      if (!isObject(range) || range.type !== "GIT") badRanges++;
      continue;
    }
    if (!r.affected) continue;
    affected = true;
    if (r.fixed !== undefined && !fixed.includes(r.fixed)) fixed.push(r.fixed);
  }
  if (!affected && Array.isArray(entry.versions)) {
    affected = listedVersions(entry, scheme).some((v) => scheme.compare(v, installed) === 0);
  }
  const declared = entry.database_specific?.rafscan_status ?? recordSpecific?.rafscan_status;
  const status =
    typeof declared === "string" && FIX_STATUSES.has(declared) ? (declared as FixStatus) : "affected";
  return { affected, fixed, status, badRanges };
}
