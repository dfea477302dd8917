// A parser for the apk-tools installed database, `/lib/apk/db/installed`: one `X:value` line per
// field, packages separated by blank lines. Field letters: https://wiki.alpinelinux.org/wiki/Apk_spec

/** The fields of one installed package that the analyzer uses. */
export interface ApkRecord {
  /** `P:` */
  readonly name: string;
  /** `V:` */
  readonly version: string;
  /** `A:` */
  readonly arch?: string;
  /** `L:` the licence, often an SPDX expression. */
  readonly license?: string;
  /** `o:` the origin (source) package. */
  readonly origin?: string;
  /** 1-based line where the record starts. */
  readonly line: number;
}

/** Called for a line that is not `X:value`, or a record without `P:` or `V:`. */
export type BadRecord = (lineNumber: number, reason: string) => void;

const KEEP: Readonly<Record<string, "name" | "version" | "arch" | "license" | "origin">> = {
  P: "name",
  V: "version",
  A: "arch",
  L: "license",
  o: "origin",
};

/**
 * Parses the database. Records lacking `P:` or `V:` are reported and dropped; unknown field letters
 * (`F:`, `R:`, `Z:`, file lists) are skipped. A repeated letter within a record keeps its first value
 * (apk writes each once; file lines repeat `F:`/`R:`, which are not kept).
 */
export function parseApkInstalled(text: string, onBad?: BadRecord): ApkRecord[] {
  const out: ApkRecord[] = [];
  let fields: Partial<Record<"name" | "version" | "arch" | "license" | "origin", string>> = {};
  let start = 0;
  let empty = true;
  const flush = () => {
    if (!empty) {
      const { name, version, arch, license, origin } = fields;
      if (!name || !version) onBad?.(start, "package without P: or V:");
      else
        out.push({
          name,
          version,
          line: start,
          ...(arch ? { arch } : {}),
          ...(license ? { license } : {}),
          ...(origin ? { origin } : {}),
        });
    }
    fields = {};
    empty = true;
  };
  for (const [i, raw] of text.split("\n").entries()) {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line.trim() === "") {
      flush();
      continue;
    }
    if (empty) start = i + 1;
    empty = false;
    if (line[1] !== ":") {
      onBad?.(i + 1, "not an X:value line");
      continue;
    }
    const key = KEEP[line[0] as string];
    if (key !== undefined && fields[key] === undefined) fields[key] = line.slice(2).trim();
  }
  flush();
  return out;
}
