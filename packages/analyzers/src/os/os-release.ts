// A parser for os-release(5) files (`/etc/os-release`, `/usr/lib/os-release`) and other files in
// the same shell-assignment syntax (`/etc/lsb-release`). The format is defined in os-release(5):
// https://www.freedesktop.org/software/systemd/man/latest/os-release.html

/** Called for a line that is not a valid `KEY=value` assignment. */
export type BadLine = (lineNumber: number, reason: string) => void;

/**
 * `KEY=value` assignments, one per line, as os-release(5) defines them: `#` starts a comment line,
 * values may be in double quotes (with `\"`, `\\`, `\$` and `` \` `` escapes) or single quotes
 * (no escapes); an unquoted value keeps inner spaces (lenient, like most readers). A later
 * assignment of the same key wins, as it would in a shell.
 */
export function parseOsRelease(text: string, onBadLine?: BadLine): Map<string, string> {
  const fields = new Map<string, string>();
  const lines = text.split("\n");
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    const key = eq > 0 ? line.slice(0, eq).trimEnd() : "";
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
      onBadLine?.(i + 1, "not a KEY=value assignment");
      continue;
    }
    const value = unquote(line.slice(eq + 1).trimStart());
    if (value === undefined) onBadLine?.(i + 1, "unterminated quote");
    else fields.set(key, value);
  }
  return fields;
}

/** A shell word's value: quoted and unquoted parts joined; undefined when a quote is not closed. */
function unquote(s: string): string | undefined {
  let out = "";
  let i = 0;
  while (i < s.length) {
    const c = s[i] as string;
    if (c === '"') {
      i++;
      while (i < s.length && s[i] !== '"') {
        const next = s[i + 1];
        if (s[i] === "\\" && next !== undefined && '"\\$`'.includes(next)) {
          out += next;
          i += 2;
        } else {
          out += s[i];
          i++;
        }
      }
      if (i >= s.length) return undefined;
      i++;
    } else if (c === "'") {
      const end = s.indexOf("'", i + 1);
      if (end < 0) return undefined;
      out += s.slice(i + 1, end);
      i = end + 1;
    } else if (c === "\\") {
      out += s[i + 1] ?? "";
      i += 2;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}
