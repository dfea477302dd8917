// Text layout for terminal tables: stripping control characters, display widths of wide and
// combining characters, truncation with an ellipsis, and columns that fit a width.

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

export function pad(text: string, width: number): string {
  const cut = truncate(text, width);
  return cut + " ".repeat(Math.max(0, width - displayWidth(cut)));
}

/** Lays out rows in columns; the last column takes what the others leave, all cut to fit `width`. */
export function columns(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  width: number,
): string[] {
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

/** The escape codes the tables use. */
export const ANSI = {
  bold: "\u001b[1m",
  dim: "\u001b[2m",
  red: "\u001b[31m",
  yellow: "\u001b[33m",
  cyan: "\u001b[36m",
  reset: "\u001b[0m",
} as const;
