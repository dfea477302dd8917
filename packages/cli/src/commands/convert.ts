// `rafscan convert SRC DEST [build options] [--platform OS/ARCH[/VARIANT]] [--username U]
// [--password P] [--insecure]`: converts a plain OCI/Docker image (an OCI layout or a registry
// reference) into a Nydus image written as an OCI layout or pushed to a registry.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  buildImage,
  type Descriptor,
  formatPlatform,
  type ImageLocation,
  MediaType,
  type Platform,
  parseImageLocation,
  pushImage,
  pushIndex,
  readImage,
  sourcePlatforms,
  writeOciIndex,
  writeOciLayout,
} from "@rafscan/builder";
import { parseReference, type RegistryAccess } from "@rafscan/registry";
import { humanBytes, type Io, note, progress, progressDone, writeJsonLine } from "../output.js";
import { plural } from "../parse-values.js";
import { UsageError } from "../usage-error.js";
import { type BuildArgs, buildOptions, buildSummary, buildTotals } from "./build.js";

/** Raw option values of `convert`, as parsed by main. */
export interface ConvertArgs extends Omit<BuildArgs, "src" | "out"> {
  readonly src: string;
  readonly dest: string;
  readonly platform: string | undefined;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly insecure: boolean;
  /** Credentials for SRC's registry only (`--src-creds`), and for DEST's (`--dest-creds`). */
  readonly srcCreds?: { readonly username: string; readonly password: string } | undefined;
  readonly destCreds?: { readonly username: string; readonly password: string } | undefined;
  /** The HTTP transport (timeouts, proxies, TLS). Default: undici's global dispatcher. */
  readonly dispatcher?: RegistryAccess["dispatcher"];
  /** Convert every platform of SRC's index and write a Nydus index (`--all-platforms`). */
  readonly allPlatforms?: boolean | undefined;
}

/** Parses `--platform os/arch[/variant]`. */
export function parsePlatform(text: string): Platform {
  const parts = text.split("/");
  const ok = parts.length >= 2 && parts.length <= 3 && parts.every((p) => /^[a-z0-9][a-z0-9._-]*$/.test(p));
  if (!ok) throw new UsageError(`--platform must be OS/ARCH[/VARIANT] (like linux/arm64/v8), not '${text}'`);
  const [os, architecture, variant] = parts as [string, string, string | undefined];
  return variant === undefined ? { os, architecture } : { os, architecture, variant };
}

/** SRC or DEST; a malformed one is a usage error, found before any work. */
function location(text: string, what: string): ImageLocation {
  try {
    return parseImageLocation(text);
  } catch (err) {
    throw new UsageError(`${what}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * Reads SRC (all layers merged in order, whiteouts applied), builds the Nydus image into a
 * temporary directory, writes or pushes it to DEST with SRC's config (env, cmd, labels, ...) and
 * removes the temporary directory. Progress on a terminal; a summary on stdout.
 */
export async function runConvert(args: ConvertArgs, json: boolean, io: Io): Promise<number> {
  const dest = location(args.dest, "DEST");
  const src = location(args.src, "SRC");
  // One set of credentials must not travel to a second registry the user did not mean it for.
  const bothSides = args.srcCreds === undefined || args.destCreds === undefined;
  if (args.username !== undefined && bothSides && src.kind === "registry" && dest.kind === "registry") {
    const a = parseReference(src.reference).registry;
    const b = parseReference(dest.reference).registry;
    if (a !== b) {
      throw new UsageError(
        `--username/--password would be sent to both ${a} and ${b}; give each its own with --src-creds and --dest-creds (or rely on the Docker config, read per registry)`,
      );
    }
  }
  const platform = args.platform === undefined ? undefined : parsePlatform(args.platform);
  if (platform !== undefined && args.allPlatforms === true)
    throw new UsageError("--platform and --all-platforms are exclusive");
  if (args.password !== undefined && args.username === undefined) {
    throw new UsageError("--password needs --username");
  }
  // Each side gets its own credentials: --src-creds/--dest-creds, else --username/--password (one
  // registry, checked above), else the Docker config's entry for that side's registry.
  const given = {
    ...(args.username === undefined ? {} : { username: args.username }),
    ...(args.password === undefined ? {} : { password: args.password }),
  };
  const common = {
    insecure: args.insecure,
    ...(args.dispatcher === undefined ? {} : { dispatcher: args.dispatcher }),
  };
  const srcAuth: RegistryAccess = { ...(args.srcCreds ?? given), ...common };
  const destAuth: RegistryAccess = { ...(args.destCreds ?? given), ...common };
  const started = performance.now();
  const work = await mkdtemp(join(tmpdir(), "rafscan-convert-"));
  try {
    // buildOptions checks the build options before anything is read.
    const options = buildOptions({ ...args, src: args.src, out: work });
    let layer = "";
    let files = 0;
    // Progress arrives per chunk and per file; a terminal needs a line a few times a second.
    let shown = 0;
    const show = (text: string) => {
      const now = performance.now();
      if (now - shown < 100) return;
      shown = now;
      progress(io, text);
    };
    // --all-platforms: every platform of SRC's index, each its own Nydus manifest, then one index.
    const platforms: (Platform | undefined)[] =
      args.allPlatforms === true ? await sourcePlatforms(args.src, srcAuth) : [platform];
    const multi = args.allPlatforms === true && platforms.length > 0;
    if (platforms.length === 0) platforms.push(undefined);
    const entries: Descriptor[] = [];
    for (const [i, wanted] of platforms.entries()) {
      const out = join(work, `p${i}`);
      const one = wanted === undefined ? options : buildOptions({ ...args, src: args.src, out });
      const source = await readImage(args.src, {
        ...srcAuth,
        ...(wanted === undefined ? {} : { platform: wanted }),
        onProgress: (p) => {
          layer = `${wanted === undefined ? "" : `${formatPlatform(wanted)} `}layer ${p.layer}/${p.layers}: ${humanBytes(p.bytes)} of ${humanBytes(p.total)}`;
          show(`${layer}, ${plural(files, "file")}`);
        },
      });
      const result = await buildImage(source.layers, {
        ...one,
        onProgress: (p) => {
          files = p.files;
          show(`${layer}, ${plural(files, "file")}`);
        },
      });
      progress(io, "packaging");
      const built = { bootstrap: result.bootstrap, blobs: result.blobs, fsVersion: result.fsVersion };
      const image = {
        baseConfig: source.config,
        ...(wanted === undefined ? {} : { platform: wanted }),
        ...(multi ? { untagged: true } : {}),
      };
      let written: { manifestDigest: string; manifestSize: number; platform: Platform };
      if (dest.kind === "layout") {
        const tag = dest.tag ?? "latest";
        written = await writeOciLayout(built, dest.dir, { ...image, tag });
      } else {
        written = await pushImage(built, dest.reference, {
          ...image,
          ...destAuth,
          onProgress: (p) =>
            show(`pushing ${p.blob.slice(7, 19)}: ${humanBytes(p.bytes)} of ${humanBytes(p.total)}`),
        });
      }
      const manifestDigest = written.manifestDigest;
      entries.push({
        mediaType: MediaType.IMAGE_MANIFEST,
        digest: manifestDigest,
        size: written.manifestSize,
        platform: written.platform,
      });
      progressDone(io);
      const seconds = (performance.now() - started) / 1000;
      // Which platform was converted: without --all-platforms, an index's others are not.
      const convertedPlatform = formatPlatform(written.platform);
      const summary = {
        source: source.name,
        platform: convertedPlatform,
        sourceManifest: source.manifestDigest,
        sourceLayers: source.layers.length,
        destination: dest.kind === "layout" ? `oci:${dest.dir}:${dest.tag ?? "latest"}` : dest.reference,
        manifestDigest,
        fsVersion: result.fsVersion,
        ...buildSummary(result, seconds),
      };
      if (json) writeJsonLine(io, summary);
      else {
        io.stdout.write(
          `converted ${summary.source} (platform ${convertedPlatform}, ${plural(summary.sourceLayers, "layer")}) to ${summary.destination}: ` +
            `manifest ${manifestDigest}, ${plural(summary.files, "file")}, ${buildTotals(result, seconds)}\n`,
        );
      }
    }
    if (multi) {
      const index =
        dest.kind === "layout"
          ? await writeOciIndex(dest.dir, entries, dest.tag ?? "latest")
          : await pushIndex(entries, dest.reference, destAuth);
      const destination = dest.kind === "layout" ? `oci:${dest.dir}:${dest.tag ?? "latest"}` : dest.reference;
      const names = entries.map((e) => formatPlatform(e.platform as Platform));
      if (json) writeJsonLine(io, { destination, index, platforms: names });
      else io.stdout.write(`wrote index ${index} to ${destination}: ${names.join(", ")}\n`);
    } else if (!json && args.allPlatforms !== true) {
      note(io, "rafscan: converted one platform; --all-platforms converts every platform of an index");
    }
    return 0;
  } finally {
    progressDone(io);
    await rm(work, { recursive: true, force: true });
  }
}
