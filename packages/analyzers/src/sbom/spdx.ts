// A scan report as an SPDX 2.3 JSON document (https://spdx.github.io/spdx-spec/v2.3/): a root
// package for the image that CONTAINS the OS and every package found in it.
import { randomUUID } from "node:crypto";
import type { ScanReport } from "../report.js";
import { collectComponents, type SbomComponent } from "./components.js";
import { parseDigest } from "./digest.js";
import { normalizeExpression } from "./licenses.js";
import { utcSeconds } from "./timestamp.js";
import { UniqueNames } from "./unique-names.js";

/** Options of `toSpdx`. */
export interface SpdxOptions {
  /**
   * The document's namespace: an absolute http(s) URI without `#`, unique per document.
   * Default: `https://spdx.org/spdxdocs/rafscan-<image>-<random uuid>` (the pattern the SPDX
   * spec suggests for tools without a domain of their own).
   */
  readonly documentNamespace?: string;
  /** rafscan's version, written as `Tool: rafscan-<version>`. Default: `Tool: rafscan`. */
  readonly toolVersion?: string;
}

/** An SPDX package, with the fields this writer fills. */
export interface SpdxPackage {
  readonly SPDXID: string;
  readonly name: string;
  readonly versionInfo?: string;
  readonly primaryPackagePurpose?: "CONTAINER" | "OPERATING_SYSTEM";
  readonly description?: string;
  readonly downloadLocation: "NOASSERTION";
  readonly filesAnalyzed: false;
  readonly checksums?: readonly { readonly algorithm: string; readonly checksumValue: string }[];
  readonly sourceInfo?: string;
  readonly licenseConcluded: "NOASSERTION";
  readonly licenseDeclared: string;
  readonly copyrightText: "NOASSERTION";
  readonly externalRefs?: readonly {
    readonly referenceCategory: "PACKAGE-MANAGER";
    readonly referenceType: "purl";
    readonly referenceLocator: string;
  }[];
}

/** A free-text licence given a `LicenseRef-` id so that `licenseDeclared` can name it. */
export interface SpdxExtractedLicense {
  readonly licenseId: string;
  readonly extractedText: string;
  readonly name: string;
}

/** One SPDX relationship. */
export interface SpdxRelationship {
  readonly spdxElementId: string;
  readonly relationshipType: "DESCRIBES" | "CONTAINS";
  readonly relatedSpdxElement: string;
}

/** The document `toSpdx` returns, ready for `JSON.stringify`. */
export interface SpdxDocument {
  readonly spdxVersion: "SPDX-2.3";
  readonly dataLicense: "CC0-1.0";
  readonly SPDXID: "SPDXRef-DOCUMENT";
  readonly name: string;
  readonly documentNamespace: string;
  readonly creationInfo: { readonly created: string; readonly creators: readonly string[] };
  readonly documentDescribes: readonly string[];
  readonly packages: readonly SpdxPackage[];
  readonly hasExtractedLicensingInfos?: readonly SpdxExtractedLicense[];
  readonly relationships: readonly SpdxRelationship[];
}

/** The SPDXID of the image's root package. */
export const SPDX_IMAGE_ID = "SPDXRef-Image";
/** The SPDXID of the operating system's package. */
export const SPDX_OS_ID = "SPDXRef-OperatingSystem";

/** Longest piece of a name kept in an SPDXID or LicenseRef, so ids stay readable. */
const MAX_ID_PART = 64;

/** SPDX idstrings allow only letters, digits, `.` and `-` (spec 3.2): everything else becomes `-`. */
export function spdxIdPart(text: string): string {
  return text
    .replace(/[^A-Za-z0-9.-]+/g, "-")
    .replace(/-{2,}/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, MAX_ID_PART)
    .replace(/-+$/, "");
}

/**
 * A name's part of an SPDXID. A name with no ASCII letter or digit (`日本語`) would vanish, so it
 * is spelt as the hex of its UTF-8 bytes instead, which keeps ids of such packages apart.
 */
function nameIdPart(name: string): string {
  const part = spdxIdPart(name);
  if (part !== "" || name === "") return part;
  return Buffer.from(name, "utf8").toString("hex").slice(0, MAX_ID_PART).toUpperCase();
}

function documentNamespace(given: string | undefined, imageName: string): string {
  if (given === undefined) {
    const slug = spdxIdPart(imageName) || "image";
    return `https://spdx.org/spdxdocs/rafscan-${slug}-${randomUUID()}`;
  }
  let url: URL | undefined;
  try {
    url = new URL(given);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== "https:" && url.protocol !== "http:") || given.includes("#")) {
    throw new TypeError(`documentNamespace must be an http(s) URI without '#', got '${given}'`);
  }
  return given;
}

/** Hands out `LicenseRef-` ids for free-text licences, the same id for the same text. */
class LicenseRefs {
  readonly #byText = new Map<string, SpdxExtractedLicense>();
  readonly #ids = new UniqueNames("-");

  ref(text: string): string {
    let entry = this.#byText.get(text);
    if (entry === undefined) {
      // A bare `LicenseRef-x` from the metadata keeps its id; this document defines it.
      const wanted = /^LicenseRef-[A-Za-z0-9.-]+$/.test(text)
        ? text
        : `LicenseRef-${spdxIdPart(text) || "unnamed"}`;
      const licenseId = this.#ids.take(wanted);
      entry = { licenseId, extractedText: text, name: text };
      this.#byText.set(text, entry);
    }
    return entry.licenseId;
  }

  /** Every ref handed out, in id order. */
  list(): SpdxExtractedLicense[] {
    return [...this.#byText.values()].sort((a, b) =>
      a.licenseId < b.licenseId ? -1 : a.licenseId > b.licenseId ? 1 : 0,
    );
  }
}

/**
 * `licenseDeclared`: every licence of the package joined with AND. Free text, and expressions that
 * name LicenseRefs this document cannot define, become our own `LicenseRef-` (listed in
 * `hasExtractedLicensingInfos`, as Syft does). `NOASSERTION` when the package names none.
 */
function declaredLicense(component: SbomComponent, refs: LicenseRefs): string {
  const parts = component.licenses.map((l) => {
    if (l.kind === "id") return l.id;
    if (l.kind === "expression" && !l.hasRefs) return l.expression;
    return refs.ref(l.kind === "name" ? l.name : l.expression);
  });
  if (parts.length === 0) return "NOASSERTION";
  const joined = parts.map((p) => (parts.length > 1 && /\s/.test(p) ? `(${p})` : p)).join(" AND ");
  // Every part is valid on its own; checking the whole guards the joining.
  return normalizeExpression(joined) !== undefined ? joined : "NOASSERTION";
}

function sourceInfo(component: SbomComponent): string | undefined {
  if (component.sources.length === 0) return undefined;
  const by = component.foundBy.length > 0 ? ` (found by ${component.foundBy.join(", ")})` : "";
  return `acquired package info from ${component.sources.join(", ")}${by}`;
}

function packageOf(component: SbomComponent, id: string, refs: LicenseRefs): SpdxPackage {
  const info = sourceInfo(component);
  return {
    SPDXID: id,
    name: component.name,
    ...(component.version !== "" ? { versionInfo: component.version } : {}),
    downloadLocation: "NOASSERTION",
    filesAnalyzed: false,
    ...(info !== undefined ? { sourceInfo: info } : {}),
    licenseConcluded: "NOASSERTION",
    licenseDeclared: declaredLicense(component, refs),
    copyrightText: "NOASSERTION",
    ...(component.purl !== undefined
      ? {
          externalRefs: [
            { referenceCategory: "PACKAGE-MANAGER", referenceType: "purl", referenceLocator: component.purl },
          ],
        }
      : {}),
  };
}

const SPDX_CHECKSUM = { sha256: "SHA256", sha384: "SHA384", sha512: "SHA512" } as const;

/**
 * The report as an SPDX 2.3 document. Packages with the same purl are one package, listed in purl
 * order with ids `SPDXRef-Package-<ecosystem>-<name>-<version>` (sanitised, made unique). Apart
 * from `documentNamespace`, the same report always gives the same document.
 */
export function toSpdx(report: ScanReport, options: SpdxOptions = {}): SpdxDocument {
  const ids = new UniqueNames("-", ["SPDXRef-DOCUMENT", SPDX_IMAGE_ID, SPDX_OS_ID]);
  const refs = new LicenseRefs();
  const { image, os } = report;
  const digest = parseDigest(image.digest);
  const packages: SpdxPackage[] = [
    {
      SPDXID: SPDX_IMAGE_ID,
      name: image.name,
      ...(image.digest !== undefined ? { versionInfo: image.digest } : {}),
      primaryPackagePurpose: "CONTAINER",
      downloadLocation: "NOASSERTION",
      filesAnalyzed: false,
      ...(digest !== undefined
        ? { checksums: [{ algorithm: SPDX_CHECKSUM[digest.algorithm], checksumValue: digest.hex }] }
        : {}),
      licenseConcluded: "NOASSERTION",
      licenseDeclared: "NOASSERTION",
      copyrightText: "NOASSERTION",
    },
  ];
  const relationships: SpdxRelationship[] = [
    { spdxElementId: "SPDXRef-DOCUMENT", relationshipType: "DESCRIBES", relatedSpdxElement: SPDX_IMAGE_ID },
  ];
  if (os !== undefined) {
    const description = os.prettyName ?? os.name;
    packages.push({
      SPDXID: SPDX_OS_ID,
      name: os.family,
      ...(os.version !== "" ? { versionInfo: os.version } : {}),
      primaryPackagePurpose: "OPERATING_SYSTEM",
      ...(description !== undefined ? { description } : {}),
      downloadLocation: "NOASSERTION",
      filesAnalyzed: false,
      sourceInfo: `acquired from ${os.source}`,
      licenseConcluded: "NOASSERTION",
      licenseDeclared: "NOASSERTION",
      copyrightText: "NOASSERTION",
    });
    relationships.push({
      spdxElementId: SPDX_IMAGE_ID,
      relationshipType: "CONTAINS",
      relatedSpdxElement: SPDX_OS_ID,
    });
  }
  const collected = collectComponents(report.packages);
  const idOf = new Map<string, string>();
  for (const component of collected) {
    const wanted = [
      "SPDXRef-Package",
      component.ecosystem,
      nameIdPart(component.name),
      spdxIdPart(component.version),
    ]
      .filter((part) => part !== "")
      .join("-");
    const id = ids.take(wanted);
    idOf.set(component.ref, id);
    packages.push(packageOf(component, id, refs));
    relationships.push({
      spdxElementId: SPDX_IMAGE_ID,
      relationshipType: "CONTAINS",
      relatedSpdxElement: id,
    });
  }
  // The OS package CONTAINS the language package it installed (python3-six contains six).
  for (const component of collected) {
    const owner = component.installedBy?.purl;
    const ownerId = owner === undefined ? undefined : idOf.get(owner);
    const id = idOf.get(component.ref);
    if (ownerId !== undefined && id !== undefined)
      relationships.push({ spdxElementId: ownerId, relationshipType: "CONTAINS", relatedSpdxElement: id });
  }
  const extracted = refs.list();
  return {
    spdxVersion: "SPDX-2.3",
    dataLicense: "CC0-1.0",
    SPDXID: "SPDXRef-DOCUMENT",
    name: image.name,
    documentNamespace: documentNamespace(options.documentNamespace, image.name),
    creationInfo: {
      created: utcSeconds(report.createdAt),
      creators: [
        options.toolVersion !== undefined ? `Tool: rafscan-${options.toolVersion}` : "Tool: rafscan",
      ],
    },
    documentDescribes: [SPDX_IMAGE_ID],
    packages,
    ...(extracted.length > 0 ? { hasExtractedLicensingInfos: extracted } : {}),
    relationships,
  };
}
