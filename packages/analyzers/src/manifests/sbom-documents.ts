// SBOM documents shipped inside an image: CycloneDX JSON (`*.cdx.json`, `bom.json`) and SPDX JSON
// (`*.spdx.json`, and Bitnami's `/opt/bitnami/<app>/.spdx-<app>.spdx`), the locations Trivy's sbom
// analyzer and Syft's sbom cataloger read. Their packages are taken by purl; a purl type that is not
// one of our ecosystems is counted in a note, not guessed at.
import { PackageURL } from "packageurl-js";
import type { Ecosystem, Package } from "../findings.js";
import { isRecord } from "../lang/values.js";
import type { AnalyzerPlugin, NeedEntry } from "../plugin.js";

const ECOSYSTEMS = new Set<string>([
  "deb",
  "apk",
  "rpm",
  "pypi",
  "npm",
  "gem",
  "composer",
  "nuget",
  "conda",
  "cargo",
  "golang",
  "maven",
  "julia",
]);

/** Most packages taken from one document. */
export const MAX_SBOM_PACKAGES = 100_000;

/** `true` for `*.cdx.json`, `*.spdx.json`, `bom.json`, and Bitnami's `.spdx-*.spdx`; not inside node_modules. */
export function isSbomDocument(entry: Pick<NeedEntry, "path">): boolean {
  const base = entry.path.slice(entry.path.lastIndexOf("/") + 1);
  if (entry.path.includes("/node_modules/")) return false;
  if (base.endsWith(".cdx.json") || base.endsWith(".spdx.json") || base === "bom.json") return true;
  return entry.path.startsWith("/opt/bitnami/") && base.startsWith(".spdx-") && base.endsWith(".spdx");
}

/** Our package name for a purl: Maven `group:artifact`, npm/Go/Composer `namespace/name`. */
function nameOf(p: PackageURL): string {
  if (p.namespace === undefined || p.namespace === null || p.namespace === "") return p.name;
  if (p.type === "maven") return `${p.namespace}:${p.name}`;
  if (p.type === "npm" || p.type === "golang" || p.type === "composer") return `${p.namespace}/${p.name}`;
  return p.name;
}

/** Every purl a CycloneDX or SPDX JSON document names, in document order. */
export function sbomPurls(doc: unknown): string[] {
  if (!isRecord(doc)) throw new Error("not a JSON object");
  const out: string[] = [];
  if (doc.bomFormat === "CycloneDX") {
    // Components nest (`components` of a component); an explicit stack bounds the work.
    const stack: unknown[] = [doc.components];
    for (let depth = 0; stack.length > 0 && out.length < MAX_SBOM_PACKAGES && depth < 1_000_000; depth++) {
      const list = stack.pop();
      if (!Array.isArray(list)) continue;
      for (const c of list) {
        if (!isRecord(c)) continue;
        if (typeof c.purl === "string") out.push(c.purl);
        if (Array.isArray(c.components)) stack.push(c.components);
      }
    }
    return out;
  }
  if (typeof doc.spdxVersion === "string") {
    for (const p of Array.isArray(doc.packages) ? doc.packages : []) {
      if (!isRecord(p) || !Array.isArray(p.externalRefs)) continue;
      for (const r of p.externalRefs) {
        if (isRecord(r) && r.referenceType === "purl" && typeof r.referenceLocator === "string")
          out.push(r.referenceLocator);
      }
      if (out.length >= MAX_SBOM_PACKAGES) break;
    }
    return out;
  }
  throw new Error("neither a CycloneDX nor an SPDX JSON document");
}

/** Packages named by SBOM documents in the image. */
export const sbomDocumentPlugin: AnalyzerPlugin = {
  id: "sbom",
  version: "1.0.0",
  description: "packages listed by CycloneDX and SPDX JSON documents inside the image",
  needs: [isSbomDocument],
  access: "whole",
  maxFileSize: 64 * 1024 * 1024,
  async analyze(files, ctx) {
    const packages: Package[] = [];
    const notes: string[] = [];
    for (const file of files) {
      let purls: string[];
      try {
        purls = sbomPurls(JSON.parse(await file.text()));
      } catch (err) {
        ctx.warn(
          `cannot read SBOM: ${err instanceof Error ? err.message.slice(0, 200) : String(err)}`,
          file.path,
        );
        continue;
      }
      const seen = new Set<string>();
      let other = 0;
      for (const text of purls.slice(0, MAX_SBOM_PACKAGES)) {
        let p: PackageURL;
        try {
          p = PackageURL.fromString(text);
        } catch {
          other++;
          continue;
        }
        if (!ECOSYSTEMS.has(p.type) || typeof p.version !== "string" || p.version === "" || seen.has(text)) {
          if (!seen.has(text)) other++;
          continue;
        }
        seen.add(text);
        const q = p.qualifiers ?? {};
        packages.push({
          name: nameOf(p),
          version: p.version,
          ecosystem: p.type as Ecosystem,
          purl: text,
          source: file.path,
          ...(typeof q.arch === "string" ? { arch: q.arch } : {}),
        });
      }
      if (other > 0)
        notes.push(`${file.path}: ${other} SBOM entries without a supported purl were not taken`);
    }
    return { packages, notes };
  },
};
