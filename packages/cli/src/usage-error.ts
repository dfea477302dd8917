// A mistake in how the command was called: printed with a usage hint, exit code 2.

/** Thrown for bad arguments, options, environment variables or config files. */
export class UsageError extends Error {
  override readonly name = "UsageError";
  /** The printed code: `USAGE` (default) or `CONFIG_INVALID`. */
  readonly code: string;
  constructor(message: string, code = "USAGE") {
    super(message);
    this.code = code;
  }
}
