// Path helpers for the analyzers' need predicates: image paths are absolute and `/`-separated.

/** The last path segment: `METADATA` for `/a/b.dist-info/METADATA`. */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** The segment before the last: `b.dist-info` for `/a/b.dist-info/METADATA`; `""` at the root. */
export function parentName(path: string): string {
  const end = path.lastIndexOf("/");
  if (end <= 0) return "";
  return path.slice(path.lastIndexOf("/", end - 1) + 1, end);
}
