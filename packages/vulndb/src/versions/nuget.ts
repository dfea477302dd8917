// The NuGet version scheme (NuGet.Versioning's NuGetVersion): 1 to 4 numeric parts, an optional
// dot-separated release label and build metadata; labels compare case-insensitively.
import { checkLength, compareDigits, compareStrings } from "./limits.js";
import { VersionError, type VersionScheme } from "./scheme.js";

/** A parsed NuGet version: four numbers (missing ones 0) and the release labels. */
export interface NugetVersion {
  readonly numbers: readonly string[];
  readonly labels: readonly string[];
}

const NAME = "nuget";
const INT32_MAX = "2147483647";
const LABEL = /^[0-9A-Za-z-]+$/;

function parse(text: string): NugetVersion {
  checkLength(NAME, text);
  const bad = (reason: string): never => {
    throw new VersionError(NAME, text, reason);
  };
  // NuGet trims surrounding whitespace before parsing.
  const s = text.trim();
  const plus = s.indexOf("+");
  const head = plus >= 0 ? s.slice(0, plus) : s;
  if (plus >= 0) {
    const meta = s.slice(plus + 1);
    if (!meta.split(".").every((p) => LABEL.test(p))) bad("invalid build metadata");
  }
  const dash = head.indexOf("-");
  const core = dash >= 0 ? head.slice(0, dash) : head;
  const labels = dash >= 0 ? head.slice(dash + 1).split(".") : [];
  if (!labels.every((p) => LABEL.test(p))) bad("invalid release label");
  const parts = core.split(".");
  if (parts.length > 4) bad("more than 4 numeric parts");
  for (const p of parts) {
    if (!/^[0-9]+$/.test(p)) bad("numeric part is not a number");
    if (compareDigits(p, INT32_MAX) > 0) bad("numeric part above 2147483647");
  }
  while (parts.length < 4) parts.push("0");
  return { numbers: parts, labels };
}

// NuGet: a label that parses as an int compares numerically and before any other label; other
// labels compare ordinally ignoring case.
function compareLabel(a: string, b: string): number {
  const an = /^[0-9]+$/.test(a) && compareDigits(a, INT32_MAX) <= 0;
  const bn = /^[0-9]+$/.test(b) && compareDigits(b, INT32_MAX) <= 0;
  if (an && bn) return compareDigits(a, b);
  if (an) return -1;
  if (bn) return 1;
  return compareStrings(a.toUpperCase(), b.toUpperCase());
}

function compare(a: NugetVersion, b: NugetVersion): number {
  for (let i = 0; i < 4; i++) {
    const c = compareDigits(a.numbers[i] as string, b.numbers[i] as string);
    if (c !== 0) return c;
  }
  // A release (no label) is newer than any pre-release.
  if (a.labels.length === 0 || b.labels.length === 0) {
    return a.labels.length === b.labels.length ? 0 : a.labels.length === 0 ? 1 : -1;
  }
  for (let i = 0; i < a.labels.length && i < b.labels.length; i++) {
    const c = compareLabel(a.labels[i] as string, b.labels[i] as string);
    if (c !== 0) return c;
  }
  return Math.sign(a.labels.length - b.labels.length);
}

/** NuGet versions; build metadata is ignored in ordering, as NuGet's default comparer does. */
export const nugetScheme: VersionScheme<NugetVersion> = { name: NAME, parse, compare };
