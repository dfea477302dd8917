// Public API of @rafscan/builder: build RAFS images from directories, tar layers and OCI images.

export { BuildError, type BuildResult, buildImage } from "./build.js";
export type { BuildOptions, BuildProgress } from "./build-options.js";
export * from "./oci/index.js";
export type { EntrySource, SourceEntry } from "./source.js";
export type { FinishedBlob } from "./writer/blob-writer.js";
