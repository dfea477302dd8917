// Public API of @rafscan/registry: image references, an OCI distribution (v2) client with Basic and
// bearer-token auth, OCI image stores (registry and `oci:DIR` layouts), and ranged blob sources.

export { type AuthChallenge, parseChallenge } from "./auth-challenge.js";
export {
  type BodyFactory,
  type CallOptions,
  type FetchedManifest,
  type GetBlobOptions,
  type GetManifestOptions,
  MANIFEST_MEDIA_TYPES,
  MAX_MANIFEST_SIZE,
  type RangeAnswer,
  RegistryClient,
  type RegistryClientOptions,
} from "./client.js";
export { type PlannedRequest, type PlanOptions, planRequests, type WantedRange } from "./coalesce.js";
export { type Credentials, type DockerCredentialsOptions, dockerCredentials } from "./credentials.js";
export { DiskCache } from "./disk-cache.js";
export { isRegistryError, RegistryError, RegistryErrorCode, type RegistryErrorOptions } from "./errors.js";
export { Limiter } from "./limiter.js";
export { extractBootstrap } from "./oci/bootstrap-layer.js";
export {
  checkDescriptor,
  type Descriptor,
  formatPlatform,
  hostPlatform,
  type Platform,
  parsePlatform,
} from "./oci/descriptor.js";
export {
  CONFIG_MEDIA_TYPES,
  type FetchedDocument,
  IMAGE_MANIFEST_MEDIA_TYPES,
  type ImageIndex,
  type ImageManifest,
  INDEX_MEDIA_TYPES,
  isNydusEntry,
  NYDUS_OS_FEATURE,
  parseImageDocument,
  pickPlatform,
} from "./oci/document.js";
export {
  describeLayers,
  NYDUS_BLOB_ANNOTATION,
  NYDUS_BLOB_MEDIA_TYPE,
  NYDUS_BOOTSTRAP_ANNOTATION,
  NYDUS_FS_VERSION_ANNOTATION,
  type NydusLayers,
  nydusLayers,
} from "./oci/nydus-layers.js";
export {
  type ImageLocation,
  type ImageStore,
  layoutBlobPath,
  layoutStore,
  MAX_MANIFEST_BYTES,
  parseImageLocation,
  type ResolvedManifest,
  readSmallBlob,
  registryStore,
  resolveManifest,
} from "./oci/store.js";
export {
  fetchMetadata,
  type ImageMetadata,
  type OpenImageOptions,
  openImage,
  type PlainImage,
} from "./open-image.js";
export { type RangeSourceOptions, RegistryBlobSource } from "./range-source.js";
export {
  DOCKER_HUB,
  DOCKER_HUB_ENDPOINT,
  formatReference,
  type ImageReference,
  parseReference,
} from "./reference.js";
export { type RegistryAccess, registryClientOptions } from "./registry-access.js";
export { NetworkClock, newRemoteStats, type RemoteStats } from "./remote-stats.js";
export { backoffMs, parseRetryAfter, type RetryOptions } from "./retry.js";
export {
  createTransport,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_REQUEST_IDLE_TIMEOUT_MS,
  defaultTransport,
  networkErrorHint,
  type TransportOptions,
} from "./transport.js";
