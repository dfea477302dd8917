// Typed errors of the registry client. Every error has a stable `code`; HTTP failures also carry the
// status, the registry's own error code (from its JSON error body) and the URL without credentials.

/** Stable error codes of `@rafscan/registry`. */
export const RegistryErrorCode = {
  /** An image reference that does not parse (bad host, repository, tag or digest). */
  INVALID_REFERENCE: "REGISTRY_INVALID_REFERENCE",
  /** 401: no credentials given where the registry needs them, or wrong ones. */
  UNAUTHORIZED: "REGISTRY_UNAUTHORIZED",
  /** 403: the credentials are valid but may not do this (push to a read-only repository, ...). */
  DENIED: "REGISTRY_DENIED",
  /** The registry asks for an authentication scheme this client does not speak (e.g. Bearer tokens). */
  UNSUPPORTED_AUTH: "REGISTRY_UNSUPPORTED_AUTH",
  /** Any other unexpected HTTP status; `status` and `registryCode` say which. */
  HTTP_STATUS: "REGISTRY_HTTP_STATUS",
  /** The registry broke the protocol: no Location, a bad or looping redirect, a digest it did not echo. */
  PROTOCOL: "REGISTRY_PROTOCOL",
  /** The connection failed (refused, reset, TLS, DNS), or a body stopped or was cut short. */
  NETWORK: "REGISTRY_NETWORK",
  /** A ranged answer that does not match the request (`Content-Range`, length, too many bytes). */
  RANGE: "REGISTRY_RANGE",
  /** The server ignores `Range` and the bytes wanted lie beyond the budget for reading through. */
  RANGE_IGNORED: "REGISTRY_RANGE_IGNORED",
  /** The image is not a Nydus image (and the caller did not allow the plain-image fallback). */
  NOT_NYDUS: "REGISTRY_NOT_NYDUS",
  /** A manifest, index, config or bootstrap layer that breaks the OCI or Nydus conventions. */
  BAD_IMAGE: "REGISTRY_BAD_IMAGE",
  /** An OCI image layout that is missing, malformed, or has no image under the tag asked for. */
  LAYOUT: "REGISTRY_LAYOUT",
  /** A blob of an OCI image layout whose size or digest is not its descriptor's. */
  BLOB_MISMATCH: "REGISTRY_BLOB_MISMATCH",
} as const;

export type RegistryErrorCode = (typeof RegistryErrorCode)[keyof typeof RegistryErrorCode];

/** Options of {@link RegistryError}. */
export interface RegistryErrorOptions {
  /** The HTTP status, when there was an answer. */
  readonly status?: number;
  /** The first `errors[].code` of the registry's JSON error body (`BLOB_UNKNOWN`, `DENIED`, ...). */
  readonly registryCode?: string;
  /** The request URL (never with credentials: the client sends those in headers only). */
  readonly url?: string;
  /** The `Retry-After` header of a 429 or 503 answer. */
  readonly retryAfter?: string;
  readonly cause?: unknown;
}

/** Every registry failure is a `RegistryError` with a stable `code`. */
export class RegistryError extends Error {
  override readonly name = "RegistryError";
  readonly code: RegistryErrorCode;
  readonly status: number | undefined;
  readonly registryCode: string | undefined;
  readonly url: string | undefined;
  readonly retryAfter: string | undefined;

  constructor(code: RegistryErrorCode, message: string, options: RegistryErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.code = code;
    this.status = options.status;
    this.registryCode = options.registryCode;
    this.url = options.url;
    this.retryAfter = options.retryAfter;
  }
}

/** True when `err` is a {@link RegistryError}, optionally with the given code. */
export function isRegistryError(err: unknown, code?: RegistryErrorCode): err is RegistryError {
  return err instanceof RegistryError && (code === undefined || err.code === code);
}
