// Report timestamps turned into the UTC forms SBOM formats require.

/**
 * `createdAt` as `YYYY-MM-DDThh:mm:ssZ` (UTC, whole seconds), the form SPDX 2.3 requires and
 * CycloneDX's `date-time` accepts. An unparsable value gives the current time, since both
 * formats reject a document without a valid creation time.
 */
export function utcSeconds(createdAt: string): string {
  const ms = Date.parse(createdAt);
  const parsed = Number.isFinite(ms) ? new Date(ms).toISOString() : "";
  // Years beyond 9999 print as `+010000-…`, which neither format allows.
  const iso = /^\d{4}-/.test(parsed) ? parsed : new Date().toISOString();
  return iso.replace(/\.\d{3}Z$/, "Z");
}
