// Where an opened image came from, as its opener describes it: a name for messages and reports,
// and for remote images the manifest, the config and live transport counters.

/** What an image opener knows about the image beyond its bootstrap. */
export interface ImageOrigin {
  /** What the user named: a registry reference, `oci:DIR:TAG`, or a bootstrap path. */
  readonly name: string;
  /** `registry`, `layout` (an OCI image layout) or `local` (bootstrap and blob files). */
  readonly kind: "registry" | "layout" | "local";
  /** Digest of the image manifest, for images read from a registry or layout. */
  readonly manifestDigest?: string;
  /** Compressed size of the whole image: every layer (bootstrap and data blobs). */
  readonly imageBytes?: number;
  /** The image config (env, user, exposed ports, ...), when the opener read it. */
  readonly config?: Readonly<Record<string, unknown>>;
  /**
   * Transport counters (requests, bytes on the wire, time waiting on the network, ...), read
   * live: the object changes as the image is read.
   */
  readonly transport?: Readonly<Record<string, number>>;
  /** Set when the image is not a Nydus image and was read by downloading its layers. */
  readonly converted?: boolean;
  /**
   * What the image really is when that is not its bootstrap's format: `oci` for a plain OCI image
   * read by conversion, `dir` for a directory tree. Reports show it instead of `rafs-v6`.
   */
  readonly format?: string;
}
