// Package URLs for every ecosystem, built with packageurl-js so quoting and qualifier order follow
// the purl spec.
import { PackageURL } from "packageurl-js";
import type { Ecosystem } from "./findings.js";

/**
 * `pkg:type/namespace/name@version?qualifiers`. Empty qualifier values are dropped.
 * Examples: `purl("deb", "debian", "bash", "5.2.15-2+b2", { arch: "amd64", distro: "debian-12" })`.
 */
export function purl(
  type: Ecosystem,
  namespace: string | undefined,
  name: string,
  version: string | undefined,
  qualifiers: Readonly<Record<string, string | undefined>> = {},
): string {
  const q: Record<string, string> = {};
  for (const [k, v] of Object.entries(qualifiers)) if (v !== undefined && v !== "") q[k] = v;
  const ns = namespace === undefined || namespace === "" ? undefined : namespace;
  return new PackageURL(
    type,
    ns,
    name,
    version,
    Object.keys(q).length > 0 ? q : undefined,
    undefined,
  ).toString();
}
