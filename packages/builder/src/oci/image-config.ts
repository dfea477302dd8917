// The image config and manifest of a Nydus image (reference 6.1): data blob layers in blob-table
// order, the bootstrap layer last; diff ids per layer; a history that stays consistent with them.
import { type Descriptor, hostPlatform, type Platform } from "@rafscan/registry";
import { BuildError } from "../input/build-error.js";
import { Annotation, BOOTSTRAP_HISTORY_COMMENT, MediaType } from "./media-types.js";

export type { Descriptor, Platform } from "@rafscan/registry";
export { hostPlatform } from "@rafscan/registry";

type Json = Record<string, unknown>;

/** The platform: the option, else the base config's, else the host's. */
export function resolvePlatform(option: Platform | undefined, base: Json | undefined): Platform {
  if (option !== undefined) {
    if (
      typeof option.os !== "string" ||
      option.os === "" ||
      typeof option.architecture !== "string" ||
      option.architecture === ""
    ) {
      throw new BuildError("BUILD_OPTION", "platform needs a non-empty os and architecture");
    }
    return option;
  }
  if (base !== undefined && typeof base.os === "string" && typeof base.architecture === "string") {
    return {
      os: base.os,
      architecture: base.architecture,
      ...(typeof base.variant === "string" ? { variant: base.variant } : {}),
    };
  }
  return hostPlatform();
}

/** Checks that a base config is a JSON object whose history, if any, is a list of objects. */
export function checkBaseConfig(base: unknown): Json | undefined {
  if (base === undefined) return undefined;
  if (typeof base !== "object" || base === null || Array.isArray(base)) {
    throw new BuildError("BUILD_OPTION", "baseConfig must be an image config object");
  }
  const history = (base as Json).history;
  if (
    history !== undefined &&
    (!Array.isArray(history) || history.some((h) => typeof h !== "object" || h === null))
  ) {
    throw new BuildError("BUILD_OPTION", "baseConfig.history must be a list of objects");
  }
  return base as Json;
}

/**
 * The image config. Everything in the base config (env, cmd, labels, created, ...) is kept except
 * `rootfs`, which lists this image's layers, and `history`: the OCI spec pairs each history entry
 * without `empty_layer` with one layer, so the base history is kept as it is only when it pairs with
 * the blobs one to one; otherwise its entries become `empty_layer` ones followed by one entry per
 * blob. Either way the bootstrap gets the entry nydus-snapshotter gives it. No timestamps are added,
 * so the config depends on the input only.
 */
export function imageConfig(base: Json | undefined, platform: Platform, diffIds: readonly string[]): Json {
  const blobCount = diffIds.length - 1;
  const baseHistory = (base?.history as Json[] | undefined) ?? [];
  const filled = baseHistory.filter((h) => h.empty_layer !== true).length;
  const history =
    baseHistory.length > 0 && filled === blobCount
      ? [...baseHistory]
      : [
          ...baseHistory.map((h) => ({ ...h, empty_layer: true })),
          ...Array.from({ length: blobCount }, () => ({
            created_by: "rafscan build",
            comment: "Nydus Blob Layer",
          })),
        ];
  history.push({ created_by: "rafscan build", comment: BOOTSTRAP_HISTORY_COMMENT });
  const config: Json = { ...base, architecture: platform.architecture, os: platform.os };
  if (platform.variant !== undefined) config.variant = platform.variant;
  else delete config.variant;
  config.rootfs = { type: "layers", diff_ids: [...diffIds] };
  config.history = history;
  return config;
}

/** A blob layer's descriptor. The blob is stored as is, so its diff id is its own digest. */
export function blobLayer(digest: string, size: number): Descriptor {
  return { mediaType: MediaType.NYDUS_BLOB, digest, size, annotations: { [Annotation.NYDUS_BLOB]: "true" } };
}

/** The bootstrap layer's descriptor. */
export function bootstrapLayer(digest: string, size: number, fsVersion: 5 | 6): Descriptor {
  return {
    mediaType: MediaType.LAYER_GZIP,
    digest,
    size,
    annotations: {
      [Annotation.NYDUS_BOOTSTRAP]: "true",
      [Annotation.NYDUS_FS_VERSION]: String(fsVersion),
    },
  };
}

/** The image manifest: layers in order, bootstrap last. */
export function imageManifest(config: Descriptor, layers: readonly Descriptor[]): Json {
  return { schemaVersion: 2, mediaType: MediaType.IMAGE_MANIFEST, config, layers };
}
