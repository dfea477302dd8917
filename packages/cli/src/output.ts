// Where commands write: stdout/stderr streams passed in, so tests and embedders can capture them.

/** The streams a command writes to. */
export interface Io {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  /** `-q`: no notes or progress on stderr (errors and `--stats` still print). Default false. */
  readonly quiet?: boolean | undefined;
  /** `--debug`: stack traces and option sources on stderr. Default false. */
  readonly debug?: boolean | undefined;
  /** Colour allowed (`--no-color` and `NO_COLOR` turn it off). Default true; a terminal is still needed. */
  readonly color?: boolean | undefined;
}

/** Writes a note (not the command's output) to stderr, unless `--quiet`. */
export function note(io: Io, text: string): void {
  if (io.quiet !== true) io.stderr.write(`${text}\n`);
}

/** Whether to colour what goes to `stream`: a terminal, and colour not turned off. */
export function useColor(io: Io, stream: NodeJS.WritableStream): boolean {
  return io.color !== false && (stream as NodeJS.WriteStream).isTTY === true;
}

/** Writes one JSON value per line. */
export function writeJsonLine(io: Io, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value)}\n`);
}

/** Writes a progress line to stderr only when it is a terminal (never pollutes pipes or logs). */
export function progress(io: Io, text: string): void {
  const err = io.stderr as NodeJS.WriteStream;
  if (err.isTTY && io.quiet !== true) err.write(`\r\x1b[K${text}`);
}

/** Ends a progress line. */
export function progressDone(io: Io): void {
  const err = io.stderr as NodeJS.WriteStream;
  if (err.isTTY && io.quiet !== true) err.write("\r\x1b[K");
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
