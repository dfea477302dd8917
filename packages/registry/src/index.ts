// Public API of @rafscan/registry: image references and a small OCI distribution (v2) client.

export {
  type BodyFactory,
  type CallOptions,
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
