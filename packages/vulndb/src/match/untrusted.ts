// Guards for record fields the matcher reads. Stores validate records at ingest, but a store is an
// interface anyone may implement: a malformed record must be skipped, never crash a scan.

/** `value` when it is an array, else an empty one. */
export function list<T>(value: readonly T[] | undefined | null): readonly T[] {
  return Array.isArray(value) ? value : [];
}

/** Whether `value` is a non-null object (an OSV event, an affected entry). */
export function isObject(value: unknown): boolean {
  return typeof value === "object" && value !== null;
}
