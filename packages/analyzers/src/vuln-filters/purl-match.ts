// Whether a purl written in an ignore file or a VEX statement names an installed package's purl.
import { PackageURL } from "packageurl-js";

/** A parsed purl, or undefined when `text` is not one. */
export function parsePurl(text: string): PackageURL | undefined {
  try {
    return PackageURL.fromString(text);
  } catch {
    return undefined;
  }
}

/**
 * True when `pattern` names `target`: type, namespace and name equal (after packageurl-js's
 * normalisation); version, each qualifier and the subpath only when the pattern gives them. So
 * `pkg:deb/debian/libssl3` covers every version and architecture of libssl3, as in Trivy and
 * OpenVEX.
 */
export function purlMatches(pattern: PackageURL, target: PackageURL): boolean {
  if (pattern.type !== target.type || pattern.name !== target.name) return false;
  if ((pattern.namespace ?? "") !== (target.namespace ?? "")) return false;
  if (pattern.version !== undefined && pattern.version !== "" && pattern.version !== target.version)
    return false;
  if (pattern.subpath !== undefined && pattern.subpath !== "" && pattern.subpath !== target.subpath)
    return false;
  const wanted = pattern.qualifiers ?? {};
  const have = target.qualifiers ?? {};
  for (const [key, value] of Object.entries(wanted)) if (have[key] !== value) return false;
  return true;
}
