// A scan report as text for a terminal: the OS, packages by ecosystem, secrets, warnings and
// what the scan fetched. Every string from the image is stripped of control characters first.
import type { ScanReport } from "../report.js";
import { collectComponents, compareStrings, type SbomComponent } from "./components.js";

/** Options of `formatTable`. */
export interface TableOptions {
  /** Wrap headings and severities in ANSI colour codes. Default: false (plain text). */
  readonly color?: boolean;
  /** Terminal columns; no line is wider. Default: 100; values below 40 count as 40. */
  readonly width?: number;
}

const DEFAULT_WIDTH = 100;
const MIN_WIDTH = 40;

const ANSI = {
  bold: "\u001b[1m",
  dim: "\u001b[2m",
  red: "\u001b[31m",
  yellow: "\u001b[33m",
  cyan: "\u001b[36m",
  reset: "\u001b[0m",
} as const;

/**
 * Package names, paths and matches come from the image: an escape sequence in one could rewrite
 * the user's terminal, and bidi overrides could reorder what they read. Both become `?`.
 */
export function printable(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, "?");
}

/** Columns a code point takes in a terminal: 0 for combining marks, 2 for wide East Asian and emoji. */
function cellWidth(cp: number): number {
  if ((cp >= 0x300 && cp <= 0x36f) || (cp >= 0x200b && cp <= 0x200d) || (cp >= 0xfe00 && cp <= 0xfe0f))
    return 0;
  if (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1faff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  ) {
    return 2;
  }
  return 1;
}

/** Terminal columns `text` takes (an approximation of wcwidth, enough for a table). */
export function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text) width += cellWidth(ch.codePointAt(0) ?? 0);
  return width;
}

/** `text` cut to at most `width` columns, ending in `…` when cut. */
export function truncate(text: string, width: number): string {
  if (displayWidth(text) <= width) return text;
  if (width <= 0) return "";
  let out = "";
  let used = 0;
  for (const ch of text) {
    const w = cellWidth(ch.codePointAt(0) ?? 0);
    if (used + w > width - 1) break;
    out += ch;
    used += w;
  }
  return `${out}…`;
}

function pad(text: string, width: number): string {
  const cut = truncate(text, width);
  return cut + " ".repeat(Math.max(0, width - displayWidth(cut)));
}

/** `1.5 MiB`: binary units, one decimal above bytes. */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** Lays out rows in columns; the last column takes what the others leave, all cut to fit `width`. */
function columns(header: readonly string[], rows: readonly (readonly string[])[], width: number): string[] {
  const count = header.length;
  const gap = 2;
  const indent = 2;
  const natural = header.map((h, i) =>
    Math.max(displayWidth(h), ...rows.map((r) => displayWidth(r[i] ?? ""))),
  );
  const available = Math.max(count, width - indent - gap * (count - 1));
  // Leading columns take at most a fair share (plus a little), and give way further until the
  // last column has room for a useful prefix of its text.
  const share = Math.floor(available / count) + 8;
  const widths = natural.slice(0, -1).map((w) => Math.min(w, share));
  const lastMin = Math.min(natural[count - 1] ?? 1, 12);
  let lead = widths.reduce((sum, w) => sum + w, 0);
  while (lead + lastMin > available) {
    const widest = widths.indexOf(Math.max(...widths));
    if ((widths[widest] ?? 1) <= 1) break;
    widths[widest] = (widths[widest] ?? 1) - 1;
    lead--;
  }
  widths.push(Math.max(1, available - lead));
  const line = (cells: readonly string[]) =>
    (
      " ".repeat(indent) +
      cells
        .map((cell, i) => (i === count - 1 ? truncate(cell, widths[i] ?? 1) : pad(cell, widths[i] ?? 1)))
        .join("  ")
    ).trimEnd();
  return [line(header), ...rows.map(line)];
}

function sourceCell(component: SbomComponent): string {
  const [first] = component.sources;
  if (first === undefined) return "";
  const more = component.sources.length - 1;
  return more > 0 ? `${first} (+${more})` : first;
}

/**
 * The report as a human-readable table: image and OS lines, packages grouped by ecosystem with
 * name, version and source columns, secrets, notes, the warning count and the telemetry line
 * (`fetched X of Y (Z%) in N requests, T ms`). Ends with a newline.
 */
export function formatTable(report: ScanReport, options: TableOptions = {}): string {
  const width = Math.max(MIN_WIDTH, Math.floor(options.width ?? DEFAULT_WIDTH));
  const color = options.color === true;
  const paint = (code: string, text: string) => (color ? `${code}${text}${ANSI.reset}` : text);
  const heading = (text: string) => paint(ANSI.bold, truncate(text, width));
  const out: string[] = [];

  const { image, os, telemetry } = report;
  const digest = image.digest !== undefined ? ` ${image.digest}` : "";
  out.push(heading(printable(`Image: ${image.name} (${image.format})${digest}`)));
  if (os !== undefined) {
    const label = os.prettyName ?? `${os.name ?? os.family} ${os.version}`;
    out.push(truncate(printable(`OS: ${label} (from ${os.source})`), width));
  } else {
    out.push("OS: not detected");
  }

  const components = collectComponents(report.packages);
  const byEcosystem = new Map<string, SbomComponent[]>();
  for (const c of components) {
    const group = byEcosystem.get(c.ecosystem) ?? [];
    group.push(c);
    byEcosystem.set(c.ecosystem, group);
  }
  const ecosystems = [...byEcosystem.keys()].sort(compareStrings);
  const summary = ecosystems.map((e) => `${e} ${byEcosystem.get(e)?.length ?? 0}`).join(", ");
  out.push("", heading(`Packages: ${components.length}${summary !== "" ? ` (${summary})` : ""}`));
  for (const ecosystem of ecosystems) {
    const group = (byEcosystem.get(ecosystem) ?? []).sort(
      (a, b) => compareStrings(a.name, b.name) || compareStrings(a.version, b.version),
    );
    out.push("", paint(ANSI.bold, `${ecosystem} (${group.length})`));
    const rows = group.map((c) => [printable(c.name), printable(c.version), printable(sourceCell(c))]);
    const [header, ...body] = columns(["NAME", "VERSION", "SOURCE"], rows, width);
    out.push(paint(ANSI.dim, header ?? ""), ...body);
  }

  out.push("", heading(`Secrets: ${report.secrets.length}`));
  if (report.secrets.length > 0) {
    const severityColor = {
      CRITICAL: ANSI.red + ANSI.bold,
      HIGH: ANSI.red,
      MEDIUM: ANSI.yellow,
      LOW: ANSI.cyan,
    };
    const rows = report.secrets.map((s) => [
      s.severity,
      printable(s.ruleId),
      printable(`${s.path}:${s.line}`),
      printable(s.match),
    ]);
    const [header, ...body] = columns(["SEVERITY", "RULE", "LOCATION", "MATCH"], rows, width);
    out.push(paint(ANSI.dim, header ?? ""));
    body.forEach((line, i) => {
      const severity = report.secrets[i]?.severity;
      // Colour only the severity word, after layout, so escape codes never count as columns.
      out.push(
        severity !== undefined && color
          ? line.replace(severity, paint(severityColor[severity], severity))
          : line,
      );
    });
  }

  if (report.notes.length > 0) out.push("");
  for (const note of report.notes) out.push(truncate(printable(`Note: ${note}`), width));
  for (const analyzer of report.analyzers) {
    if (analyzer.error !== undefined) {
      out.push(
        paint(ANSI.red, truncate(printable(`Analyzer ${analyzer.id} failed: ${analyzer.error}`), width)),
      );
    }
  }
  // Files not read are listed one by one: a count alone hides that a package database is missing.
  const incomplete = report.incomplete ?? [];
  if (incomplete.length > 0) {
    const title =
      report.complete === false
        ? `INCOMPLETE: ${incomplete.length} file${incomplete.length === 1 ? "" : "s"} not read (package databases among them)`
        : `Not read: ${incomplete.length} file${incomplete.length === 1 ? "" : "s"}`;
    out.push("", paint(report.complete === false ? ANSI.red + ANSI.bold : ANSI.yellow, title));
    const rows = incomplete.map((f) => [
      printable(f.plugin),
      printable(f.path),
      printable(`${f.reason}${f.required ? " (package database)" : ""}`),
    ]);
    const [header, ...body] = columns(["ANALYZER", "PATH", "REASON"], rows, width);
    out.push(paint(ANSI.dim, header ?? ""), ...body);
  }
  const warnings = report.warnings.length;
  out.push("", warnings > 0 ? paint(ANSI.yellow, `Warnings: ${warnings}`) : "Warnings: 0");
  for (const w of report.warnings) {
    const where = w.path === undefined ? "" : ` ${w.path}:`;
    out.push(truncate(printable(`  ${w.plugin}:${where} ${w.message}`), width));
  }
  for (const [codec, d] of Object.entries(telemetry.decoders ?? {})) {
    if (d.fallback) {
      out.push(
        truncate(
          printable(`Note: ${codec} decoded by ${d.implementation} (pure JS, slower): ${d.reason ?? ""}`),
          width,
        ),
      );
    }
  }

  const fetched = formatBytes(telemetry.bytesFetched);
  const of =
    telemetry.imageBytes !== undefined && telemetry.imageBytes > 0
      ? ` of ${formatBytes(telemetry.imageBytes)} (${((100 * telemetry.bytesFetched) / telemetry.imageBytes).toFixed(1)}%)`
      : " of an image of unknown size";
  const requests = `${telemetry.requests} request${telemetry.requests === 1 ? "" : "s"}`;
  out.push(truncate(`fetched ${fetched}${of} in ${requests}, ${Math.round(telemetry.durationMs)} ms`, width));
  return `${out.join("\n")}\n`;
}
