// Validates one untrusted OSV record (parsed JSON) into the OsvRecord model: every field rafscan
// reads is checked for type, count and length; a record that fails is rejected with the reason.
// Also fills in `database_specific.rafscan_status` of affected entries that have no fix yet.
import type { FixStatus, OsvAffected, OsvEvent, OsvRange, OsvRecord, OsvSeverity } from "../osv.js";
import { KNOWN_ECOSYSTEMS, splitEcosystem } from "./ecosystems.js";
import type { VulndbLimits } from "./limits.js";

/** One (ecosystem, package) an accepted record is indexed under. */
export interface IndexKey {
  /** Base ecosystem: `Debian`. */
  readonly ecosystem: string;
  /** Release suffix: `12`, `v3.20`, `22.04:LTS`; `""` when none. */
  readonly release: string;
  readonly name: string;
}

/** The outcome of {@link validateRecord}. */
export type Validated =
  | {
      readonly ok: true;
      readonly record: OsvRecord;
      /** Distinct keys of its affected entries in known ecosystems. */
      readonly keys: readonly IndexKey[];
      /** Ecosystems of affected entries that were skipped as unknown. */
      readonly unknownEcosystems: readonly string[];
    }
  | { readonly ok: false; readonly id: string | undefined; readonly reason: string };

/** Where the status of an entry with no fix is stored. */
export const STATUS_FIELD = "rafscan_status";

const STATUSES: ReadonlySet<string> = new Set(["affected", "will_not_fix", "fix_deferred", "end_of_life"]);
const EVENT_KEYS: ReadonlySet<string> = new Set(["introduced", "fixed", "last_affected", "limit"]);
const RANGE_TYPES: ReadonlySet<string> = new Set(["ECOSYSTEM", "SEMVER", "GIT"]);

class Invalid extends Error {}

function fail(reason: string): never {
  throw new Invalid(reason);
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Validates a parsed JSON value as an OSV record. Never throws. */
export function validateRecord(value: unknown, limits: VulndbLimits): Validated {
  const id = isObject(value) && typeof value.id === "string" ? value.id.slice(0, 200) : undefined;
  try {
    return accept(value, limits);
  } catch (err) {
    if (err instanceof Invalid) return { ok: false, id, reason: err.message };
    throw err;
  }
}

function accept(value: unknown, limits: VulndbLimits): Validated {
  if (!isObject(value)) fail("not a JSON object");
  const str = (v: unknown, what: string): string => {
    if (typeof v !== "string") fail(`${what} is not a string`);
    if (v.length > limits.maxStringLength)
      fail(`${what} is longer than ${limits.maxStringLength} characters`);
    return v;
  };
  const optStr = (v: unknown, what: string, max = limits.maxStringLength): string | undefined => {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "string") fail(`${what} is not a string`);
    if (v.length > max) fail(`${what} is longer than ${max} characters`);
    return v;
  };
  const list = (v: unknown, what: string, max = limits.maxListLength): unknown[] => {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) fail(`${what} is not an array`);
    if (v.length > max) fail(`${what} has more than ${max} entries`);
    return v;
  };
  const strings = (v: unknown, what: string): string[] | undefined =>
    v === undefined || v === null ? undefined : list(v, what).map((s, i) => str(s, `${what}[${i}]`));
  const object = (v: unknown, what: string): Json | undefined => {
    if (v === undefined || v === null) return undefined;
    if (!isObject(v)) fail(`${what} is not an object`);
    return v;
  };
  const severities = (v: unknown, what: string): OsvSeverity[] | undefined =>
    v === undefined || v === null
      ? undefined
      : list(v, what).map((s, i) => {
          if (!isObject(s)) fail(`${what}[${i}] is not an object`);
          return { type: str(s.type, `${what}[${i}].type`), score: str(s.score, `${what}[${i}].score`) };
        });

  const id = str(value.id, "id");
  if (id.length === 0) fail("id is empty");
  const modified = str(value.modified, "modified");
  const rawAffected = list(value.affected, "affected", limits.maxAffected);
  const keys = new Map<string, IndexKey>();
  const unknownEcosystems: string[] = [];
  const affected: OsvAffected[] = [];
  rawAffected.forEach((a, i) => {
    const where = `affected[${i}]`;
    if (!isObject(a)) fail(`${where} is not an object`);
    const pkg = object(a.package, `${where}.package`);
    // OSV allows an entry without a package when it has GIT ranges only: nothing can look it
    // up by package, so it is left out of the stored record rather than failing the record.
    if (pkg === undefined) return;
    const ecosystem = str(pkg.ecosystem, `${where}.package.ecosystem`);
    const name = str(pkg.name, `${where}.package.name`);
    const purl = optStr(pkg.purl, `${where}.package.purl`, 4096);
    const ranges: OsvRange[] = list(a.ranges, `${where}.ranges`).map((r, j) => {
      const rw = `${where}.ranges[${j}]`;
      if (!isObject(r)) fail(`${rw} is not an object`);
      const type = str(r.type, `${rw}.type`);
      if (!RANGE_TYPES.has(type)) fail(`${rw}.type ${JSON.stringify(type)} is not ECOSYSTEM, SEMVER or GIT`);
      const events: OsvEvent[] = list(r.events, `${rw}.events`).map((e, k) => {
        if (!isObject(e)) fail(`${rw}.events[${k}] is not an object`);
        const names = Object.keys(e);
        const key = names[0];
        if (names.length !== 1 || key === undefined || !EVENT_KEYS.has(key)) {
          fail(`${rw}.events[${k}] must have exactly one of introduced, fixed, last_affected, limit`);
        }
        // GIT events are commit hashes: checked as strings like the rest, never parsed.
        return { [key]: str(e[key], `${rw}.events[${k}].${key}`) } as OsvEvent;
      });
      const repo = optStr(r.repo, `${rw}.repo`, 4096);
      const ds = object(r.database_specific, `${rw}.database_specific`);
      return {
        type: type as OsvRange["type"],
        ...(repo === undefined ? {} : { repo }),
        events,
        ...(ds === undefined ? {} : { database_specific: ds }),
      };
    });
    const versions = strings(a.versions, `${where}.versions`);
    const severity = severities(a.severity, `${where}.severity`);
    const es = object(a.ecosystem_specific, `${where}.ecosystem_specific`);
    const ds = object(a.database_specific, `${where}.database_specific`);
    const status = fixStatus(ranges, versions, es, ds);
    const split = splitEcosystem(ecosystem);
    if (name.length === 0) fail(`${where}.package.name is empty`);
    if (KNOWN_ECOSYSTEMS.has(split.base)) {
      keys.set(`${ecosystem}\u0000${name}`, { ecosystem: split.base, release: split.release, name });
    } else {
      unknownEcosystems.push(ecosystem);
    }
    affected.push({
      package: { ecosystem, name, ...(purl === undefined ? {} : { purl }) },
      ...(a.ranges === undefined || a.ranges === null ? {} : { ranges }),
      ...(versions === undefined ? {} : { versions }),
      ...(severity === undefined ? {} : { severity }),
      ...(es === undefined ? {} : { ecosystem_specific: es }),
      ...(status !== undefined
        ? { database_specific: { ...ds, [STATUS_FIELD]: status } }
        : ds === undefined
          ? {}
          : { database_specific: ds }),
    });
  });
  const references = list(value.references, "references").map((r, i) => {
    if (!isObject(r)) fail(`references[${i}] is not an object`);
    const url = optStr(r.url, `references[${i}].url`, 8192);
    if (url === undefined) fail(`references[${i}].url is missing`);
    return { type: str(r.type, `references[${i}].type`), url };
  });
  const out: Record<string, unknown> = { id, modified };
  const put = (k: string, v: unknown) => {
    if (v !== undefined) out[k] = v;
  };
  put("schema_version", optStr(value.schema_version, "schema_version"));
  put("published", optStr(value.published, "published"));
  put("withdrawn", optStr(value.withdrawn, "withdrawn"));
  put("aliases", strings(value.aliases, "aliases"));
  put("related", strings(value.related, "related"));
  put("upstream", strings(value.upstream, "upstream"));
  // Summary and details are prose for reports; bounded by the record size limit only.
  put("summary", optStr(value.summary, "summary", limits.maxRecordBytes));
  put("details", optStr(value.details, "details", limits.maxRecordBytes));
  put("severity", severities(value.severity, "severity"));
  put("affected", value.affected === undefined ? undefined : affected);
  put("references", value.references === undefined ? undefined : references);
  put("database_specific", object(value.database_specific, "database_specific"));
  return { ok: true, record: out as unknown as OsvRecord, keys: [...keys.values()], unknownEcosystems };
}

/**
 * The status of an affected entry with no fix, or `undefined` when it has one. An entry has a fix
 * when one of its ECOSYSTEM or SEMVER ranges ends (`fixed`, `last_affected` or `limit`), or when
 * it lists its affected versions instead of ranges. A status the feed set already
 * (`database_specific.rafscan_status`) is kept; otherwise the feed's own status words, where it
 * has any, are mapped; otherwise it is `affected`.
 */
export function fixStatus(
  ranges: readonly OsvRange[],
  versions: readonly string[] | undefined,
  ecosystemSpecific: Json | undefined,
  databaseSpecific: Json | undefined,
): FixStatus | undefined {
  const given = databaseSpecific?.[STATUS_FIELD];
  if (typeof given === "string" && STATUSES.has(given)) return given as FixStatus;
  const evaluated = ranges.filter((r) => r.type !== "GIT");
  if (evaluated.length === 0 && versions !== undefined && versions.length > 0) return undefined;
  const ends = evaluated.some((r) => r.events.some((e) => !("introduced" in e)));
  if (ends) return undefined;
  for (const source of [databaseSpecific, ecosystemSpecific]) {
    for (const key of ["status", "fix_status", "fixStatus", "state"]) {
      const word = source?.[key];
      if (typeof word === "string") {
        const mapped = mapStatusWord(word);
        if (mapped !== undefined) return mapped;
      }
    }
  }
  return "affected";
}

/** Maps a feed's status word (`will not fix`, `deferred`, `end-of-life`, ...) to a FixStatus. */
export function mapStatusWord(word: string): FixStatus | undefined {
  const w = word.toLowerCase();
  if (/will[ _-]?not[ _-]?fix|won'?t[ _-]?fix|ignored|not[ _-]?fixing/.test(w)) return "will_not_fix";
  if (/defer|postpone|no[ _-]?dsa/.test(w)) return "fix_deferred";
  if (/end[ _-]?of[ _-]?life|\beol\b|out of (support|maintenance)/.test(w)) return "end_of_life";
  if (/not[ _-]?affected/.test(w)) return undefined;
  if (/affected|needed|pending|vulnerable|open/.test(w)) return "affected";
  return undefined;
}
