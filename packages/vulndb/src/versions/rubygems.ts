// The RubyGems version scheme (Gem::Version): numeric and letter segments, '-' read as ".pre.",
// trailing zeros of the release and pre-release parts dropped, numbers of any size.
// Written here rather than through @renovatebot/ruby-semver: that port compares numbers as
// JavaScript doubles, so segments past 2^53 compare equal where Ruby's integers do not.
import { checkLength, compareDigits, compareStrings } from "./limits.js";
import { VersionError, type VersionScheme } from "./scheme.js";

/** A segment: a number (digits, no leading zeros) or a letter run. */
type Segment = { readonly num: string } | { readonly str: string };

/** A parsed RubyGems version: its canonical segments. */
export interface RubygemsVersion {
  readonly segments: readonly Segment[];
}

const NAME = "rubygems";
// Gem::Version::VERSION_PATTERN, anchored; surrounding blanks are allowed (and stripped). Ruby's
// \s is ASCII only, so the blanks are spelled out.
const PATTERN = /^[ \t\n\v\f\r]*[0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?[ \t\n\v\f\r]*$/;
const BLANKS = /^[ \t\n\v\f\r]+|[ \t\n\v\f\r]+$/g;

function isZero(s: Segment): boolean {
  return "num" in s && s.num === "0";
}

function dropTrailingZeros(list: Segment[]): Segment[] {
  let end = list.length;
  while (end > 0 && isZero(list[end - 1] as Segment)) end--;
  return list.slice(0, end);
}

function parse(text: string): RubygemsVersion {
  checkLength(NAME, text);
  // Gem::Version reads "" and blanks as "0"; nothing publishes that, so it is refused here.
  const stripped = text.replace(BLANKS, "");
  if (stripped === "" || !PATTERN.test(text)) throw new VersionError(NAME, text, "malformed version number");
  const version = stripped.replaceAll("-", ".pre.");
  const all: Segment[] = [];
  for (const m of version.matchAll(/[0-9]+|[a-z]+/gi)) {
    const t = m[0];
    all.push(/^[0-9]/.test(t) ? { num: t.replace(/^0+(?=.)/, "") } : { str: t });
  }
  // canonical_segments: trailing zeros go from the numeric part and from the rest separately.
  const firstString = all.findIndex((s) => "str" in s);
  const numeric = firstString === -1 ? all : all.slice(0, firstString);
  const rest = firstString === -1 ? [] : all.slice(firstString);
  return { segments: [...dropTrailingZeros(numeric), ...dropTrailingZeros(rest)] };
}

const ZERO: Segment = { num: "0" };

function compare(a: RubygemsVersion, b: RubygemsVersion): number {
  const n = Math.max(a.segments.length, b.segments.length);
  for (let i = 0; i < n; i++) {
    const l = a.segments[i] ?? ZERO;
    const r = b.segments[i] ?? ZERO;
    if ("num" in l && "num" in r) {
      const c = compareDigits(l.num, r.num);
      if (c !== 0) return c;
    } else if ("str" in l && "str" in r) {
      const c = compareStrings(l.str, r.str);
      if (c !== 0) return c;
    } else {
      // A letter segment (pre-release) sorts before a number.
      return "str" in l ? -1 : 1;
    }
  }
  return 0;
}

/** RubyGems versions (Gem::Version ordering). */
export const rubygemsScheme: VersionScheme<RubygemsVersion> = { name: NAME, parse, compare };
