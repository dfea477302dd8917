// Turns any error into what the user sees: one stable code (listed in docs/errors.md), a message,
// and the exit code (1 failure, 2 usage); as JSON on stderr whenever JSON output was asked for.
import type { Io } from "./output.js";
import { UsageError } from "./usage-error.js";

/**
 * rafscan's own codes are upper snake case (`RAFS_CORRUPT`, `TIMEOUT`), each with a row in
 * docs/errors.md; node system errors (errno names: ENOENT, EEXIST, ECONNREFUSED, ...) match too.
 */
const DOCUMENTED_CODE = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$/;
/** Upper-snake codes that are not ours: node internals, undici, aborts, zlib. */
const FOREIGN_CODE = /^(?:ERR_|UND_ERR|ABORT_ERR$|Z_)/;

/** What an error is shown as. */
export interface ErrorView {
  readonly code: string;
  readonly message: string;
  readonly usage: boolean;
}

/** The code, message and kind of `err`. Errors with no documented code are `INTERNAL`. */
export function viewError(err: unknown): ErrorView {
  const raw = (err as { code?: unknown } | null)?.code;
  let message = err instanceof Error ? err.message : String(err);
  if (err instanceof UsageError) return { code: err.code, message, usage: true };
  const code =
    typeof raw === "string" && DOCUMENTED_CODE.test(raw) && !FOREIGN_CODE.test(raw) ? raw : "INTERNAL";
  // An unknown code is kept in the message so it is not lost: "INTERNAL: ERR_X: ...".
  if (code === "INTERNAL" && typeof raw === "string" && !message.startsWith(raw))
    message = `${raw}: ${message}`;
  return { code, message, usage: false };
}

/** Prints `err` on stderr and returns the exit code. */
export function reportError(err: unknown, json: boolean, io: Io, command?: string): number {
  const { code, message, usage } = viewError(err);
  if (json) io.stderr.write(`${JSON.stringify({ error: { code, message } })}\n`);
  else {
    // Node's messages start with their code ("ENOENT: no such file ..."), as do some of ours: once is enough.
    const text = message.startsWith(`${code}: `) ? message.slice(code.length + 2) : message;
    const hint = usage ? `\n(see rafscan ${command === undefined ? "" : `${command} `}--help)` : "";
    io.stderr.write(`rafscan: ${code}: ${text}${hint}\n`);
  }
  if (io.debug === true && err instanceof Error && err.stack !== undefined && !usage)
    io.stderr.write(`${err.stack}\n`);
  return usage ? 2 : 1;
}
