// Unique identifiers for SBOM entries (CycloneDX bom-refs, SPDXIDs, LicenseRefs) from wanted names.

/**
 * Hands out `wanted`, or `wanted<sep>2`, `<sep>3`, … when it is taken. Remembers the next suffix per
 * name, so thousands of names that sanitise alike cost linear time, not quadratic.
 */
export class UniqueNames {
  readonly #separator: string;
  readonly #taken = new Set<string>();
  readonly #next = new Map<string, number>();

  /** `reserved` names are never handed out. */
  constructor(separator: string, reserved: Iterable<string> = []) {
    this.#separator = separator;
    for (const name of reserved) this.#taken.add(name);
  }

  /** A name not handed out before: `wanted` itself when free. */
  take(wanted: string): string {
    let name = wanted;
    if (this.#taken.has(name)) {
      let n = this.#next.get(wanted) ?? 2;
      // Skips suffixed names that were also wanted verbatim; each is skipped once per base name.
      while (this.#taken.has(`${wanted}${this.#separator}${n}`)) n++;
      name = `${wanted}${this.#separator}${n}`;
      this.#next.set(wanted, n + 1);
    }
    this.#taken.add(name);
    return name;
  }
}
