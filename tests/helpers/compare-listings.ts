// Parsing `rafscan ls --json` output and diffing two listings field by field, with readable reports.

import { ENTRY_FIELDS, type Entry, formatEntry, normalizeInos } from "./list-tree.js";

/** Result of {@link parseListing}. */
export interface ParsedListing {
  entries: Entry[];
  /** Lines that break the contract: bad JSON, unknown keys, keys out of order. */
  problems: string[];
}

/**
 * Parses JSON-lines listing output. Besides the values, it checks the shape the contract fixes:
 * every key known, keys in {@link ENTRY_FIELDS} order, lines sorted by path bytes.
 */
export function parseListing(text: string): ParsedListing {
  const entries: Entry[] = [];
  const problems: string[] = [];
  const lines = text.split("\n").filter((l) => l !== "");
  for (const [i, line] of lines.entries()) {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      problems.push(`line ${i + 1}: not JSON: ${line.slice(0, 200)}`);
      continue;
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      problems.push(`line ${i + 1}: not an object`);
      continue;
    }
    const keys = Object.keys(value);
    const known: readonly string[] = ENTRY_FIELDS;
    const unknown = keys.filter((k) => !known.includes(k));
    if (unknown.length > 0) problems.push(`line ${i + 1}: unknown keys ${unknown.join(", ")}`);
    const order = keys.filter((k) => known.includes(k));
    const sorted = [...order].sort((a, b) => known.indexOf(a) - known.indexOf(b));
    if (order.join() !== sorted.join()) problems.push(`line ${i + 1}: key order ${order.join(",")}`);
    const entry = value as Entry;
    const prev = entries.at(-1);
    if (prev && Buffer.compare(Buffer.from(prev.path), Buffer.from(String(entry.path))) >= 0) {
      problems.push(`line ${i + 1}: ${JSON.stringify(entry.path)} not after ${JSON.stringify(prev.path)}`);
    }
    entries.push(entry);
  }
  return { entries, problems };
}

/** Options of {@link diffListings}. */
export interface DiffOptions {
  /** Applied to every entry of both sides before comparing; use it to mask fields. */
  mask?: (entry: Entry) => Entry;
  /** Stop after this many differences. Default 50. */
  limit?: number;
}

/**
 * Differences between two listings, one human-readable line each ("path: field expected X, got Y",
 * missing and extra paths); empty when they agree. Inode numbers are compared through
 * {@link normalizeInos}, so only the hardlink structure matters. Xattr maps compare regardless of key
 * order (the contract does not fix it).
 */
export function diffListings(
  expected: readonly Entry[],
  actual: readonly Entry[],
  options: DiffOptions = {},
): string[] {
  const limit = options.limit ?? 50;
  const mask = options.mask ?? ((e: Entry) => e);
  const exp = new Map(normalizeInos(expected).map((e) => [e.path, mask(e)]));
  const act = new Map(normalizeInos(actual).map((e) => [e.path, mask(e)]));
  const out: string[] = [];
  for (const [p, e] of exp) {
    if (out.length >= limit) break;
    const a = act.get(p);
    if (!a) {
      out.push(`${JSON.stringify(p)}: missing (expected ${formatEntry(e)})`);
      continue;
    }
    for (const key of ENTRY_FIELDS) {
      const ev = canonical(e[key]);
      const av = canonical(a[key]);
      if (ev !== av)
        out.push(`${JSON.stringify(p)}: ${key} expected ${ev ?? "(absent)"}, got ${av ?? "(absent)"}`);
    }
  }
  for (const [p, a] of act) {
    if (out.length >= limit) break;
    if (!exp.has(p)) out.push(`${JSON.stringify(p)}: unexpected (got ${formatEntry(a)})`);
  }
  return out;
}

/** A copy of `entry` without the named fields. */
export function omit(entry: Entry, ...keys: (keyof Entry)[]): Entry {
  const copy: Record<string, unknown> = { ...entry };
  for (const k of keys) delete copy[k];
  return copy as unknown as Entry;
}

function canonical(v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v === "object" && v !== null && !Array.isArray(v)) {
    const obj = v as Record<string, unknown>;
    const keys = Object.keys(obj).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    return JSON.stringify(Object.fromEntries(keys.map((k) => [k, obj[k]])));
  }
  return JSON.stringify(v);
}

/**
 * Masks what `fsck.erofs --extract` (erofs-utils 1.5) cannot reproduce, for comparing an extracted
 * copy with a listing of the image or its source. Each is a limit of that extractor, not of the
 * format; the masked facts are checked elsewhere against the image itself (dump.erofs, raw inodes)
 * and against the source tree:
 * - `ino`: the copy has new inodes;
 * - `nlink` of non-directories: it writes every hardlink name as an independent copy;
 * - `xattrs`: it restores none;
 * - setuid/setgid of non-directories: it sets the mode before the owner, and chown(2) then clears
 *   S_ISUID (and S_ISGID when group-executable), as Linux does for every non-directory.
 */
export function maskForExtract(entry: Entry): Entry {
  if (entry.type === "dir") return omit(entry, "ino", "xattrs");
  return { ...omit(entry, "ino", "nlink", "xattrs"), mode: entry.mode & 0o1777 };
}
