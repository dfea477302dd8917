// Turns a decoded rpm header into a Package: name, `[epoch:]version-release`, arch, licence, source
// package, and a purl shaped as Trivy and Syft shape rpm purls.
import type { OsInfo, Package } from "../findings.js";
import { purl } from "../purl.js";
import { headerInt32, headerString, type RpmHeader } from "./header.js";
import { RPM_LIMITS } from "./limits.js";
import { RPMTAG } from "./tags.js";

/** The fields of one installed rpm. */
export interface RpmPackageInfo {
  readonly name: string;
  readonly version: string;
  readonly release: string | undefined;
  /** EPOCH; `undefined` when the tag is absent. */
  readonly epoch: number | undefined;
  readonly arch: string | undefined;
  readonly license: string | undefined;
  /** SOURCERPM: `name-version-release.src.rpm`. */
  readonly sourceRpm: string | undefined;
  readonly vendor: string | undefined;
  /** MODULARITYLABEL, for packages of a module stream. */
  readonly modularityLabel: string | undefined;
}

/**
 * Reads the package fields of a header. Optional fields that are malformed or longer than
 * `RPM_LIMITS.maxFieldLength` are dropped, and `onDropped` is told which.
 * @throws Error when NAME or VERSION is missing, malformed or too long
 */
export function readPackageInfo(
  header: RpmHeader,
  onDropped: (field: string, why: string) => void,
): RpmPackageInfo {
  const required = (tag: number, field: string): string => {
    const value = headerString(header, tag);
    if (value === undefined || value === "") throw new Error(`header has no ${field}`);
    if (value.length > RPM_LIMITS.maxFieldLength) throw new Error(`header ${field} is too long`);
    return value;
  };
  const optional = <T>(field: string, read: () => T | undefined): T | undefined => {
    try {
      const value = read();
      if (typeof value === "string" && value.length > RPM_LIMITS.maxFieldLength) {
        onDropped(field, "too long");
        return undefined;
      }
      return value;
    } catch (err) {
      onDropped(field, err instanceof Error ? err.message : String(err));
      return undefined;
    }
  };
  const name = required(RPMTAG.NAME, "NAME");
  const version = required(RPMTAG.VERSION, "VERSION");
  // RELEASE and ARCH take part in the version and purl: malformed ones reject the package too.
  const release = headerString(header, RPMTAG.RELEASE);
  const arch = headerString(header, RPMTAG.ARCH);
  for (const [field, value] of [
    ["RELEASE", release],
    ["ARCH", arch],
  ] as const) {
    if (value !== undefined && value.length > RPM_LIMITS.maxFieldLength)
      throw new Error(`header ${field} is too long`);
  }
  return {
    name,
    version,
    release: release === "" ? undefined : release,
    epoch: optional("EPOCH", () => headerInt32(header, RPMTAG.EPOCH)),
    arch: arch === "" ? undefined : arch,
    license: nonEmpty(optional("LICENSE", () => headerString(header, RPMTAG.LICENSE))),
    sourceRpm: nonEmpty(optional("SOURCERPM", () => headerString(header, RPMTAG.SOURCERPM))),
    vendor: nonEmpty(optional("VENDOR", () => headerString(header, RPMTAG.VENDOR))),
    modularityLabel: nonEmpty(
      optional("MODULARITYLABEL", () => headerString(header, RPMTAG.MODULARITYLABEL)),
    ),
  };
}

/** `undefined` for an empty string or rpm's `(none)`. */
function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" || value === "(none)" ? undefined : value;
}

/** `[epoch:]version[-release]`, as `rpm -q --qf '%{EVR}'` writes it; epoch 0 is left out. */
export function rpmVersion(epoch: number | undefined, version: string, release: string | undefined): string {
  const vr = release === undefined ? version : `${version}-${release}`;
  return epoch !== undefined && epoch > 0 ? `${epoch}:${vr}` : vr;
}

/**
 * Splits a source rpm file name, `name-version-release.src.rpm` (or `.nosrc.rpm`), the way yum's
 * `splitFilename` does; `undefined` when it does not have that shape.
 */
export function parseSourceRpm(
  file: string,
): { readonly name: string; readonly version: string; readonly release: string } | undefined {
  const base = file.endsWith(".rpm") ? file.slice(0, -4) : file;
  const archAt = base.lastIndexOf(".");
  if (archAt <= 0) return undefined;
  const nvr = base.slice(0, archAt);
  const relAt = nvr.lastIndexOf("-");
  if (relAt <= 0) return undefined;
  const verAt = nvr.lastIndexOf("-", relAt - 1);
  if (verAt <= 0) return undefined;
  const name = nvr.slice(0, verAt);
  const version = nvr.slice(verAt + 1, relAt);
  const release = nvr.slice(relAt + 1);
  if (version === "" || release === "") return undefined;
  return { name, version, release };
}

/** os-release IDs whose purl namespace differs from the ID (Syft's and Trivy's mapping). */
function namespaceOfOsId(id: string): string {
  if (id === "rhel") return "redhat";
  if (id.startsWith("opensuse")) return "opensuse";
  if (id === "sles" || id === "sled" || id.startsWith("sles_") || id.startsWith("sle-")) return "suse";
  return id;
}

/** Vendor strings of distribution packages, for when the image's OS is unknown. */
const VENDOR_NAMESPACES: readonly (readonly [string, string])[] = [
  ["red hat", "redhat"],
  ["centos", "centos"],
  ["fedora", "fedora"],
  ["rocky", "rocky"],
  ["almalinux", "almalinux"],
  ["opensuse", "opensuse"],
  ["suse", "suse"],
  ["oracle", "ol"],
  ["amazon", "amzn"],
];

/**
 * The purl namespace: the OS family (`rhel` becomes `redhat`, openSUSE and SLES variants
 * `opensuse` and `suse`), else a guess from the package's vendor, else none.
 */
export function rpmNamespace(os: OsInfo | undefined, vendor: string | undefined): string | undefined {
  if (os !== undefined && os.family !== "") return namespaceOfOsId(os.family);
  if (vendor === undefined) return undefined;
  const lower = vendor.toLowerCase();
  return VENDOR_NAMESPACES.find(([needle]) => lower.includes(needle))?.[1];
}

/** purl `distro`: `<family>-<version>`, the family alone without a version. */
function distro(os: OsInfo | undefined): string | undefined {
  if (os === undefined || os.family === "") return undefined;
  return os.version === "" ? os.family : `${os.family}-${os.version}`;
}

/**
 * The Package for one rpm: purl `pkg:rpm/<namespace>/<name>@<version>-<release>?arch=..&distro=
 * <family>-<version>&epoch=..` (epoch only when > 0, as Trivy; distro only when the OS is known).
 */
export function rpmPackage(info: RpmPackageInfo, source: string, os: OsInfo | undefined): Package {
  const version = rpmVersion(info.epoch, info.version, info.release);
  const src = info.sourceRpm === undefined ? undefined : parseSourceRpm(info.sourceRpm);
  // The source rpm carries no epoch; it shares the binary's (as Trivy assumes).
  const upstream =
    src === undefined
      ? undefined
      : { name: src.name, version: rpmVersion(info.epoch, src.version, src.release) };
  const differs = upstream !== undefined && (upstream.name !== info.name || upstream.version !== version);
  return {
    name: info.name,
    version,
    ecosystem: "rpm",
    purl: purl(
      "rpm",
      rpmNamespace(os, info.vendor),
      info.name,
      info.release === undefined ? info.version : `${info.version}-${info.release}`,
      {
        arch: info.arch,
        epoch: info.epoch !== undefined && info.epoch > 0 ? String(info.epoch) : undefined,
        distro: distro(os),
      },
    ),
    source,
    ...(info.license === undefined ? {} : { licenses: [info.license] }),
    ...(info.arch === undefined ? {} : { arch: info.arch }),
    ...(differs ? { sourceName: upstream.name, sourceVersion: upstream.version } : {}),
    ...(info.modularityLabel === undefined ? {} : { modularityLabel: info.modularityLabel }),
  };
}
