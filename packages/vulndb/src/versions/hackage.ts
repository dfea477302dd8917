// The Hackage version scheme (Cabal's Version): dot-separated numbers without leading zeros,
// compared as lists, so 1.0 < 1.0.0 (a prefix sorts first).
import { checkLength, compareDigits } from "./limits.js";
import { VersionError, type VersionScheme } from "./scheme.js";

/** A parsed Hackage version: its numeric components. */
export interface HackageVersion {
  readonly parts: readonly string[];
}

const NAME = "hackage";
// Cabal reads at most 9 digits per component ("integral without leading zeroes").
const PATTERN = /^(0|[1-9][0-9]{0,8})(\.(0|[1-9][0-9]{0,8}))*$/;

function parse(text: string): HackageVersion {
  checkLength(NAME, text);
  if (!PATTERN.test(text))
    throw new VersionError(NAME, text, "not dot-separated numbers without leading zeros");
  return { parts: text.split(".") };
}

function compare(a: HackageVersion, b: HackageVersion): number {
  for (let i = 0; i < a.parts.length && i < b.parts.length; i++) {
    const c = compareDigits(a.parts[i] as string, b.parts[i] as string);
    if (c !== 0) return c;
  }
  return Math.sign(a.parts.length - b.parts.length);
}

/** Hackage versions (Cabal's Version ordering). */
export const hackageScheme: VersionScheme<HackageVersion> = { name: NAME, parse, compare };
