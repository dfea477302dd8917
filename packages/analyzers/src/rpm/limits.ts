// Named limits for the rpm analyzer: every count, size and offset read from an rpm database is
// checked against one of these (or against the file's own size) before it is used.

/** One MiB, for sizes below. */
const MiB = 1024 * 1024;

/** Limits of the rpm database readers and the rpm header decoder. */
export const RPM_LIMITS = {
  /**
   * Index entries in one header blob: rpm's own `hdrchkTags` bound (`HEADER_TAGS_MAX`,
   * lib/header_internal.h).
   */
  maxIndexEntries: 0x0000ffff,
  /** Data bytes in one header blob: rpm's `hdrchkData` bound (`HEADER_DATA_MAX`, 256 MiB - 1). */
  maxDataLength: 0x0fffffff,
  /**
   * Longest string kept from a header. A longer NAME, VERSION, RELEASE or ARCH rejects the
   * package; a longer LICENSE, VENDOR or SOURCERPM is dropped.
   */
  maxFieldLength: 4096,
  /** Header blobs taken from one database; the rest are dropped with a warning. */
  maxPackages: 200_000,
  /**
   * Slot pages in an ndb `Packages.db` (4 KiB each, 256 slots a page). rpm has no bound; this is
   * go-rpmdb's, far above any real database (2048 pages = 524,288 packages).
   */
  maxNdbSlotPages: 2048,
  /**
   * Largest database file read. rpm databases of container images are a few MiB to ~100 MiB
   * (a full CentOS 7 `Packages`); sql.js copies the whole file into wasm memory.
   */
  maxFileSize: 256 * MiB,
  /**
   * Language package paths the `owners` hook looks up in the file lists; past it the rest stay
   * unlinked, with a warning.
   */
  maxOwnerPaths: 100_000,
  /**
   * File list entries the `owners` hook examines over the whole database (a large RHEL image has
   * a few hundred thousand); past it the rest of the database is not searched, with a warning.
   */
  maxOwnerFileEntries: 10_000_000,
} as const;
