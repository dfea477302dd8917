// Image manifests and indexes (image-spec manifest.md, image-index.md; Docker schema 2 and
// manifest lists): telling which a document is, and picking an index's entry for a platform.
import { RegistryError, RegistryErrorCode } from "../errors.js";
import {
  checkDescriptor,
  type Descriptor,
  formatPlatform,
  hostPlatform,
  type Platform,
} from "./descriptor.js";

/** Media types of image indexes: OCI, and Docker's manifest list. */
export const INDEX_MEDIA_TYPES: readonly string[] = Object.freeze([
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
]);

/** Media types of image manifests: OCI, and Docker's image manifest schema 2. */
export const IMAGE_MANIFEST_MEDIA_TYPES: readonly string[] = Object.freeze([
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
]);

/** Media types of image configs: OCI, and Docker's. */
export const CONFIG_MEDIA_TYPES: readonly string[] = Object.freeze([
  "application/vnd.oci.image.config.v1+json",
  "application/vnd.docker.container.image.v1+json",
]);

/** What nydusify sets in `platform["os.features"]` of the Nydus entry of a merged index. */
export const NYDUS_OS_FEATURE = "nydus.remoteimage.v1";

/** A manifest or index as fetched. */
export interface FetchedDocument {
  readonly bytes: Uint8Array;
  /** What the transport says the type is (descriptor or Content-Type); may be "". */
  readonly mediaType: string;
  readonly digest: string;
}

/** An image manifest. */
export interface ImageManifest {
  readonly kind: "manifest";
  readonly config: Descriptor;
  readonly layers: readonly Descriptor[];
  readonly annotations?: Readonly<Record<string, string>>;
}

/** An image index. */
export interface ImageIndex {
  readonly kind: "index";
  readonly manifests: readonly Descriptor[];
}

function bad(message: string): RegistryError {
  return new RegistryError(RegistryErrorCode.BAD_IMAGE, message);
}

/**
 * Parses a manifest or an index and checks its descriptors.
 * @throws RegistryError `REGISTRY_BAD_IMAGE` (not JSON, Docker schema 1, neither kind, bad descriptors)
 */
export function parseImageDocument(fetched: FetchedDocument, name: string): ImageManifest | ImageIndex {
  let doc: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(fetched.bytes).toString("utf8"));
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
      throw new Error("not an object");
    doc = parsed as Record<string, unknown>;
  } catch (cause) {
    throw bad(`${name}: manifest ${fetched.digest} is not a JSON object (${(cause as Error).message})`);
  }
  if (doc.schemaVersion === 1) {
    throw bad(
      `${name}: Docker schema 1 manifests are not supported; push the image again with a current tool`,
    );
  }
  // The document's own mediaType wins; OCI makes it optional, so fall back to what the transport
  // said, then to the shape (an index has `manifests`, a manifest `config` and `layers`).
  const declared = typeof doc.mediaType === "string" ? doc.mediaType : fetched.mediaType;
  const known = INDEX_MEDIA_TYPES.includes(declared) || IMAGE_MANIFEST_MEDIA_TYPES.includes(declared);
  const isIndex = INDEX_MEDIA_TYPES.includes(declared) || (!known && Array.isArray(doc.manifests));
  const isManifest =
    IMAGE_MANIFEST_MEDIA_TYPES.includes(declared) ||
    (!known && doc.config !== undefined && Array.isArray(doc.layers));
  if (isIndex) {
    if (!Array.isArray(doc.manifests))
      throw bad(`${name}: image index ${fetched.digest} has no manifests list`);
    return {
      kind: "index",
      manifests: doc.manifests.map((m, i) => checkDescriptor(m, `${name}: manifests[${i}]`)),
    };
  }
  if (isManifest) {
    if (!Array.isArray(doc.layers)) throw bad(`${name}: manifest ${fetched.digest} has no layers list`);
    const annotations = doc.annotations;
    return {
      kind: "manifest",
      config: checkDescriptor(doc.config, `${name}: config`),
      layers: doc.layers.map((l, i) => checkDescriptor(l, `${name}: layers[${i}]`)),
      ...(typeof annotations === "object" && annotations !== null && !Array.isArray(annotations)
        ? { annotations: annotations as Record<string, string> }
        : {}),
    };
  }
  throw bad(`${name}: ${declared || "a document"} is neither an image manifest nor an image index`);
}

/** The default variant an architecture implies, as containerd normalizes platforms. */
function defaultVariant(architecture: string): string | undefined {
  return architecture === "arm64" ? "v8" : architecture === "arm" ? "v7" : undefined;
}

/** True for an index entry nydusify marks as the Nydus image of a merged index. */
export function isNydusEntry(e: Descriptor): boolean {
  return e.platform?.["os.features"]?.includes(NYDUS_OS_FEATURE) === true;
}

/**
 * The index entry for `wanted` (default: linux on the host architecture). Without a wanted variant
 * any variant matches, the architecture's default first. Where an index carries an OCI and a Nydus
 * manifest for the same platform, `prefer` says which to take first.
 * @throws RegistryError `REGISTRY_BAD_IMAGE` naming the platforms the index has
 */
export function pickPlatform(
  entries: readonly Descriptor[],
  wanted: Platform | undefined,
  name: string,
  prefer: "nydus" | "plain",
): Descriptor {
  const want = wanted ?? hostPlatform();
  const variantOf = (p: Platform) => p.variant ?? defaultVariant(p.architecture);
  const matches = entries.filter((e) => {
    const p = e.platform;
    if (p === undefined || p.os !== want.os || p.architecture !== want.architecture) return false;
    return want.variant === undefined || variantOf(p) === variantOf(want);
  });
  const preferred = (e: Descriptor) => isNydusEntry(e) === (prefer === "nydus");
  const ranked = [
    ...matches.filter((e) => preferred(e) && variantOf(e.platform as Platform) === variantOf(want)),
    ...matches.filter(preferred),
    ...matches,
  ];
  const picked = ranked[0];
  if (picked === undefined) {
    const have = entries
      .map((e) => (e.platform === undefined ? "(no platform)" : formatPlatform(e.platform)))
      .join(", ");
    throw bad(`${name}: no image for ${formatPlatform(want)} in the index (it has: ${have || "nothing"})`);
  }
  return picked;
}
