// The packages found in one file: built with their purl, collapsed when the file names a package
// twice, and capped so a hostile file cannot grow the report without bound.
import type { Ecosystem, Package } from "../findings.js";
import { purl } from "../purl.js";
import { LANG_LIMITS } from "./limits.js";
import { cleanString } from "./values.js";

/** What a parser knows about one package. */
export interface FoundPackage {
  /** The name as the ecosystem writes it (`@babel/core`, `symfony/console`, `Django`). */
  readonly name: unknown;
  readonly version: unknown;
  /** purl namespace (`@babel`, `symfony`); default none. */
  readonly namespace?: string;
  /** purl name when it differs from `name` (the part after the namespace); default `name`. */
  readonly purlName?: string;
  /** Default none. */
  readonly licenses?: readonly string[];
  /** `root` for the project itself, `workspace` for a member of it; default none (a dependency). */
  readonly relationship?: "root" | "workspace";
}

/** Collects one file's packages, keyed by purl so the same package named twice is kept once. */
export class PackageList {
  readonly #byPurl = new Map<string, Package>();
  readonly #source: string;
  readonly #ecosystem: Ecosystem;
  #dropped = 0;
  #invalid = 0;

  /** `source` is the file the packages come from. */
  constructor(ecosystem: Ecosystem, source: string) {
    this.#ecosystem = ecosystem;
    this.#source = source;
  }

  /**
   * Adds a package. Returns `false` (and counts it) when its name or version is missing, of the
   * wrong type or implausible, or when the file already gave `maxPackagesPerFile` packages.
   */
  add(found: FoundPackage): boolean {
    const name = cleanString(found.name, LANG_LIMITS.maxNameLength);
    // The project itself may have no version (a private package.json): it is still reported, with
    // version "" and a purl without one, so that SBOMs name it; matching skips it.
    const version =
      cleanString(found.version, LANG_LIMITS.maxVersionLength) ??
      (found.relationship !== undefined && found.version === undefined ? "" : undefined);
    if (name === undefined || version === undefined) {
      this.#invalid++;
      return false;
    }
    if (this.#byPurl.size >= LANG_LIMITS.maxPackagesPerFile) {
      this.#dropped++;
      return false;
    }
    let id: string;
    try {
      id = purl(
        this.#ecosystem,
        found.namespace,
        found.purlName ?? name,
        version === "" ? undefined : version,
      );
    } catch {
      // packageurl-js refuses some names (empty after normalising): not a package we can name.
      this.#invalid++;
      return false;
    }
    const seen = this.#byPurl.get(id);
    if (seen !== undefined) {
      // The project itself may also be named as someone's dependency: it stays the project.
      if (found.relationship !== undefined && seen.relationship === undefined)
        this.#byPurl.set(id, { ...seen, relationship: found.relationship });
      return true;
    }
    const pkg: Package = {
      name,
      version,
      ecosystem: this.#ecosystem,
      purl: id,
      source: this.#source,
      ...(found.licenses !== undefined && found.licenses.length > 0 ? { licenses: [...found.licenses] } : {}),
      ...(found.relationship !== undefined ? { relationship: found.relationship } : {}),
    };
    this.#byPurl.set(id, pkg);
    return true;
  }

  /** Entries refused because a name or version was missing or unusable. */
  get invalid(): number {
    return this.#invalid;
  }

  /** Entries dropped because of `maxPackagesPerFile`. */
  get dropped(): number {
    return this.#dropped;
  }

  /** The packages, in the order first seen. */
  packages(): Package[] {
    return [...this.#byPurl.values()];
  }
}
