// The apk version scheme (Alpine, Wolfi, Chainguard): digit{.digit}...{letter}{_suffix{#}}...
// {~hash}{-r#}, tokenised, validated and compared as apk-tools' src/version.c does.
import { checkLength, compareDigits, compareStrings, isDigit } from "./limits.js";
import { VersionError, type VersionScheme } from "./scheme.js";

// Token kinds in apk-tools' order: after equal leading tokens, the version whose next token
// comes earlier in this list is the newer one (except pre-release suffixes).
const INITIAL_DIGIT = 0;
const DIGIT = 1;
const LETTER = 2;
const SUFFIX = 3;
const SUFFIX_NO = 4;
const COMMIT_HASH = 5;
const REVISION_NO = 6;
const END = 7;

/** Suffix weights: pre-releases below NONE (a version without suffix), post-releases above. */
const SUFFIXES: ReadonlyMap<string, number> = new Map([
  ["alpha", 1],
  ["beta", 2],
  ["pre", 3],
  ["rc", 4],
  ["cvs", 6],
  ["svn", 7],
  ["git", 8],
  ["hg", 9],
  ["p", 10],
]);
const SUFFIX_NONE = 5;

interface Token {
  readonly kind: number;
  /** The token's text: digits, the letter, the suffix name or the hash. */
  readonly value: string;
  /** Suffix weight, for SUFFIX tokens. */
  readonly suffix: number;
}

/** A parsed apk version: its tokens, ending with an END token. */
export interface ApkVersion {
  readonly tokens: readonly Token[];
}

const NAME = "apk";

function parse(text: string): ApkVersion {
  checkLength(NAME, text);
  const bad = (reason: string): never => {
    throw new VersionError(NAME, text, reason);
  };
  const tokens: Token[] = [];
  let i = 0;
  const digits = (): string => {
    const start = i;
    while (i < text.length && isDigit(text.charCodeAt(i))) i++;
    return text.slice(start, i);
  };
  const first = digits();
  if (first === "") bad("does not start with a digit");
  tokens.push({ kind: INITIAL_DIGIT, value: first, suffix: 0 });
  let kind = INITIAL_DIGIT;
  while (i < text.length) {
    const c = text[i] as string;
    if (c >= "a" && c <= "z") {
      if (kind > DIGIT) bad(`letter '${c}' after a letter, suffix, hash or revision`);
      kind = LETTER;
      tokens.push({ kind, value: c, suffix: 0 });
      i++;
    } else if (c === "." || isDigit(c.charCodeAt(0))) {
      if (c === ".") {
        if (kind > DIGIT) bad("'.' after a letter, suffix, hash or revision");
        i++;
      }
      if (kind === INITIAL_DIGIT || kind === DIGIT) kind = DIGIT;
      else if (kind === SUFFIX) kind = SUFFIX_NO;
      else bad(`digit at offset ${i} not allowed here`);
      const d = digits();
      if (d === "") bad(`no digits after '.' at offset ${i}`);
      tokens.push({ kind, value: d, suffix: 0 });
    } else if (c === "_") {
      if (kind > SUFFIX_NO) bad("suffix after a hash or revision");
      i++;
      const start = i;
      while (i < text.length && text[i] !== undefined && /[a-z]/.test(text[i] as string)) i++;
      const name = text.slice(start, i);
      const weight = SUFFIXES.get(name);
      if (weight === undefined) bad(`unknown suffix '_${name}'`);
      kind = SUFFIX;
      tokens.push({ kind, value: name, suffix: weight as number });
    } else if (c === "~") {
      if (kind >= COMMIT_HASH) bad("second hash, or hash after the revision");
      i++;
      const start = i;
      while (i < text.length && /[0-9a-f]/.test(text[i] as string)) i++;
      if (i === start) bad("'~' without a hexadecimal commit hash");
      kind = COMMIT_HASH;
      tokens.push({ kind, value: text.slice(start, i), suffix: 0 });
    } else if (c === "-") {
      if (kind >= REVISION_NO) bad("second revision");
      if (text[i + 1] !== "r") bad("'-' not followed by 'r'");
      i += 2;
      const d = digits();
      if (d === "") bad("'-r' without a number");
      kind = REVISION_NO;
      tokens.push({ kind, value: d, suffix: 0 });
    } else {
      bad(`invalid character '${c}' at offset ${i}`);
    }
  }
  tokens.push({ kind: END, value: "", suffix: 0 });
  return { tokens };
}

function tokenCompare(a: Token, b: Token): number {
  switch (a.kind) {
    case DIGIT:
      // A component with a leading zero compares as a string ("1.05" < "1.1"), as in Gentoo.
      if (a.value.startsWith("0") || b.value.startsWith("0")) return compareStrings(a.value, b.value);
      return compareDigits(a.value, b.value);
    case INITIAL_DIGIT:
    case SUFFIX_NO:
    case REVISION_NO:
      return compareDigits(a.value, b.value);
    case LETTER:
      return compareStrings(a.value, b.value);
    case SUFFIX:
      return a.suffix === b.suffix ? 0 : a.suffix < b.suffix ? -1 : 1;
    default:
      return compareStrings(a.value, b.value);
  }
}

function compare(a: ApkVersion, b: ApkVersion): number {
  let k = 0;
  for (;;) {
    const ta = a.tokens[k] as Token;
    const tb = b.tokens[k] as Token;
    if (ta.kind !== tb.kind) {
      // The longer version is newer, unless what follows is a pre-release suffix.
      if (ta.kind === SUFFIX && ta.suffix < SUFFIX_NONE) return -1;
      if (tb.kind === SUFFIX && tb.suffix < SUFFIX_NONE) return 1;
      return ta.kind > tb.kind ? -1 : 1;
    }
    if (ta.kind === END) return 0;
    const c = tokenCompare(ta, tb);
    if (c !== 0) return c;
    k++;
  }
}

/** apk versions (Alpine, Wolfi, Chainguard). */
export const apkScheme: VersionScheme<ApkVersion> = { name: NAME, parse, compare };
