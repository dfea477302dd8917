// Turns the IMAGE argument and image options into an open Image: a local bootstrap or build output
// directory, `oci:DIR[:TAG]`, or a registry reference; with no IMAGE, the built sample.
import { existsSync } from "node:fs";
import { isLocalTransport, openLocalImage, plainImageOpener } from "@rafscan/builder";
import { openImage, type RegistryAccess } from "@rafscan/registry";
import type { Image } from "@rafscan/vfs";
import { type Io, note } from "./output.js";
import { plural } from "./parse-values.js";
import { sampleImage } from "./sample.js";
import { UsageError } from "./usage-error.js";

/** Options shared by every command that opens an image. */
export interface ImageArgs {
  readonly image: string | undefined;
  readonly blobDir?: string | undefined;
  readonly blob?: readonly string[] | undefined;
  readonly noVerify?: boolean | undefined;
  readonly platform?: string | undefined;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  readonly insecure?: boolean | undefined;
  readonly cacheDir?: string | undefined;
  /** Refuse plain (non-Nydus) images instead of downloading their layers. */
  readonly noFallback?: boolean | undefined;
  /** The HTTP transport (timeouts, proxies, TLS; see network-args.ts). Default: undici's global one. */
  readonly dispatcher?: RegistryAccess["dispatcher"];
  /** Aborts opening (the command's --timeout). */
  readonly signal?: AbortSignal | undefined;
}

/**
 * True when IMAGE names a registry image or layout rather than a local file. As with Docker, a
 * bare name (`alpine`, `alpine:3.20`) is a Docker Hub image unless a path of that name exists.
 */
export function isRemoteName(image: string): boolean {
  if (image.startsWith("oci:")) return true;
  if (isLocalTransport(image)) return false;
  if (/^(?:\/|\.\.?\/|~)/.test(image) || existsSync(image)) return false;
  // The distribution reference grammar, loosely: lowercase path components, optional tag/digest.
  return /^[a-z0-9][a-z0-9._:/@-]*$/i.test(image) && !image.endsWith("/");
}

/** Opens IMAGE, or the sample when it is undefined (a note goes to stderr). */
export async function openImageArg(args: ImageArgs, io: Io): Promise<Image> {
  // Options are checked before the sample is built: a usage error must not cost a build.
  if (args.password !== undefined && args.username === undefined)
    throw new UsageError("--password needs --username");
  let image = args.image;
  if (image === undefined) {
    image = await sampleImage();
    note(io, `rafscan: no IMAGE given, using the sample image built by @rafscan/builder in ${image}`);
  }
  if (!isLocalTransport(image) && !isRemoteName(image) && !existsSync(image))
    throw new UsageError(`IMAGE not found: ${image}`);
  const auth = {
    ...(args.username === undefined ? {} : { username: args.username }),
    ...(args.password === undefined ? {} : { password: args.password }),
    insecure: args.insecure === true,
    ...(args.dispatcher === undefined ? {} : { dispatcher: args.dispatcher }),
  };
  let warned = false;
  const open = isLocalTransport(image) ? openLocalImage : openImage;
  return open(image, {
    ...auth,
    verify: !args.noVerify,
    ...(args.blobDir === undefined ? {} : { blobDir: args.blobDir }),
    ...(args.blob === undefined ? {} : { devices: args.blob }),
    ...(args.platform === undefined ? {} : { platform: args.platform }),
    ...(args.cacheDir === undefined ? {} : { cacheDir: args.cacheDir }),
    ...(args.signal === undefined ? {} : { signal: args.signal }),
    onWarning: (message: string) => io.stderr.write(`rafscan: warning: ${message}\n`),
    ...(args.noFallback === true
      ? {}
      : {
          plainImage: (plain) => {
            if (!warned) {
              warned = true;
              note(
                io,
                `rafscan: ${image} is not a Nydus image; downloading its ${plural(plain.manifest.layers.length, "layer")} to read it`,
              );
            }
            return plainImageOpener(auth)(plain);
          },
        }),
  });
}
