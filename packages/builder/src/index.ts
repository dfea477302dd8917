// Public API of @rafscan/builder: build RAFS images from directories, tar layers and OCI images.
export { type BuildResult, buildImage } from "./build.js";
export type { BuildOptions, BuildProgress } from "./build-options.js";
export {
  BuildError,
  BuildErrorCode,
  type BuildWarning,
  BuildWarningCode,
  isBuildError,
  type WarningHandler,
} from "./input/build-error.js";
export { LayerTree, type TreeEntry, type TreeNode } from "./input/merge-layers.js";
export { type ReadDirectoryOptions, readDirectory } from "./input/read-directory.js";
export { DEFAULT_TAR_LIMITS, MAX_TAR_META_SIZE, type ReadTarOptions, readTar } from "./input/read-tar.js";
export * from "./oci/index.js";
export { SafeRoot } from "./output/safe-write.js";
export type { EntrySource, SourceEntry } from "./source.js";
export type { FinishedBlob } from "./writer/blob-writer.js";
