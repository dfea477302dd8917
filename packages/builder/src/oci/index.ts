// The OCI side of @rafscan/builder: a built Nydus image as an OCI image layout or pushed to a registry,
// and plain OCI/Docker images read as build input.

export type { Descriptor, Platform } from "./image-config.js";
export {
  imageIndex,
  type OciImageResult,
  type OciLayoutOptions,
  writeOciIndex,
  writeOciLayout,
} from "./layout.js";
export * from "./local-images.js";
export { Annotation, MediaType } from "./media-types.js";
export { type PlainImageOptions, plainImageOpener } from "./open-plain.js";
export type { BuiltImage, OciImageOptions } from "./prepare.js";
export { type PushOptions, type PushProgress, pushImage, pushIndex } from "./push.js";
export {
  formatPlatform,
  type ImageLocation,
  type LayerProgress,
  parseImageLocation,
  type ReadImageOptions,
  readImage,
  type SourceImage,
  sourcePlatforms,
} from "./read-image.js";
