// The error a malformed ignore file or VEX document raises: a stable code, the file, and where in it.

/** Codes of `VulnFilterError`; each has a row in docs/errors.md. */
export type VulnFilterErrorCode = "VULN_IGNOREFILE" | "VULN_VEX";

/**
 * An ignore file or VEX document that cannot be used as a whole. Filters never apply half a
 * file: a rule that does not parse would silently un-suppress (or over-suppress) findings.
 */
export class VulnFilterError extends Error {
  override readonly name = "VulnFilterError";
  readonly code: VulnFilterErrorCode;
  /** The file, as the caller named it. */
  readonly source: string;
  /** Where in the file: `line 3`, `statements[2].products[0]`, `vulnerabilities[1].affects`. */
  readonly where: string | undefined;

  constructor(code: VulnFilterErrorCode, source: string, message: string, where?: string) {
    super(`${source}${where !== undefined ? ` (${where})` : ""}: ${message}`);
    this.code = code;
    this.source = source;
    this.where = where;
  }
}

/** True when `err` is a `VulnFilterError`, optionally of one code. */
export function isVulnFilterError(err: unknown, code?: VulnFilterErrorCode): err is VulnFilterError {
  return err instanceof VulnFilterError && (code === undefined || err.code === code);
}
