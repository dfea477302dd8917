// The packages of a scan report merged by purl and sorted, as both SBOM writers list them: the same
// package met in two files (two `node_modules` copies, a wheel and its RECORD) is one component.
import type { Ecosystem, Package, PackageOwner } from "../findings.js";
import { classifyLicense, type LicenseClass } from "./licenses.js";

/** One package of the SBOM: every report package with the same purl, merged. */
export interface SbomComponent {
  /** The purl, or `rafscan:<ecosystem>/<name>@<version>` for a package without one. Unique. */
  readonly ref: string;
  /** The purl, when the package had one. */
  readonly purl: string | undefined;
  readonly name: string;
  readonly version: string;
  readonly ecosystem: Ecosystem;
  readonly arch: string | undefined;
  readonly sourceName: string | undefined;
  readonly sourceVersion: string | undefined;
  /** Files it was found in: sorted, unique, at most `MAX_SOURCES_PER_COMPONENT`. */
  readonly sources: readonly string[];
  /** Plugins that found it: sorted, unique. */
  readonly foundBy: readonly string[];
  /** Its licences, unique, in the order first met; at most `MAX_LICENSES_PER_COMPONENT`. */
  readonly licenses: readonly LicenseClass[];
  /** The OS package that installed it, when known (first met). */
  readonly installedBy: PackageOwner | undefined;
  /** `root` (the project itself) or `workspace`, when a report package said so. */
  readonly relationship: "root" | "workspace" | undefined;
}

/** Licences kept per component; metadata listing more is not describing one package. */
export const MAX_LICENSES_PER_COMPONENT = 32;
/** Source files kept per component (a package copied into thousands of directories stays readable). */
export const MAX_SOURCES_PER_COMPONENT = 64;

/** Code-unit order: the same in every locale, so documents are byte-identical across machines. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

interface Draft {
  readonly first: Package;
  readonly sources: Set<string>;
  readonly foundBy: Set<string>;
  readonly licenseTexts: Set<string>;
  readonly licenses: LicenseClass[];
  installedBy: PackageOwner | undefined;
  relationship: "root" | "workspace" | undefined;
}

function licenseText(license: LicenseClass): string {
  return license.kind === "id"
    ? license.id
    : license.kind === "expression"
      ? license.expression
      : license.name;
}

/** The ref `collectComponents` gives `pkg`'s component: its purl, or a rafscan: name without one. */
export function componentRef(pkg: Package): string {
  return pkg.purl !== "" ? pkg.purl : `rafscan:${pkg.ecosystem}/${pkg.name}@${pkg.version}`;
}

/** Merges `packages` by purl (first one wins for name, version and the rest) and sorts them by ref. */
export function collectComponents(packages: readonly Package[]): SbomComponent[] {
  const drafts = new Map<string, Draft>();
  for (const pkg of packages) {
    const ref = componentRef(pkg);
    let draft = drafts.get(ref);
    if (draft === undefined) {
      draft = {
        first: pkg,
        sources: new Set(),
        foundBy: new Set(),
        licenseTexts: new Set(),
        licenses: [],
        installedBy: undefined,
        relationship: undefined,
      };
      drafts.set(ref, draft);
    }
    draft.installedBy ??= pkg.installedBy;
    draft.relationship ??= pkg.relationship;
    if (pkg.source !== "" && draft.sources.size < MAX_SOURCES_PER_COMPONENT) draft.sources.add(pkg.source);
    if (pkg.foundBy !== undefined && pkg.foundBy !== "") draft.foundBy.add(pkg.foundBy);
    for (const text of pkg.licenses ?? []) {
      if (draft.licenses.length >= MAX_LICENSES_PER_COMPONENT) break;
      const license = classifyLicense(text);
      if (license === undefined) continue;
      // Dedupe on the normalised form so `mit` and `MIT` count once.
      const key = `${license.kind}:${licenseText(license)}`;
      if (draft.licenseTexts.has(key)) continue;
      draft.licenseTexts.add(key);
      draft.licenses.push(license);
    }
  }
  const components: SbomComponent[] = [];
  for (const [ref, draft] of drafts) {
    const p = draft.first;
    components.push({
      ref,
      purl: p.purl !== "" ? p.purl : undefined,
      name: p.name,
      version: p.version,
      ecosystem: p.ecosystem,
      arch: p.arch,
      sourceName: p.sourceName,
      sourceVersion: p.sourceVersion,
      sources: [...draft.sources].sort(compareStrings),
      foundBy: [...draft.foundBy].sort(compareStrings),
      licenses: draft.licenses,
      installedBy: draft.installedBy,
      relationship: draft.relationship,
    });
  }
  return components.sort((a, b) => compareStrings(a.ref, b.ref));
}
