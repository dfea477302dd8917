// The PEP 440 version scheme (PyPI), through @renovatebot/pep440 (a port of Python's
// `packaging.version`). Strings that are not PEP 440 are refused, as `packaging` >= 22 does.
import { compare as pep440Compare, parse as pep440Parse } from "@renovatebot/pep440";
import { checkLength } from "./limits.js";
import { VersionError, type VersionScheme } from "./scheme.js";

/** A version string that parsed as PEP 440. */
export interface Pep440Version {
  readonly text: string;
}

const NAME = "pep440";

function parse(text: string): Pep440Version {
  checkLength(NAME, text);
  // No LegacyVersion fallback: pip and `packaging` >= 22 refuse these too, so an advisory or a
  // package carrying one cannot be ordered the way the ecosystem would.
  // `packaging` allows surrounding whitespace (its pattern is wrapped in \s*); the port does not.
  const trimmed = text.trim();
  if (pep440Parse(trimmed) === null) throw new VersionError(NAME, text, "not a PEP 440 version");
  return { text: trimmed };
}

function compare(a: Pep440Version, b: Pep440Version): number {
  return Math.sign(pep440Compare(a.text, b.text));
}

/** PEP 440 versions (PyPI). */
export const pep440Scheme: VersionScheme<Pep440Version> = { name: NAME, parse, compare };
