// The Maven version scheme: org.apache.maven.artifact.versioning.ComparableVersion's item tree
// (numbers, qualifiers and '-' sub-lists) and its ordering, rebuilt from its documented rules.
import { checkLength, compareDigits, compareStrings } from "./limits.js";
import { VersionError, type VersionScheme } from "./scheme.js";

/** A number (digits, leading zeros stripped), a qualifier, or a '-' sub-list. */
type Item =
  | { readonly kind: "int"; readonly digits: string }
  | { readonly kind: "string"; readonly value: string }
  | { readonly kind: "list"; readonly items: Item[] };

/** A parsed Maven version: the top-level item list. */
export interface MavenVersion {
  readonly items: Item[];
}

const NAME = "maven";
const QUALIFIERS = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];
const ALIASES: Readonly<Record<string, string>> = { ga: "", final: "", release: "", cr: "rc" };
const RELEASE_INDEX = QUALIFIERS.indexOf("");

function stringItem(raw: string, followedByDigit: boolean): Item {
  let value = raw;
  // a1 = alpha-1, b1 = beta-1, m1 = milestone-1
  if (followedByDigit && value.length === 1) {
    value = value === "a" ? "alpha" : value === "b" ? "beta" : value === "m" ? "milestone" : value;
  }
  return { kind: "string", value: ALIASES[value] ?? value };
}

function numberItem(digits: string): Item {
  let i = 0;
  while (i < digits.length - 1 && digits[i] === "0") i++;
  return { kind: "int", digits: digits.slice(i) };
}

function isNull(item: Item): boolean {
  if (item.kind === "int") return item.digits === "0";
  if (item.kind === "string") return qualifierRank(item.value) === 0;
  return item.items.length === 0;
}

// Known qualifiers in their order, then unknown ones after them in lexical order. Returned as
// a comparison against the release qualifier "" so callers can tell pre- from post-release.
function qualifierRank(value: string): number {
  const i = QUALIFIERS.indexOf(value);
  const own = i === -1 ? `${QUALIFIERS.length}-${value}` : String(i);
  return compareStrings(own, String(RELEASE_INDEX));
}

function compareQualifiers(a: string, b: string): number {
  const key = (v: string): string => {
    const i = QUALIFIERS.indexOf(v);
    return i === -1 ? `${QUALIFIERS.length}-${v}` : String(i);
  };
  return compareStrings(key(a), key(b));
}

function normalize(list: Item[]): void {
  // Trailing null items (0, "", empty list) go, from the end back to the last non-list item.
  for (let i = list.length - 1; i >= 0; i--) {
    const last = list[i] as Item;
    if (isNull(last)) list.splice(i, 1);
    else if (last.kind !== "list") break;
  }
}

function parse(text: string): MavenVersion {
  checkLength(NAME, text);
  // ComparableVersion takes any string; whitespace and control characters never appear in a
  // published coordinate, so they mean broken input here.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\s\x00-\x1f\x7f]/.test(text)) throw new VersionError(NAME, text, "whitespace or control character");
  const version = text.toLowerCase();
  const root: Item[] = [];
  let list = root;
  const lists: Item[][] = [root];
  const pushList = (): void => {
    const sub: Item[] = [];
    list.push({ kind: "list", items: sub });
    list = sub;
    lists.push(sub);
  };
  let isDigit = false;
  let start = 0;
  const item = (digit: boolean, buf: string): Item => (digit ? numberItem(buf) : stringItem(buf, false));
  for (let i = 0; i < version.length; i++) {
    const c = version.charCodeAt(i);
    if (c === 46 /* . */ || c === 45 /* - */) {
      list.push(i === start ? numberItem("0") : item(isDigit, version.slice(start, i)));
      start = i + 1;
      if (c === 45) pushList();
    } else if (c >= 48 && c <= 57) {
      if (!isDigit && i > start) {
        // 1.0.0.X1 < 1.0.0-X2: a qualifier after '.' opens a sub-list as after '-'.
        if (list.length > 0) pushList();
        list.push(stringItem(version.slice(start, i), true));
        start = i;
        pushList();
      }
      isDigit = true;
    } else {
      if (isDigit && i > start) {
        list.push(numberItem(version.slice(start, i)));
        start = i;
        pushList();
      }
      isDigit = false;
    }
  }
  if (version.length > start) {
    // The same for a trailing qualifier: "1.0.x" is read as "1.0-x".
    if (!isDigit && list.length > 0) pushList();
    list.push(item(isDigit, version.slice(start)));
  }
  for (let k = lists.length - 1; k >= 0; k--) normalize(lists[k] as Item[]);
  return { items: root };
}

// ComparableVersion's Item.compareTo; `b` undefined is the padding of a shorter list.
function compareItem(a: Item, b: Item | undefined): number {
  if (a.kind === "int") {
    if (b === undefined) return a.digits === "0" ? 0 : 1;
    return b.kind === "int" ? compareDigits(a.digits, b.digits) : 1;
  }
  if (a.kind === "string") {
    if (b === undefined) return Math.sign(qualifierRank(a.value));
    if (b.kind === "string") return compareQualifiers(a.value, b.value);
    return -1;
  }
  if (b === undefined) {
    // A sub-list against padding: its first item that is not null decides.
    for (const item of a.items) {
      const c = compareItem(item, undefined);
      if (c !== 0) return c;
    }
    return 0;
  }
  if (b.kind === "int") return -1;
  if (b.kind === "string") return 1;
  return compareLists(a.items, b.items);
}

function compareLists(a: readonly Item[], b: readonly Item[]): number {
  for (let i = 0; i < a.length || i < b.length; i++) {
    const l = a[i];
    const r = b[i];
    const c = l === undefined ? (r === undefined ? 0 : -compareItem(r, undefined)) : compareItem(l, r);
    if (c !== 0) return c;
  }
  return 0;
}

function compare(a: MavenVersion, b: MavenVersion): number {
  return Math.sign(compareLists(a.items, b.items));
}

/** Maven versions (ComparableVersion). */
export const mavenScheme: VersionScheme<MavenVersion> = { name: NAME, parse, compare };
