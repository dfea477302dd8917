// OCI content descriptors and platforms (image-spec descriptor.md, image-index.md), checked as
// they are read: descriptors come from manifests, which are untrusted input.
import { RegistryError, RegistryErrorCode } from "../errors.js";

/** An OCI content descriptor. */
export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly platform?: Platform;
}

/** The platform an image runs on, in Go's names (`amd64`, `arm64`, ...). */
export interface Platform {
  readonly os: string;
  readonly architecture: string;
  /** CPU variant, e.g. `v8` for arm64. Default: none. */
  readonly variant?: string;
  /** Index entries may list OS features; nydusify marks its entry `nydus.remoteimage.v1`. */
  readonly "os.features"?: readonly string[];
}

const GO_ARCH: Partial<Record<string, string>> = {
  x64: "amd64",
  ia32: "386",
  arm: "arm",
  arm64: "arm64",
  ppc64: "ppc64le",
  s390x: "s390x",
  riscv64: "riscv64",
  loong64: "loong64",
  mips: "mips",
  mipsel: "mipsle",
};

/** `linux` on the architecture Node runs on, as `docker pull` defaults to the host platform. */
export function hostPlatform(): Platform {
  return { os: "linux", architecture: GO_ARCH[process.arch] ?? process.arch };
}

/** `os/arch[/variant]`. */
export function formatPlatform(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant === undefined ? "" : `/${p.variant}`}`;
}

/**
 * Parses `os/arch[/variant]` (`linux/amd64`, `linux/arm64/v8`).
 * @throws RegistryError `REGISTRY_INVALID_REFERENCE`
 */
export function parsePlatform(text: string): Platform {
  const m = /^([a-z0-9_]+)\/([a-z0-9_]+)(?:\/([a-z0-9_]+))?$/.exec(text);
  if (m === null) {
    throw new RegistryError(
      RegistryErrorCode.INVALID_REFERENCE,
      `bad platform "${text}" (want os/arch[/variant])`,
    );
  }
  return {
    os: m[1] as string,
    architecture: m[2] as string,
    ...(m[3] === undefined ? {} : { variant: m[3] }),
  };
}

const DIGEST = /^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

function bad(message: string): RegistryError {
  return new RegistryError(RegistryErrorCode.BAD_IMAGE, message);
}

/** A checked descriptor: the digest is used in paths and URLs, so it must match the grammar. */
export function checkDescriptor(value: unknown, where: string): Descriptor {
  const d = value as Partial<Record<keyof Descriptor, unknown>> | null;
  if (typeof d !== "object" || d === null) throw bad(`${where} is not a descriptor`);
  if (typeof d.mediaType !== "string") throw bad(`${where} has no mediaType`);
  if (typeof d.digest !== "string" || !DIGEST.test(d.digest)) {
    throw bad(`${where} has a bad digest ${JSON.stringify(d.digest)?.slice(0, 160)}`);
  }
  if (typeof d.size !== "number" || !Number.isSafeInteger(d.size) || d.size < 0) {
    throw bad(`${where} has a bad size ${String(d.size)}`);
  }
  return {
    mediaType: d.mediaType,
    digest: d.digest,
    size: d.size,
    ...(isStringRecord(d.annotations) ? { annotations: d.annotations } : {}),
    ...(isPlatform(d.platform) ? { platform: d.platform } : {}),
  };
}

function isStringRecord(v: unknown): v is Record<string, string> {
  return (
    typeof v === "object" &&
    v !== null &&
    !Array.isArray(v) &&
    Object.values(v).every((x) => typeof x === "string")
  );
}

function isPlatform(v: unknown): v is Platform {
  const p = v as Partial<Record<string, unknown>> | null;
  return (
    typeof p === "object" && p !== null && typeof p.os === "string" && typeof p.architecture === "string"
  );
}
