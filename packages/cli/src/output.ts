// Where commands write: stdout/stderr streams passed in, so tests and embedders can capture them.

/** The streams a command writes to. */
export interface Io {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

/** Writes one JSON value per line. */
export function writeJsonLine(io: Io, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value)}\n`);
}

/** Writes a progress line to stderr only when it is a terminal (never pollutes pipes or logs). */
export function progress(io: Io, text: string): void {
  const err = io.stderr as NodeJS.WriteStream;
  if (err.isTTY) err.write(`\r\x1b[K${text}`);
}

/** Ends a progress line. */
export function progressDone(io: Io): void {
  const err = io.stderr as NodeJS.WriteStream;
  if (err.isTTY) err.write("\r\x1b[K");
}

/** Formats a byte count for people. */
export function humanBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(1)} ${units[i]}`;
}
