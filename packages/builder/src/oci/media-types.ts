// Media types and annotations of a Nydus image in OCI form, named as in nydus-snapshotter
// `pkg/converter/constant.go` and nydusify `pkg/utils/constant.go` (reference section 6.1).

/** The OCI media types a Nydus image uses. */
export const MediaType = {
  IMAGE_INDEX: "application/vnd.oci.image.index.v1+json",
  IMAGE_MANIFEST: "application/vnd.oci.image.manifest.v1+json",
  IMAGE_CONFIG: "application/vnd.oci.image.config.v1+json",
  /** The bootstrap layer: a gzip'd tar holding `image/image.boot`. */
  LAYER_GZIP: "application/vnd.oci.image.layer.v1.tar+gzip",
  /** A RAFS data blob, stored as is (not a tar, not compressed as a whole). */
  NYDUS_BLOB: "application/vnd.oci.image.layer.nydus.blob.v1",
} as const;

/** Layer and index annotations. */
export const Annotation = {
  /** `"true"` on the bootstrap layer; with a gzip media type on the last layer it marks a Nydus image. */
  NYDUS_BOOTSTRAP: "containerd.io/snapshot/nydus-bootstrap",
  /** `"5"` or `"6"` on the bootstrap layer. */
  NYDUS_FS_VERSION: "containerd.io/snapshot/nydus-fs-version",
  /** `"true"` on each data blob layer. */
  NYDUS_BLOB: "containerd.io/snapshot/nydus-blob",
  /** The tag of a manifest in an OCI layout's index.json. */
  REF_NAME: "org.opencontainers.image.ref.name",
} as const;

/** Where the bootstrap sits in the bootstrap layer's tar. */
export const BOOTSTRAP_DIR = "image/";
export const BOOTSTRAP_ENTRY = "image/image.boot";

/** The history comment nydus-snapshotter gives the bootstrap layer; kept so tools recognise it. */
export const BOOTSTRAP_HISTORY_COMMENT = "Nydus Bootstrap Layer";
