// cargo-auditable dependency lists: the zlib-compressed JSON the `cargo auditable` wrapper links
// into the `.dep-v0` section. Format: rust-secure-code/cargo-auditable, crate `auditable-serde`
// (`VersionInfo { packages: [{ name, version, source, kind, dependencies, root }] }`).
import { inflateSync } from "node:zlib";

/** Largest compressed `.dep-v0` section read. */
export const MAX_AUDIT_COMPRESSED = 8 << 20;
/** Largest inflated JSON accepted, the limit `auditable-info` itself defaults to. */
export const MAX_AUDIT_JSON = 8 << 20;
/** Packages accepted from one binary. */
export const MAX_AUDIT_PACKAGES = 100_000;

/** One crate of the dependency tree. */
export interface AuditPackage {
  readonly name: string;
  readonly version: string;
  /** `crates.io`, `git`, `local`, `registry` or `other`. */
  readonly source: string;
  /** `runtime` (the default when absent) or `build` (build scripts and proc-macros only). */
  readonly kind: string;
  /** True for the crate the binary was built from. */
  readonly root: boolean;
}

/**
 * Inflates and parses a `.dep-v0` section.
 * @throws on a zlib error, output beyond {@link MAX_AUDIT_JSON}, or JSON of the wrong shape
 */
export function decodeAuditData(section: Uint8Array): AuditPackage[] {
  let json: Buffer;
  try {
    // maxOutputLength makes zlib stop (and throw) at the cap instead of growing a bomb in memory.
    json = inflateSync(section, { maxOutputLength: MAX_AUDIT_JSON });
  } catch (err) {
    throw new Error(`cargo-auditable data: ${err instanceof Error ? err.message : String(err)}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(json.toString("utf8"));
  } catch {
    throw new Error("cargo-auditable data: not JSON");
  }
  const list = (doc as { packages?: unknown } | null)?.packages;
  if (!Array.isArray(list)) throw new Error("cargo-auditable data: no packages array");
  if (list.length > MAX_AUDIT_PACKAGES) {
    throw new Error(`cargo-auditable data: ${list.length} packages (limit ${MAX_AUDIT_PACKAGES})`);
  }
  const out: AuditPackage[] = [];
  for (const p of list as unknown[]) {
    if (typeof p !== "object" || p === null) continue;
    const { name, version, source, kind, root } = p as Record<string, unknown>;
    if (typeof name !== "string" || typeof version !== "string" || name === "") continue;
    out.push({
      name,
      version,
      source: typeof source === "string" ? source : "",
      kind: typeof kind === "string" ? kind : "runtime",
      root: root === true,
    });
  }
  return out;
}
