// A parser for deb822 control data: the paragraphs of `/var/lib/dpkg/status` and of each file in
// distroless `/var/lib/dpkg/status.d/`. Format: deb-control(5) and deb822(5) in dpkg's manual pages;
// https://www.debian.org/doc/debian-policy/ch-controlfields.html#syntax-of-control-files

/** One paragraph: field names lower-cased (deb822 names are case-insensitive). */
export interface Stanza {
  readonly fields: ReadonlyMap<string, string>;
  /** 1-based line where the paragraph starts. */
  readonly line: number;
}

/** Called for a line that is neither a field nor a continuation. */
export type BadLine = (lineNumber: number, reason: string) => void;

/**
 * Splits `text` into paragraphs separated by blank lines. A field is `Name: value`; a line starting
 * with a space or tab continues the previous field (joined with `\n`, leading blanks dropped).
 * Lines starting with `#` are comments. A field repeated within a paragraph keeps its first value.
 */
export function parseDeb822(text: string, onBadLine?: BadLine): Stanza[] {
  const stanzas: Stanza[] = [];
  let fields = new Map<string, string>();
  let start = 0;
  // The field continuation lines extend; null while skipping a repeated field's value.
  let current: string | null | undefined;
  const lines = text.split("\n");
  const flush = () => {
    if (fields.size > 0) stanzas.push({ fields, line: start });
    fields = new Map();
    current = undefined;
  };
  for (const [i, raw] of lines.entries()) {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line.trim() === "") {
      flush();
      continue;
    }
    if (line.startsWith("#")) continue;
    if (line.startsWith(" ") || line.startsWith("\t")) {
      if (current === undefined) onBadLine?.(i + 1, "continuation line outside a field");
      else if (current !== null) fields.set(current, `${fields.get(current) ?? ""}\n${line.trimStart()}`);
      continue;
    }
    const colon = line.indexOf(":");
    const name = colon > 0 ? line.slice(0, colon) : "";
    // deb822 field names: printable ASCII without spaces or colons, not starting with `#` or `-`.
    if (!/^[!-9;-~]+$/.test(name) || name.startsWith("-")) {
      onBadLine?.(i + 1, "not a field");
      current = undefined;
      continue;
    }
    if (fields.size === 0) start = i + 1;
    const key = name.toLowerCase();
    if (fields.has(key)) {
      current = null;
      continue;
    }
    fields.set(key, line.slice(colon + 1).trim());
    current = key;
  }
  flush();
  return stanzas;
}
