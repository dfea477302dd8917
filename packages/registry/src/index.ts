// Public API of @rafscan/registry: image references and a small OCI distribution (v2) client
// (push, and pull of manifests and verified blob streams).

export {
  type BodyFactory,
  type CallOptions,
  type FetchedManifest,
  type GetBlobOptions,
  type GetManifestOptions,
  MANIFEST_MEDIA_TYPES,
  MAX_MANIFEST_SIZE,
  RegistryClient,
  type RegistryClientOptions,
} from "./client.js";
export { isRegistryError, RegistryError, RegistryErrorCode, type RegistryErrorOptions } from "./errors.js";
export {
  DOCKER_HUB,
  DOCKER_HUB_ENDPOINT,
  formatReference,
  type ImageReference,
  parseReference,
} from "./reference.js";
