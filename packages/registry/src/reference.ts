// Image references `[host[:port]/]repository[:tag][@digest]`, parsed and normalized the way the
// Docker CLI does (grammar of distribution/reference): Docker Hub is the default registry, and its
// one-component names live under `library/`.
import { RegistryError, RegistryErrorCode } from "./errors.js";

/** The registry a reference without a host names. */
export const DOCKER_HUB = "docker.io";
/** Where Docker Hub's registry API answers (`docker.io` itself only redirects to the website). */
export const DOCKER_HUB_ENDPOINT = "registry-1.docker.io";

/** A parsed, normalized image reference. */
export interface ImageReference {
  /** The registry as named: `docker.io`, `ghcr.io`, `127.0.0.1:5000`, `[::1]:5000`. */
  readonly registry: string;
  /** `host[:port]` to connect to; differs from `registry` only for Docker Hub. */
  readonly endpoint: string;
  /** The repository path: `library/alpine`, `org/team/app`. */
  readonly repository: string;
  /** The tag, when one was written. */
  readonly tag: string | undefined;
  /** The digest (`sha256:<64 hex>`), when one was written. */
  readonly digest: string | undefined;
}

// Pieces of the distribution/reference grammar.
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const IPV6 = /^\[[0-9a-fA-F:.]+\]$/;
const TAG = /^\w[\w.-]{0,127}$/;
const DIGESTS: Record<string, RegExp> = { sha256: /^[a-f0-9]{64}$/, sha512: /^[a-f0-9]{128}$/ };
const MAX_NAME_LENGTH = 255;

function invalid(ref: string, why: string): never {
  throw new RegistryError(RegistryErrorCode.INVALID_REFERENCE, `invalid image reference "${ref}": ${why}`);
}

/** True for `host`, `host:port`, `1.2.3.4:5`, `[::1]:5000` (ports 1..65535). */
function isDomain(text: string): boolean {
  const m = /^(\[[^\]]*\]|[^:]+)(?::(\d{1,5}))?$/.exec(text);
  if (!m) return false;
  const host = m[1] ?? "";
  const port = m[2];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) return false;
  if (host.startsWith("[")) return IPV6.test(host);
  return host.split(".").every((c) => DOMAIN_COMPONENT.test(c));
}

/**
 * Parses `[host[:port]/]repository[:tag][@digest]`. The first path component is a host when it
 * contains `.` or `:`, is `localhost`, or has upper-case letters (repositories cannot); otherwise
 * the registry is Docker Hub, where `alpine` means `library/alpine` and `index.docker.io` means
 * `docker.io`. Neither tag nor digest is defaulted here: pushing picks `latest` when both are absent.
 * @throws RegistryError `REGISTRY_INVALID_REFERENCE`
 */
export function parseReference(ref: string): ImageReference {
  if (ref.length === 0) invalid(ref, "empty");
  if (ref.length > 4096) invalid(ref.slice(0, 64), "too long");
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    const colon = digest.indexOf(":");
    const pattern = DIGESTS[digest.slice(0, colon)];
    if (colon === -1 || pattern === undefined || !pattern.test(digest.slice(colon + 1))) {
      invalid(ref, `bad digest "${digest}" (want sha256:<64 hex> or sha512:<128 hex>)`);
    }
  }
  let tag: string | undefined;
  // A tag's colon comes after the last slash; an earlier colon belongs to host:port.
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) invalid(ref, `bad tag "${tag}"`);
  }
  let registry = DOCKER_HUB;
  let repository = rest;
  const slash = rest.indexOf("/");
  if (slash !== -1) {
    const first = rest.slice(0, slash);
    if (/[.:]/.test(first) || first === "localhost" || first !== first.toLowerCase()) {
      registry = first;
      repository = rest.slice(slash + 1);
      if (!isDomain(registry)) invalid(ref, `bad registry host "${registry}"`);
    }
  }
  if (registry === "index.docker.io") registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && !repository.includes("/")) repository = `library/${repository}`;
  if (repository === "" || !repository.split("/").every((c) => PATH_COMPONENT.test(c))) {
    invalid(ref, `bad repository "${repository}" (lower-case letters, digits and . _ - separators)`);
  }
  if (registry.length + 1 + repository.length > MAX_NAME_LENGTH) {
    invalid(ref, `name longer than ${MAX_NAME_LENGTH} characters`);
  }
  // As the Docker CLI does: a bare 64-hex name would be mistaken for an image id.
  if (registry === DOCKER_HUB && /^library\/[a-f0-9]{64}$/.test(repository)) {
    invalid(ref, "a 64-character hex name looks like an image id");
  }
  const endpoint = registry === DOCKER_HUB ? DOCKER_HUB_ENDPOINT : registry;
  return { registry, endpoint, repository, tag, digest };
}

/** Writes a reference back in its normalized form: `docker.io/library/alpine:3.20`. */
export function formatReference(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}${ref.tag === undefined ? "" : `:${ref.tag}`}${
    ref.digest === undefined ? "" : `@${ref.digest}`
  }`;
}
