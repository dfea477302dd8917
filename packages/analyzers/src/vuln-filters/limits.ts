// Limits on the ignore files and VEX documents the filters read (listed in docs/limits.md).

/** Largest ignore file read (`.trivyignore`, `.trivyignore.yaml`): 4 MiB, far beyond any hand-kept list. */
export const MAX_IGNORE_FILE_BYTES = 4 * 1024 * 1024;

/** Largest VEX document read: 64 MiB (vendor CycloneDX VEX files list thousands of statements). */
export const MAX_VEX_FILE_BYTES = 64 * 1024 * 1024;
