// What every rpm database reader yields: the header blobs it found, and how it reports a bad one.

/** One package record of an rpm database. */
export interface RpmDbRecord {
  /** The record's key: sqlite `hnum`, ndb package index, Berkeley DB key (header instance). */
  readonly key: number;
  /** The header blob (see header.ts). */
  readonly blob: Uint8Array;
}

/** Reports a bad record or page; the reader goes on with the next one. */
export type RecordWarn = (message: string) => void;
