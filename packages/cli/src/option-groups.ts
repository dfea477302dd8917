// Option groups shared by several commands, defined once: image opening, registry access and
// build settings. A command attaches the groups it uses; options it does not declare are refused.
import { type Command, Option } from "commander";
import { parseDuration } from "./network-args.js";
import type { ImageArgs } from "./open-arg.js";
import { parsePlatform } from "./parse-values.js";

/** Options whose values collect into an array (`--blob A --blob B`; comma-separated in env). */
export const REPEATABLE = new WeakSet<Option>();

/** An option that may be given several times; its value is the array of all given. */
export function repeatable(flags: string, description: string): Option {
  const option = new Option(flags, description).argParser((v: string, prev: unknown) => [
    ...((prev as string[] | undefined) ?? []),
    v,
  ]);
  REPEATABLE.add(option);
  return option;
}

/** An option whose value is checked while parsing (so a bad value fails before any work). */
export function checked(flags: string, description: string, check: (value: string) => unknown): Option {
  return new Option(flags, description).argParser((v: string) => {
    check(v);
    return v;
  });
}

/** Registry access: platform choice and credentials (commands that talk to registries). */
export function addRegistryOptions(cmd: Command): Command {
  const group = "Registry options:";
  for (const o of [
    checked(
      "--platform <OS/ARCH>",
      "OS/ARCH[/VARIANT] to pick from an image index (default linux/host arch)",
      parsePlatform,
    ),
    new Option(
      "--username <U>",
      "registry user (default: ~/.docker/config.json, credential helpers, anonymous)",
    ),
    new Option("--password <P>", "registry password or token (needs --username)"),
    new Option("--insecure", "plain HTTP to the registries"),
    new Option("--password-stdin", "read the password from standard input"),
    checked(
      "--timeout <DURATION>",
      "deadline of the whole command: 30s, 5m, 0 for none (default 5m with a registry)",
      (v) => parseDuration(v, "--timeout"),
    ),
    repeatable("--ca-cert <FILE>", "trust this PEM CA for registries, besides the system ones (repeatable)"),
    new Option(
      "--insecure-skip-tls-verify",
      "accept any TLS certificate (DANGEROUS: anyone on the path can read and change what is fetched)",
    ),
  ]) {
    cmd.addOption(o.helpGroup(group));
  }
  return cmd;
}

/** `--cache-dir`: the shared disk cache of fetched bootstraps, configs and chunks. */
export function addCacheOption(cmd: Command): Command {
  return cmd.addOption(
    new Option(
      "--cache-dir <DIR>",
      "keep fetched bootstraps, configs and chunks in DIR, shared across images",
    ).helpGroup("Registry options:"),
  );
}

/** Opening IMAGE: blob locations, verification, registry access, cache, fallback and telemetry. */
export function addImageOptions(cmd: Command): Command {
  const group = "Image options:";
  for (const o of [
    new Option(
      "--blob-dir <DIR>",
      "where RAFS data blobs are, as DIR/<blob id> (default: blobs/ beside IMAGE)",
    ),
    repeatable("--blob <FILE>", "an EROFS extra device, in device order (repeatable)"),
    new Option("--no-verify", "do not check chunk digests"),
    new Option("--no-fallback", "refuse a plain (non-Nydus) image instead of downloading its layers"),
    new Option("--stats", "print what reading the image cost (bytes, requests, time) to stderr"),
  ]) {
    cmd.addOption(o.helpGroup(group));
  }
  return addCacheOption(addRegistryOptions(cmd));
}

/** The raw values of the image option group (commander's attribute names). */
export interface ImageOptionValues {
  readonly blobDir?: string;
  readonly blob?: string[];
  readonly verify?: boolean;
  readonly platform?: string;
  readonly username?: string;
  readonly password?: string;
  readonly insecure?: boolean;
  readonly passwordStdin?: boolean;
  readonly timeout?: string;
  readonly caCert?: string[];
  readonly insecureSkipTlsVerify?: boolean;
  readonly cacheDir?: string;
  readonly fallback?: boolean;
  readonly stats?: boolean;
}

/** ImageArgs for IMAGE from the parsed image options. */
export function imageArgs(image: string | undefined, o: ImageOptionValues): ImageArgs {
  return {
    image,
    blobDir: o.blobDir,
    blob: o.blob,
    noVerify: o.verify === false,
    platform: o.platform,
    username: o.username,
    password: o.password,
    insecure: o.insecure === true,
    cacheDir: o.cacheDir,
    noFallback: o.fallback === false,
  };
}

/** Build settings shared by `build` and `convert`. */
export function addBuildOptions(cmd: Command): Command {
  const group = "Build options:";
  for (const o of [
    new Option("--fs-version <N>", "RAFS version 5 or 6 (default 6)"),
    new Option("--compressor <C>", "none, lz4_block, zstd or gzip (default zstd)"),
    new Option("--digester <D>", "blake3 or sha256 (default blake3)"),
    new Option("--chunk-size <N>", "power of two from 4K to 16M (default 1M)"),
    repeatable("--prefetch <PATH>", "list PATH in the prefetch table (repeatable)"),
  ]) {
    cmd.addOption(o.helpGroup(group));
  }
  return cmd;
}

/** The raw values of the build option group. */
export interface BuildOptionValues {
  readonly fsVersion?: string;
  readonly compressor?: string;
  readonly digester?: string;
  readonly chunkSize?: string;
  readonly prefetch?: string[];
}

/** BuildArgs fields from the parsed build options. */
export function buildArgs(o: BuildOptionValues) {
  return {
    fsVersion: o.fsVersion,
    compressor: o.compressor,
    digester: o.digester,
    chunkSize: o.chunkSize,
    prefetch: o.prefetch,
  };
}
