// Where scan's reports go: `-f FORMAT` and repeatable `-o FORMAT=FILE` / `-o FORMAT` (stdout), as
// Syft does. Free of heavy imports so outputs are checked before the image is opened.
import { statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { UsageError } from "./usage-error.js";

/** The report formats; `json` is the ScanReport itself. */
export const SCAN_FORMATS = ["table", "json", "cyclonedx", "spdx", "sarif"] as const;
export type ScanFormat = (typeof SCAN_FORMATS)[number];

/** Other names accepted for a format (the names Syft and Trivy use). */
const ALIASES: Readonly<Record<string, ScanFormat>> = {
  "cyclonedx-json": "cyclonedx",
  "spdx-json": "spdx",
  "sarif-json": "sarif",
};

/** The canonical format for NAME, or undefined when NAME is no format. */
export function formatNamed(name: string): ScanFormat | undefined {
  const n = name.toLowerCase();
  return (SCAN_FORMATS as readonly string[]).includes(n) ? (n as ScanFormat) : ALIASES[n];
}

/** Parses `-f`/`--format`; a usage error names the formats. */
export function parseFormat(text: string): ScanFormat {
  const f = formatNamed(text);
  if (f === undefined) {
    throw new UsageError(
      `--format must be one of ${[...SCAN_FORMATS, ...Object.keys(ALIASES)].join(", ")}, not '${text}'`,
    );
  }
  return f;
}

/** One report to write: to `file`, or to stdout when absent. */
export interface ScanOutput {
  readonly format: ScanFormat;
  readonly file?: string;
}

/**
 * The outputs of one scan. Each `-o` value is `FORMAT=FILE`, `FORMAT` (to stdout) or, as before
 * `-o` took formats, a bare FILE written in the `-f` format. No `-o`: the `-f` format to stdout.
 * The default format is `table`, or `json` with `--json`. At most one output may go to stdout.
 */
export function scanOutputs(
  outputs: readonly string[] | undefined,
  format: string | undefined,
  json: boolean,
): ScanOutput[] {
  const base = format === undefined ? (json ? "json" : "table") : parseFormat(format);
  if (outputs === undefined || outputs.length === 0) return [{ format: base }];
  const list = outputs.map((value): ScanOutput => {
    const eq = value.indexOf("=");
    const named = eq > 0 ? formatNamed(value.slice(0, eq)) : undefined;
    if (named !== undefined) {
      const file = value.slice(eq + 1);
      if (file === "") throw new UsageError(`-o ${value}: FILE is empty`);
      return { format: named, file };
    }
    const alone = formatNamed(value);
    return alone !== undefined ? { format: alone } : { format: base, file: value };
  });
  if (list.filter((o) => o.file === undefined).length > 1)
    throw new UsageError("only one -o may write to stdout; give the others a FILE (-o FORMAT=FILE)");
  const files = list.flatMap((o) => (o.file === undefined ? [] : [o.file]));
  if (new Set(files).size !== files.length) throw new UsageError("two -o outputs name the same FILE");
  // A report that cannot be written would be found only after the whole scan: check the directory now.
  for (const file of files) {
    const parent = dirname(resolve(file));
    if (statSync(parent, { throwIfNoEntry: false })?.isDirectory() !== true)
      throw new UsageError(`-o ${file}: directory ${parent} does not exist`);
  }
  return list;
}
