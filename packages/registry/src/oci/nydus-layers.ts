// Tells a Nydus image from a plain one by its layers (reference section 6.1; nydus-snapshotter
// pkg/converter): data blobs have the `nydus.blob.v1` media type or the `nydus-blob` annotation;
// the bootstrap layer is the last layer, annotated `nydus-bootstrap: "true"`.
import { RegistryError, RegistryErrorCode } from "../errors.js";
import type { Descriptor } from "./descriptor.js";
import type { ImageManifest } from "./document.js";

export const NYDUS_BLOB_MEDIA_TYPE = "application/vnd.oci.image.layer.nydus.blob.v1";
export const NYDUS_BOOTSTRAP_ANNOTATION = "containerd.io/snapshot/nydus-bootstrap";
export const NYDUS_BLOB_ANNOTATION = "containerd.io/snapshot/nydus-blob";
export const NYDUS_FS_VERSION_ANNOTATION = "containerd.io/snapshot/nydus-fs-version";

/** The layers of a Nydus image. */
export interface NydusLayers {
  /** The bootstrap layer: a tar.gz holding `image/image.boot`. */
  readonly bootstrap: Descriptor;
  /** Data blob layers by blob id (the hex of their sha256 digest, as the bootstrap names them). */
  readonly blobs: ReadonlyMap<string, Descriptor>;
}

/** True for a layer that holds a RAFS data blob. */
function isBlob(l: Descriptor): boolean {
  return l.mediaType === NYDUS_BLOB_MEDIA_TYPE || l.annotations?.[NYDUS_BLOB_ANNOTATION] === "true";
}

/**
 * The Nydus layers of `manifest`, or undefined when it is a plain image (no Nydus blob and no
 * bootstrap annotation).
 * @throws RegistryError `REGISTRY_BAD_IMAGE` when it is Nydus-like but has no bootstrap layer
 */
export function nydusLayers(manifest: ImageManifest, name: string): NydusLayers | undefined {
  const layers = manifest.layers;
  const annotated = layers.filter((l) => l.annotations?.[NYDUS_BOOTSTRAP_ANNOTATION] === "true");
  const blobLayers = layers.filter(isBlob);
  if (annotated.length === 0 && blobLayers.length === 0) return undefined;
  // Converters put the bootstrap last; an unannotated last gzip layer after blob layers is one too.
  const last = layers[layers.length - 1];
  const bootstrap =
    annotated[annotated.length - 1] ??
    (last !== undefined && !isBlob(last) && /tar\+gzip|tar\.gzip/.test(last.mediaType) ? last : undefined);
  if (bootstrap === undefined) {
    throw new RegistryError(
      RegistryErrorCode.BAD_IMAGE,
      `${name} has Nydus blob layers but no bootstrap layer (none annotated ${NYDUS_BOOTSTRAP_ANNOTATION})`,
    );
  }
  const blobs = new Map<string, Descriptor>();
  for (const l of blobLayers) {
    const [algorithm, hex] = l.digest.split(":");
    if (algorithm === "sha256" && hex !== undefined) blobs.set(hex, l);
  }
  return { bootstrap, blobs };
}

/** A one-line description of a manifest's layer media types, for "not a Nydus image" errors. */
export function describeLayers(manifest: ImageManifest): string {
  const counts = new Map<string, number>();
  for (const l of manifest.layers) counts.set(l.mediaType, (counts.get(l.mediaType) ?? 0) + 1);
  return [...counts].map(([t, n]) => `${n} × ${t}`).join(", ") || "no layers";
}
