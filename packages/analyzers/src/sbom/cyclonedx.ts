// A scan report as a CycloneDX 1.6 JSON BOM (https://cyclonedx.org/docs/1.6/json/): the image as
// the metadata component, the OS and every package as components, the image depending on them.
import { randomUUID } from "node:crypto";
import type { OsInfo } from "../findings.js";
import type { ScannedImage, ScanReport } from "../report.js";
import { collectComponents, componentRef, type SbomComponent } from "./components.js";
import { type CdxVulnerability, cdxVulnerabilities } from "./cyclonedx-vulns.js";
import { parseDigest } from "./digest.js";
import { utcSeconds } from "./timestamp.js";
import { UniqueNames } from "./unique-names.js";

/** Options of `toCycloneDx`. */
export interface CycloneDxOptions {
  /**
   * The BOM's serial number, `urn:uuid:<uuid>` or a bare UUID (lower-cased). Default: a random
   * UUID, so two BOMs of the same image differ only here and in nothing else.
   */
  readonly serialNumber?: string;
  /** rafscan's version, written on the tool component. Default: none (the field is left out). */
  readonly toolVersion?: string;
}

/** A CycloneDX name-value pair. */
export interface CdxProperty {
  readonly name: string;
  readonly value: string;
}

/** One entry of a CycloneDX `licenses` array. */
export type CdxLicenseEntry =
  | { readonly license: { readonly id: string } | { readonly name: string } }
  | { readonly expression: string };

/** A CycloneDX component, with the fields this writer fills. */
export interface CdxComponent {
  readonly type: "application" | "container" | "library" | "operating-system";
  readonly "bom-ref"?: string;
  readonly name: string;
  readonly version?: string;
  readonly description?: string;
  readonly hashes?: readonly { readonly alg: string; readonly content: string }[];
  readonly licenses?: readonly CdxLicenseEntry[];
  readonly purl?: string;
  readonly properties?: readonly CdxProperty[];
}

/** The BOM `toCycloneDx` returns, ready for `JSON.stringify`. */
export interface CycloneDxBom {
  readonly bomFormat: "CycloneDX";
  readonly specVersion: "1.6";
  readonly serialNumber: string;
  readonly version: 1;
  readonly metadata: {
    readonly timestamp: string;
    readonly tools: { readonly components: readonly CdxComponent[] };
    readonly component: CdxComponent;
    /** `rafscan:vulnerabilities:*`: the database used, or why matching did not run. */
    readonly properties?: readonly CdxProperty[];
  };
  readonly components: readonly CdxComponent[];
  readonly dependencies: readonly { readonly ref: string; readonly dependsOn: readonly string[] }[];
  /** Present when the report has vulnerability findings or VEX-suppressed ones. */
  readonly vulnerabilities?: readonly CdxVulnerability[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function serialNumber(given: string | undefined): string {
  if (given === undefined) return `urn:uuid:${randomUUID()}`;
  const uuid = given.toLowerCase().replace(/^urn:uuid:/, "");
  if (!UUID.test(uuid)) throw new TypeError(`serialNumber must be a UUID or urn:uuid:<uuid>, got '${given}'`);
  return `urn:uuid:${uuid}`;
}

function imageComponent(image: ScannedImage, ref: string): CdxComponent {
  const digest = parseDigest(image.digest);
  const hash =
    digest !== undefined ? { alg: `SHA-${digest.algorithm.slice(3)}`, content: digest.hex } : undefined;
  return {
    type: "container",
    "bom-ref": ref,
    name: image.name,
    ...(image.digest !== undefined ? { version: image.digest } : {}),
    ...(hash !== undefined ? { hashes: [hash] } : {}),
    properties: [{ name: "rafscan:format", value: image.format }],
  };
}

function osComponent(os: OsInfo, ref: string): CdxComponent {
  const description = os.prettyName ?? os.name;
  return {
    type: "operating-system",
    "bom-ref": ref,
    name: os.family,
    ...(os.version !== "" ? { version: os.version } : {}),
    ...(description !== undefined ? { description } : {}),
    properties: [{ name: "rafscan:source", value: os.source }],
  };
}

/**
 * CycloneDX 1.6 allows either licences (ids and names) or exactly one expression. Ids and
 * expressions together become one expression joined with AND (metadata listing several licences
 * means all of them apply); when free text is among them, expressions are kept as names instead,
 * so no text is lost.
 */
export function cdxLicenses(component: SbomComponent): CdxLicenseEntry[] {
  const list = component.licenses;
  const hasExpression = list.some((l) => l.kind === "expression");
  const hasName = list.some((l) => l.kind === "name");
  if (hasExpression && !hasName) {
    const parts = list.map((l) => {
      const text = l.kind === "id" ? l.id : l.kind === "expression" ? l.expression : l.name;
      return list.length > 1 && /\s/.test(text) ? `(${text})` : text;
    });
    return [{ expression: parts.join(" AND ") }];
  }
  return list.map((l) =>
    l.kind === "id"
      ? { license: { id: l.id } }
      : { license: { name: l.kind === "expression" ? l.expression : l.name } },
  );
}

function packageComponent(component: SbomComponent, ref: string): CdxComponent {
  const licenses = cdxLicenses(component);
  const properties: CdxProperty[] = [
    ...component.sources.map((value) => ({ name: "rafscan:source", value })),
    ...component.foundBy.map((value) => ({ name: "rafscan:analyzer", value })),
  ];
  if (component.sourceName !== undefined) {
    const version = component.sourceVersion !== undefined ? `@${component.sourceVersion}` : "";
    properties.push({ name: "rafscan:sourcePackage", value: `${component.sourceName}${version}` });
  }
  if (component.relationship !== undefined)
    properties.push({ name: "rafscan:relationship", value: component.relationship });
  if (component.installedBy !== undefined) {
    const o = component.installedBy;
    properties.push({ name: "rafscan:installedBy", value: o.purl ?? `${o.manager}:${o.name}` });
  }
  return {
    type: "library",
    "bom-ref": ref,
    name: component.name,
    ...(component.version !== "" ? { version: component.version } : {}),
    ...(licenses.length > 0 ? { licenses } : {}),
    ...(component.purl !== undefined ? { purl: component.purl } : {}),
    ...(properties.length > 0 ? { properties } : {}),
  };
}

/** What a reader of the BOM must know about its vulnerabilities: the database, or that none ran. */
function vulnerabilityProperties(report: ScanReport): CdxProperty[] {
  const vulns = report.vulnerabilities;
  if (vulns === undefined) return [];
  if (vulns.error !== undefined) {
    // An absent `vulnerabilities` array must not read as "none found".
    return [{ name: "rafscan:vulnerabilities:error", value: `${vulns.error.code}: ${vulns.error.message}` }];
  }
  const props: CdxProperty[] = [];
  if (vulns.database !== undefined) {
    props.push({ name: "rafscan:vulnerabilities:databaseBuiltAt", value: vulns.database.builtAt });
    if (vulns.database.sample) props.push({ name: "rafscan:vulnerabilities:database", value: "sample data" });
  }
  return props;
}

/**
 * The report as a CycloneDX 1.6 BOM. Packages with the same purl are one component (bom-ref =
 * purl), listed in purl order; licences are ids, one expression, or names (see `cdxLicenses`);
 * each component carries `rafscan:source` and `rafscan:analyzer` properties. When the report has
 * vulnerabilities, `vulnerabilities` lists them (see `cdxVulnerabilities`) and metadata properties
 * name the database (`sample data` for the sample one) or why matching did not run. Apart from
 * `serialNumber`, the same report always gives the same BOM.
 */
export function toCycloneDx(report: ScanReport, options: CycloneDxOptions = {}): CycloneDxBom {
  const names = new UniqueNames("#");
  const imageRef = names.take(report.image.digest ?? `rafscan:image/${report.image.name}`);
  const osRef =
    report.os !== undefined ? names.take(`rafscan:os/${report.os.family}@${report.os.version}`) : undefined;
  const components: CdxComponent[] = [];
  const refs: string[] = [];
  const bomRefs = new Map<string, string>();
  if (report.os !== undefined && osRef !== undefined) {
    components.push(osComponent(report.os, osRef));
    refs.push(osRef);
  }
  const collected = collectComponents(report.packages);
  const refOf = new Map<string, string>();
  for (const component of collected) {
    const ref = names.take(component.ref);
    bomRefs.set(component.ref, ref);
    components.push(packageComponent(component, ref));
    refs.push(ref);
    refOf.set(component.ref, ref);
  }
  // An OS package depends on the language packages it installed (python3-six -> six): the SBOM
  // says which Python distribution came with which Debian package.
  const installs = new Map<string, string[]>();
  for (const component of collected) {
    const owner = component.installedBy?.purl;
    const ownerRef = owner === undefined ? undefined : refOf.get(owner);
    const ref = refOf.get(component.ref);
    if (ownerRef === undefined || ref === undefined) continue;
    const list = installs.get(ownerRef) ?? [];
    list.push(ref);
    installs.set(ownerRef, list);
  }
  const tool: CdxComponent = {
    type: "application",
    name: "rafscan",
    ...(options.toolVersion !== undefined ? { version: options.toolVersion } : {}),
  };
  const vulnerabilities = cdxVulnerabilities(
    report,
    (i) => {
      const pkg = report.packages[i];
      return pkg !== undefined ? bomRefs.get(componentRef(pkg)) : undefined;
    },
    (wanted) => names.take(wanted),
  );
  const properties = vulnerabilityProperties(report);
  return {
    bomFormat: "CycloneDX",
    specVersion: "1.6",
    serialNumber: serialNumber(options.serialNumber),
    version: 1,
    metadata: {
      timestamp: utcSeconds(report.createdAt),
      tools: { components: [tool] },
      component: imageComponent(report.image, imageRef),
      ...(properties.length > 0 ? { properties } : {}),
    },
    components,
    dependencies: [
      { ref: imageRef, dependsOn: refs },
      ...[...installs]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([ref, dependsOn]) => ({ ref, dependsOn })),
    ],
    ...(vulnerabilities.length > 0 ? { vulnerabilities } : {}),
  };
}
