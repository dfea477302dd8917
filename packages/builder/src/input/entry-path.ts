// Entry paths: normalizing names found in archives, checking paths handed to the layer tree, and
// ordering names by their UTF-8 bytes (the order RAFS and EROFS directories use).

/** Longest name component Linux accepts (NAME_MAX); EROFS and RAFS store no longer one. */
export const MAX_NAME_BYTES = 255;

/** Why a path was refused. */
export interface PathProblem {
  readonly problem: string;
}

const encoder = new TextEncoder();

/**
 * Normalizes an archive member name into a {@link SourceEntry} path: leading `/` and `./` and
 * trailing `/` are dropped (an absolute name is relative to the layer root, as tar extraction
 * treats it) and `.` components are skipped; `./`, `.` and `/` name the root (""). Refused: NUL
 * bytes, `..` components (a path could climb out of the layer), empty components (`a//b`) and
 * components over {@link MAX_NAME_BYTES} bytes.
 */
export function normalizeEntryPath(raw: string): string | PathProblem {
  if (raw.includes("\0")) return { problem: "name contains a NUL byte" };
  let start = 0;
  // "./" and "/" may repeat and mix: ".//./a" is "a".
  for (;;) {
    if (raw.startsWith("/", start)) start += 1;
    else if (raw.startsWith("./", start)) start += 2;
    else break;
  }
  let end = raw.length;
  while (end > start && raw.charCodeAt(end - 1) === 0x2f) end--;
  const body = raw.slice(start, end);
  if (body === "" || body === ".") return "";
  const out: string[] = [];
  for (const part of body.split("/")) {
    if (part === ".") continue;
    const problem = componentProblem(part);
    if (problem !== undefined) return { problem };
    out.push(part);
  }
  return out.join("/");
}

/**
 * Splits an already normalized path (as {@link SourceEntry.path} promises) into its components;
 * "" (the root) has none. Anything a normalizer would have changed or refused is a problem here.
 */
export function splitEntryPath(path: string): string[] | PathProblem {
  if (path === "") return [];
  if (path.includes("\0")) return { problem: "path contains a NUL byte" };
  const parts = path.split("/");
  for (const part of parts) {
    if (part === ".") return { problem: 'path has a "." component' };
    const problem = componentProblem(part);
    if (problem !== undefined) return { problem };
  }
  return parts;
}

function componentProblem(part: string): string | undefined {
  if (part === "") return "path has an empty component";
  if (part === "..") return 'path has a ".." component';
  // Only long names pay for the encoding: 255 UTF-16 units are at most 765 UTF-8 bytes.
  if (part.length > MAX_NAME_BYTES / 3 && encoder.encode(part).length > MAX_NAME_BYTES) {
    return `name component is longer than ${MAX_NAME_BYTES} bytes`;
  }
  return undefined;
}

/**
 * Compares two strings by their UTF-8 bytes without encoding them. UTF-8 byte order is code point
 * order, and UTF-16 unit order agrees with it except that surrogates (code points above U+FFFF)
 * must sort after U+E000..U+FFFF.
 */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs === ys) return x - y;
    return xs ? 1 : -1;
  }
  return a.length - b.length;
}
