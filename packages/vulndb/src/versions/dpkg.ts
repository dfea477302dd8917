// The dpkg version scheme (Debian, Ubuntu): [epoch:]upstream[-revision], compared as dpkg's
// verrevcmp does, with dpkg's parseversion validity rules (its warnings count as errors here).
import { checkLength, compareDigits, isAlpha, isDigit } from "./limits.js";
import { VersionError, type VersionScheme } from "./scheme.js";

/** A parsed dpkg version. `revision` is "" when absent (dpkg treats absent and "0" alike). */
export interface DpkgVersion {
  readonly epoch: number;
  readonly upstream: string;
  readonly revision: string;
}

const NAME = "dpkg";
// dpkg refuses epochs above INT_MAX.
const MAX_EPOCH = 2147483647;

function parse(text: string): DpkgVersion {
  checkLength(NAME, text);
  // As dpkg 1.21: surrounding blanks (space, tab) go, blanks inside are an error, and any other
  // white space (newline, Unicode spaces) fails the character checks below.
  const s = text.replace(/^[ \t]+|[ \t]+$/g, "");
  const bad = (reason: string): never => {
    throw new VersionError(NAME, text, reason);
  };
  if (s === "") bad("version string is empty");
  if (/[ \t]/.test(s)) bad("version string has embedded spaces");
  let epoch = 0;
  let rest = s;
  const colon = s.indexOf(":");
  if (colon >= 0) {
    const e = s.slice(0, colon);
    if (e === "") bad("epoch in version is empty");
    if (!/^[0-9]+$/.test(e)) bad("epoch in version is not number");
    epoch = Number(e);
    if (epoch > MAX_EPOCH) bad("epoch in version is too big");
    rest = s.slice(colon + 1);
    if (rest === "") bad("nothing after colon in version number");
  }
  const dash = rest.lastIndexOf("-");
  const upstream = dash >= 0 ? rest.slice(0, dash) : rest;
  const revision = dash >= 0 ? rest.slice(dash + 1) : "";
  if (dash >= 0 && revision === "") bad("revision number is empty");
  if (upstream === "") bad("version number is empty");
  if (!isDigit(upstream.charCodeAt(0))) bad("version number does not start with digit");
  if (!/^[A-Za-z0-9.+~:-]*$/.test(upstream)) bad("invalid character in version number");
  if (!/^[A-Za-z0-9.+~]*$/.test(revision)) bad("invalid character in revision number");
  return { epoch, upstream, revision };
}

// dpkg's sort weight of a non-digit character: '~' before the end, the end before letters,
// letters before every other character.
function order(s: string, i: number): number {
  if (i >= s.length) return 0;
  const c = s.charCodeAt(i);
  if (isDigit(c)) return 0;
  if (isAlpha(c)) return c;
  if (c === 126) return -1;
  return c + 256;
}

/** dpkg's verrevcmp: alternating non-digit and digit runs, `~` sorting before everything. */
export function verrevcmp(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while ((i < a.length && !isDigit(a.charCodeAt(i))) || (j < b.length && !isDigit(b.charCodeAt(j)))) {
      const ac = order(a, i);
      const bc = order(b, j);
      if (ac !== bc) return ac < bc ? -1 : 1;
      i++;
      j++;
    }
    let di = i;
    while (di < a.length && isDigit(a.charCodeAt(di))) di++;
    let dj = j;
    while (dj < b.length && isDigit(b.charCodeAt(dj))) dj++;
    const c = compareDigits(a.slice(i, di), b.slice(j, dj));
    if (c !== 0) return c;
    i = di;
    j = dj;
  }
  return 0;
}

function compare(a: DpkgVersion, b: DpkgVersion): number {
  if (a.epoch !== b.epoch) return a.epoch < b.epoch ? -1 : 1;
  return verrevcmp(a.upstream, b.upstream) || verrevcmp(a.revision, b.revision);
}

/** dpkg versions (Debian, Ubuntu). */
export const dpkgScheme: VersionScheme<DpkgVersion> = { name: NAME, parse, compare };
