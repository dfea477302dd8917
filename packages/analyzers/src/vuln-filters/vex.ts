// VEX documents, OpenVEX (v0.0.x and v0.2.x) and CycloneDX VEX, read into one statement model:
// which vulnerability, which products (and their subcomponents), what status, and why.
import { VulnFilterError } from "./errors.js";
import { MAX_VEX_FILE_BYTES } from "./limits.js";
import { parsePurl } from "./purl-match.js";

/** A VEX status, in OpenVEX's words (CycloneDX analysis states are mapped onto them). */
export type VexStatus = "not_affected" | "affected" | "fixed" | "under_investigation";

/** A product a statement is about, with the subcomponents it names inside it. */
export interface VexProduct {
  /** The product's id as written (a purl, a digest, a BOM-Link). */
  readonly id: string;
  /** The product's purl, when its id or identifiers give one. */
  readonly purl?: string;
  /** Purls of the subcomponents (packages inside the product) the statement is about. */
  readonly subcomponents: readonly string[];
}

/** One statement: `vulnerability` in `products` has `status`. */
export interface VexStatement {
  readonly vulnerability: string;
  /** Other ids of the same vulnerability the document gives. */
  readonly aliases: readonly string[];
  readonly products: readonly VexProduct[];
  readonly status: VexStatus;
  /** OpenVEX `justification` or CycloneDX `analysis.justification`. */
  readonly justification?: string;
  /** OpenVEX `impact_statement`/`status_notes`, or CycloneDX `analysis.detail`. */
  readonly detail?: string;
  /** When it was made (the statement's, else the document's); later statements override earlier ones. */
  readonly timestamp?: string;
  /** `statements[3]` or `vulnerabilities[0]`. */
  readonly where: string;
}

/** A parsed VEX document. */
export interface VexDocument {
  /** The file name the caller gave, shown in `suppressed[].source` and in errors. */
  readonly source: string;
  readonly format: "openvex" | "cyclonedx";
  readonly statements: readonly VexStatement[];
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

function fail(source: string, message: string, where?: string): never {
  throw new VulnFilterError("VULN_VEX", source, message, where);
}

function list(v: unknown, source: string, where: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) fail(source, "must be a list", where);
  return v;
}

/** An OpenVEX component: a string id (v0.0.x) or `{ "@id", identifiers: { purl } }` (v0.2). */
function componentPurl(c: unknown): { id: string; purl?: string } | undefined {
  if (typeof c === "string") return parsePurl(c) !== undefined ? { id: c, purl: c } : { id: c };
  if (!isObject(c)) return undefined;
  const id = str(c["@id"]);
  const identifiers = isObject(c.identifiers) ? c.identifiers : {};
  const purl = [id, str(identifiers.purl)].find((p) => p !== undefined && parsePurl(p) !== undefined);
  const name = id ?? purl;
  if (name === undefined) return undefined;
  return purl !== undefined ? { id: name, purl } : { id: name };
}

const OPENVEX_STATUSES: readonly string[] = ["not_affected", "affected", "fixed", "under_investigation"];

function parseOpenVex(doc: Json, source: string): VexStatement[] {
  const docTime = str(doc.timestamp);
  return list(doc.statements, source, "statements").map((s, i): VexStatement => {
    const where = `statements[${i}]`;
    if (!isObject(s)) fail(source, "a statement must be an object", where);
    // v0.0.x: "vulnerability": "CVE-…"; v0.2: { name, aliases } (with "@id" as another name).
    const v = s.vulnerability;
    const name = typeof v === "string" ? v : isObject(v) ? str(v.name) : undefined;
    if (name === undefined || name === "")
      fail(source, "vulnerability has no name", `${where}.vulnerability`);
    const aliases = isObject(v)
      ? [...list(v.aliases, source, `${where}.vulnerability.aliases`), v["@id"]].filter(
          (a): a is string => typeof a === "string" && a !== "" && a !== name,
        )
      : [];
    const status = str(s.status);
    if (status === undefined || !OPENVEX_STATUSES.includes(status)) {
      fail(source, `status must be one of ${OPENVEX_STATUSES.join(", ")}, got '${String(s.status)}'`, where);
    }
    // v0.0.x put subcomponents beside the products; they then belong to every product.
    const shared = list(s.subcomponents, source, `${where}.subcomponents`)
      .map(componentPurl)
      .flatMap((c) => (c?.purl !== undefined ? [c.purl] : []));
    const products = list(s.products, source, `${where}.products`).map((p, j): VexProduct => {
      const c = componentPurl(p);
      if (c === undefined) fail(source, "a product needs an @id", `${where}.products[${j}]`);
      const subs = isObject(p)
        ? list(p.subcomponents, source, `${where}.products[${j}].subcomponents`)
            .map(componentPurl)
            .flatMap((x) => (x?.purl !== undefined ? [x.purl] : []))
        : [];
      return { ...c, subcomponents: [...subs, ...shared] };
    });
    const justification = str(s.justification);
    const detail = str(s.impact_statement) ?? str(s.status_notes);
    const timestamp = str(s.timestamp) ?? docTime;
    return {
      vulnerability: name,
      aliases,
      products,
      status: status as VexStatus,
      ...(justification !== undefined ? { justification } : {}),
      ...(detail !== undefined ? { detail } : {}),
      ...(timestamp !== undefined ? { timestamp } : {}),
      where,
    };
  });
}

/** CycloneDX `analysis.state` as a VEX status, as Trivy maps them; undefined when absent. */
function cdxState(state: string | undefined): VexStatus | undefined {
  switch (state) {
    case "not_affected":
    case "false_positive":
      return "not_affected";
    case "resolved":
    case "resolved_with_pedigree":
      return "fixed";
    case "exploitable":
      return "affected";
    case "in_triage":
      return "under_investigation";
    default:
      return undefined;
  }
}

/**
 * A CycloneDX `affects[].ref` as a purl: a BOM-Link (`urn:cdx:<serial>/<version>#<bom-ref>`) or a
 * plain bom-ref, looked up among the document's own components, else taken as a purl itself
 * (rafscan's CycloneDX bom-refs are purls). BOM-Link serial numbers are not checked: rafscan's
 * BOMs get a new serial on every run, so a VEX written against one would never match the next.
 */
function affectPurl(ref: string, components: ReadonlyMap<string, string>): string | undefined {
  const hash = ref.startsWith("urn:cdx:") ? ref.indexOf("#") : -1;
  let bomRef = ref;
  if (hash >= 0) {
    try {
      bomRef = decodeURIComponent(ref.slice(hash + 1));
    } catch {
      return undefined;
    }
  }
  const fromComponent = components.get(bomRef);
  if (fromComponent !== undefined) return fromComponent;
  return parsePurl(bomRef) !== undefined ? bomRef : undefined;
}

function collectCdxComponents(components: unknown, into: Map<string, string>, depth: number): void {
  // Nested components are walked to a fixed depth: a hostile document cannot recurse forever.
  if (!Array.isArray(components) || depth > 32) return;
  for (const c of components) {
    if (!isObject(c)) continue;
    const ref = str(c["bom-ref"]);
    const purl = str(c.purl);
    if (ref !== undefined && purl !== undefined && parsePurl(purl) !== undefined) into.set(ref, purl);
    collectCdxComponents(c.components, into, depth + 1);
  }
}

function parseCycloneDxVex(doc: Json, source: string): VexStatement[] {
  const components = new Map<string, string>();
  if (isObject(doc.metadata)) collectCdxComponents([doc.metadata.component], components, 0);
  collectCdxComponents(doc.components, components, 0);
  const docTime = isObject(doc.metadata) ? str(doc.metadata.timestamp) : undefined;
  const out: VexStatement[] = [];
  list(doc.vulnerabilities, source, "vulnerabilities").forEach((v, i) => {
    const where = `vulnerabilities[${i}]`;
    if (!isObject(v)) fail(source, "a vulnerability must be an object", where);
    const id = str(v.id);
    if (id === undefined) fail(source, "a vulnerability needs an id", where);
    const analysis = isObject(v.analysis) ? v.analysis : undefined;
    // A vulnerability without analysis is a finding, not a VEX statement: nothing to apply.
    const status = cdxState(str(analysis?.state));
    if (status === undefined) return;
    const aliases = list(v.references, source, `${where}.references`)
      .map((r) => (isObject(r) ? str(r.id) : undefined))
      .filter((a): a is string => a !== undefined && a !== id);
    const products = list(v.affects, source, `${where}.affects`).map((a, j): VexProduct => {
      const ref = isObject(a) ? str(a.ref) : undefined;
      if (ref === undefined) fail(source, "an affects entry needs a ref", `${where}.affects[${j}]`);
      const purl = affectPurl(ref, components);
      return { id: ref, ...(purl !== undefined ? { purl } : {}), subcomponents: [] };
    });
    const justification = str(analysis?.justification);
    const detail = str(analysis?.detail);
    const timestamp = str(analysis?.lastUpdated) ?? str(analysis?.firstIssued) ?? docTime;
    out.push({
      vulnerability: id,
      aliases,
      products,
      status,
      ...(justification !== undefined ? { justification } : {}),
      ...(detail !== undefined ? { detail } : {}),
      ...(timestamp !== undefined ? { timestamp } : {}),
      where,
    });
  });
  return out;
}

/**
 * Parses a VEX document (JSON): OpenVEX when its `@context` names openvex, CycloneDX when
 * `bomFormat` is `CycloneDX`. Throws `VulnFilterError` (`VULN_VEX`) for a file over
 * `MAX_VEX_FILE_BYTES`, text that is not JSON, another format (CSAF is not read), or a statement
 * missing its vulnerability, status or product ids.
 */
export function parseVex(text: string, source: string): VexDocument {
  if (Buffer.byteLength(text, "utf8") > MAX_VEX_FILE_BYTES)
    fail(source, `larger than ${MAX_VEX_FILE_BYTES} bytes`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    fail(source, `not JSON: ${(err as Error).message}`);
  }
  if (!isObject(doc)) fail(source, "not a VEX document (the top level is not an object)");
  const context = doc["@context"];
  if (typeof context === "string" && /openvex/i.test(context)) {
    return { source, format: "openvex", statements: parseOpenVex(doc, source) };
  }
  if (doc.bomFormat === "CycloneDX") {
    return { source, format: "cyclonedx", statements: parseCycloneDxVex(doc, source) };
  }
  if (isObject(doc.document) && typeof doc.document.category === "string") {
    fail(source, "CSAF VEX is not supported; use OpenVEX or CycloneDX VEX");
  }
  fail(source, "not a VEX document: neither OpenVEX (@context) nor CycloneDX (bomFormat)");
}
