// Package lists that OS images keep instead of (or beside) a package database:
// - `/var/lib/rpmmanifest/container-manifest-2`, the `rpm -qa` dump Azure Linux / CBL-Mariner
//   distroless images ship (tab-separated: NAME, VERSION-RELEASE, INSTALLTIME, BUILDTIME, VENDOR,
//   EPOCH, SIZE, ARCH, EPOCHNUM, SOURCERPM, as Trivy and Syft read it);
// - `/usr/share/bottlerocket/application-inventory.json`, Bottlerocket's inventory (`Content`:
//   `Name`, `Version`, `Release`, `Architecture`, `License`), whose packages are built as rpms.
// - `/root/buildinfo/content_manifests/*.json`, Red Hat's content manifests: the content sets
//   (repositories) the image was built from, which say which advisories apply; reported as a note.
import type { Package } from "../findings.js";
import { isRecord } from "../lang/values.js";
import type { AnalyzerPlugin } from "../plugin.js";
import { RPM_LIMITS } from "../rpm/limits.js";
import { type RpmPackageInfo, rpmPackage } from "../rpm/package.js";

export const RPM_MANIFEST = "/var/lib/rpmmanifest/container-manifest-2";
export const BOTTLEROCKET_INVENTORY = "/usr/share/bottlerocket/application-inventory.json";
export const CONTENT_MANIFESTS = "/root/buildinfo/content_manifests/*.json";

const MAX_ENTRIES = 100_000;

function field(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const s = v.trim();
  return s === "" || s === "(none)" || s.length > RPM_LIMITS.maxFieldLength ? undefined : s;
}

/** The packages of a container-manifest-2 file; malformed lines go to `warn`. */
export function parseRpmManifest(text: string, warn: (line: number, why: string) => void): RpmPackageInfo[] {
  const out: RpmPackageInfo[] = [];
  const lines = text.split("\n");
  for (const [i, raw] of lines.entries()) {
    if (raw.trim() === "") continue;
    if (out.length >= MAX_ENTRIES) {
      warn(i + 1, `more than ${MAX_ENTRIES} packages: the rest are not read`);
      break;
    }
    const f = raw.replace(/\r$/, "").split("\t");
    const name = field(f[0]);
    const vr = field(f[1]);
    const dash = vr?.lastIndexOf("-") ?? -1;
    if (name === undefined || vr === undefined || f.length < 8) {
      warn(i + 1, "not NAME<TAB>VERSION-RELEASE<TAB>... with at least 8 fields");
      continue;
    }
    const epoch = field(f[5]);
    out.push({
      name,
      version: dash > 0 ? vr.slice(0, dash) : vr,
      release: dash > 0 ? vr.slice(dash + 1) : undefined,
      epoch: epoch !== undefined && /^\d+$/.test(epoch) ? Number(epoch) : undefined,
      arch: field(f[7]),
      license: undefined,
      sourceRpm: field(f[9]),
      vendor: field(f[4]),
      modularityLabel: undefined,
    });
  }
  return out;
}

/** The packages of a Bottlerocket application inventory. */
export function parseBottlerocketInventory(text: string): RpmPackageInfo[] {
  const doc: unknown = JSON.parse(text);
  if (!isRecord(doc) || !Array.isArray(doc.Content)) throw new Error("no `Content` array");
  const out: RpmPackageInfo[] = [];
  for (const e of doc.Content.slice(0, MAX_ENTRIES)) {
    if (!isRecord(e)) continue;
    const name = typeof e.Name === "string" ? field(e.Name) : undefined;
    const version = typeof e.Version === "string" ? field(e.Version) : undefined;
    if (name === undefined || version === undefined) continue;
    const str = (v: unknown) => (typeof v === "string" ? field(v) : undefined);
    out.push({
      name,
      version,
      release: str(e.Release),
      epoch:
        typeof e.Epoch === "number" && Number.isSafeInteger(e.Epoch) && e.Epoch >= 0 ? e.Epoch : undefined,
      arch: str(e.Architecture),
      license: str(e.License),
      sourceRpm: undefined,
      vendor: "Bottlerocket",
      modularityLabel: undefined,
    });
  }
  return out;
}

/** Red Hat content sets named by a content manifest (`content_sets: ["rhel-8-for-x86_64-baseos-rpms"]`). */
export function parseContentManifest(text: string): string[] {
  const doc: unknown = JSON.parse(text);
  if (!isRecord(doc)) throw new Error("not a JSON object");
  const sets = doc.content_sets;
  return Array.isArray(sets)
    ? sets.filter((s): s is string => typeof s === "string" && s.length < 256).slice(0, 256)
    : [];
}

/** rpm package lists kept outside an rpm database: distroless rpm manifests, Bottlerocket's inventory, Red Hat content sets. */
export const rpmManifestPlugin: AnalyzerPlugin = {
  id: "rpm-manifest",
  version: "1.0.0",
  description:
    "rpm packages from distroless container-manifest-2 and Bottlerocket's inventory; Red Hat content sets",
  needs: [RPM_MANIFEST, BOTTLEROCKET_INVENTORY, CONTENT_MANIFESTS],
  access: "whole",
  maxFileSize: 16 * 1024 * 1024,
  async analyze(files, ctx) {
    const packages: Package[] = [];
    const notes: string[] = [];
    const os = ctx.os;
    for (const file of files) {
      try {
        const text = await file.text();
        if (file.path === RPM_MANIFEST) {
          for (const info of parseRpmManifest(text, (line, why) =>
            ctx.warn(`line ${line}: ${why}`, file.path),
          ))
            packages.push(rpmPackage(info, file.path, os));
        } else if (file.path === BOTTLEROCKET_INVENTORY) {
          for (const info of parseBottlerocketInventory(text)) packages.push(rpmPackage(info, file.path, os));
        } else {
          const sets = parseContentManifest(text);
          if (sets.length > 0) notes.push(`Red Hat content sets (${file.path}): ${sets.join(", ")}`);
        }
      } catch (err) {
        ctx.warn(
          `cannot parse: ${err instanceof Error ? err.message.slice(0, 200) : String(err)}`,
          file.path,
        );
      }
    }
    return { packages, notes };
  },
};
