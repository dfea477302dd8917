// rpm header tag numbers and data types used by the rpm analyzer, named as in rpm's
// include/rpm/rpmtag.h so a grep finds them in both.

/** Header tags (`rpmTag_e`). */
export const RPMTAG = {
  /** Region tags: the first index entry of a header points at the region trailer. */
  HEADERIMAGE: 61,
  HEADERSIGNATURES: 62,
  HEADERIMMUTABLE: 63,
  /** The locales of i18n strings (a string array; the first is `C`). */
  HEADERI18NTABLE: 100,
  NAME: 1000,
  VERSION: 1001,
  RELEASE: 1002,
  EPOCH: 1003,
  SUMMARY: 1004,
  VENDOR: 1011,
  LICENSE: 1014,
  ARCH: 1022,
  SOURCERPM: 1044,
  /**
   * The file list, compressed: file `i` is `DIRNAMES[DIRINDEXES[i]] + BASENAMES[i]` (int32 array,
   * string array, string array; every DIRNAMES entry ends in `/`).
   */
  DIRINDEXES: 1116,
  BASENAMES: 1117,
  DIRNAMES: 1118,
  /** `name:stream:version:context` of the module stream the package was built for (RHEL 8+). */
  MODULARITYLABEL: 5096,
} as const;

/** Tag data types (`rpmTagType_e`). */
export const RPM_TYPE = {
  NULL: 0,
  CHAR: 1,
  INT8: 2,
  INT16: 3,
  INT32: 4,
  INT64: 5,
  STRING: 6,
  BIN: 7,
  STRING_ARRAY: 8,
  I18NSTRING: 9,
} as const;

/** One of the {@link RPM_TYPE} values. */
export type RpmType = (typeof RPM_TYPE)[keyof typeof RPM_TYPE];

/** Highest valid type (`RPM_MAX_TYPE`). */
export const RPM_MAX_TYPE = RPM_TYPE.I18NSTRING;
