// `rafscan pull-meta REF DIR`: saves an image's metadata for offline use: the bootstrap (so
// `rafscan ls DIR`, `stat`, `inspect` work without the registry), the manifest, the config, and
// where each data blob lives.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fetchMetadata, formatPlatform } from "@rafscan/registry";
import type { ImageArgs } from "../open-arg.js";
import { humanBytes, type Io, writeJsonLine } from "../output.js";
import { plural } from "../parse-values.js";
import { UsageError } from "../usage-error.js";

/** Fetches and writes DIR/{bootstrap,manifest.json,config.json,image.json}. */
export async function runPullMeta(
  ref: string,
  dir: string,
  args: ImageArgs,
  json: boolean,
  io: Io,
): Promise<number> {
  if (args.password !== undefined && args.username === undefined)
    throw new UsageError("--password needs --username");
  const meta = await fetchMetadata(ref, {
    ...(args.username === undefined ? {} : { username: args.username }),
    ...(args.password === undefined ? {} : { password: args.password }),
    insecure: args.insecure === true,
    ...(args.dispatcher === undefined ? {} : { dispatcher: args.dispatcher }),
    ...(args.signal === undefined ? {} : { signal: args.signal }),
    ...(args.platform === undefined ? {} : { platform: args.platform }),
    ...(args.cacheDir === undefined ? {} : { cacheDir: args.cacheDir }),
  });
  if (meta.layers === undefined || meta.bootstrap === undefined) {
    throw Object.assign(new Error(`${meta.name} is not a Nydus image: it has no bootstrap to save`), {
      code: "REGISTRY_NOT_NYDUS",
    });
  }
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "bootstrap"), meta.bootstrap);
  await writeFile(join(dir, "manifest.json"), meta.manifestBytes);
  if (meta.configBytes !== undefined) await writeFile(join(dir, "config.json"), meta.configBytes);
  const blobs = Object.fromEntries([...meta.layers.blobs].map(([id, d]) => [id, d]));
  const summary = {
    image: meta.name,
    manifestDigest: meta.manifestDigest,
    ...(meta.platform === undefined ? {} : { platform: formatPlatform(meta.platform) }),
    dir,
    bootstrapBytes: meta.bootstrap.length,
    blobs: meta.layers.blobs.size,
    imageBytes: meta.manifest.layers.reduce((n, l) => n + l.size, 0),
    bytesFetched: meta.stats.otherBytes + meta.stats.rangeBytes,
    requests: meta.stats.otherRequests + meta.stats.rangeRequests,
  };
  await writeFile(
    join(dir, "image.json"),
    `${JSON.stringify({ ...summary, bootstrapLayer: meta.layers.bootstrap, blobLayers: blobs }, null, 2)}\n`,
  );
  if (json) writeJsonLine(io, summary);
  else {
    io.stdout.write(
      `${meta.name} (${meta.manifestDigest}): bootstrap ${humanBytes(summary.bootstrapBytes)}, ` +
        `${plural(summary.blobs, "blob")} (${humanBytes(summary.imageBytes)} in all) -> ${dir}\n` +
        `fetched ${humanBytes(summary.bytesFetched)} in ${plural(summary.requests, "request")}\n`,
    );
  }
  return 0;
}
