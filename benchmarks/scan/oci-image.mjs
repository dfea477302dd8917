// @ts-check
// The baseline's image: a plain OCI image whose layers are tar.gz files made with GNU tar and gzip,
// as `docker build` makes them, pushed with our RegistryClient. The manifest and config follow the
// OCI image spec (https://github.com/opencontainers/image-spec: manifest.md, config.md); the config
// holds only what a pull needs (platform and rootfs.diff_ids).
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

const MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json";
const CONFIG_TYPE = "application/vnd.oci.image.config.v1+json";
const LAYER_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip";

/**
 * @typedef {object} TarGzLayer
 * @property {string} path  the .tar.gz file
 * @property {string} digest  `sha256:` of the compressed bytes (the blob)
 * @property {number} size  compressed bytes
 * @property {string} diffId  `sha256:` of the uncompressed tar
 * @property {number} tarBytes  uncompressed bytes
 */

/**
 * Writes `dir` as a gzip'd tar layer: `tar --numeric-owner -C dir -cf - .` piped through
 * `gzip -n` (level 6, gzip's default and close to what docker's Go gzip writes), hashing both
 * streams on the way. Fails past `limitMs`.
 * @param {string} dir
 * @param {string} path
 * @param {number} [limitMs]  default 10 minutes
 * @returns {Promise<TarGzLayer>}
 */
export async function writeTarGzLayer(dir, path, limitMs = 600_000) {
  const tar = spawn("tar", ["--numeric-owner", "--sort=name", "-C", dir, "-cf", "-", "."], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const gzip = spawn("gzip", ["-n", "-6", "-c"], { stdio: ["pipe", "pipe", "pipe"] });
  const timer = setTimeout(() => {
    tar.kill("SIGKILL");
    gzip.kill("SIGKILL");
  }, limitMs);
  let stderr = "";
  for (const c of [tar, gzip]) {
    c.stderr?.on("data", (/** @type {Buffer} */ d) => {
      stderr = (stderr + d.toString("utf8")).slice(-4000);
    });
  }
  const tarHash = createHash("sha256");
  const gzHash = createHash("sha256");
  let tarBytes = 0;
  let size = 0;
  const exitOf = (/** @type {import("node:child_process").ChildProcess} */ c) =>
    new Promise((resolve) => c.once("close", (code, sig) => resolve(code ?? sig)));
  const exits = Promise.all([exitOf(tar), exitOf(gzip)]);
  try {
    await Promise.all([
      pipeline(
        tar.stdout,
        async function* (/** @type {AsyncIterable<any>} */ source) {
          for await (const chunk of source) {
            tarHash.update(chunk);
            tarBytes += chunk.length;
            yield chunk;
          }
        },
        /** @type {NodeJS.WritableStream} */ (gzip.stdin),
      ),
      pipeline(
        /** @type {NodeJS.ReadableStream} */ (gzip.stdout),
        async function* (/** @type {AsyncIterable<any>} */ source) {
          for await (const chunk of source) {
            gzHash.update(chunk);
            size += chunk.length;
            yield chunk;
          }
        },
        createWriteStream(path),
      ),
    ]);
    const codes = await exits;
    if (codes.some((c) => c !== 0)) throw new Error(`tar | gzip exited with ${codes.join(", ")}: ${stderr}`);
  } finally {
    clearTimeout(timer);
  }
  return {
    path,
    digest: `sha256:${gzHash.digest("hex")}`,
    size,
    diffId: `sha256:${tarHash.digest("hex")}`,
    tarBytes,
  };
}

/**
 * Pushes an image made of `layers` (bottom first) to `host/repository:tag` over plain HTTP: the
 * layer blobs, a minimal config, then the OCI manifest. Returns the manifest digest and the
 * image's compressed size (layers + config, what a pull downloads besides the manifest).
 * @param {any} RegistryClient  the class from @rafscan/registry
 * @param {string} host
 * @param {string} repository
 * @param {string} tag
 * @param {readonly TarGzLayer[]} layers
 * @param {AbortSignal} signal
 */
export async function pushOciImage(RegistryClient, host, repository, tag, layers, signal) {
  const client = new RegistryClient(host, { insecure: true });
  for (const l of layers) {
    if (await client.hasBlob(repository, l.digest, { signal })) continue;
    await client.uploadBlob(
      repository,
      l.digest,
      l.size,
      () => createReadStream(l.path, { highWaterMark: 1 << 20 }),
      { signal },
    );
  }
  const config = Buffer.from(
    JSON.stringify({
      architecture: ociArch(process.arch),
      os: "linux",
      config: {},
      rootfs: { type: "layers", diff_ids: layers.map((l) => l.diffId) },
    }),
  );
  const configDigest = `sha256:${createHash("sha256").update(config).digest("hex")}`;
  await client.uploadBlob(repository, configDigest, config.length, () => Readable.from([config]), { signal });
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MANIFEST_TYPE,
      config: { mediaType: CONFIG_TYPE, digest: configDigest, size: config.length },
      layers: layers.map((l) => ({ mediaType: LAYER_TYPE, digest: l.digest, size: l.size })),
    }),
  );
  const manifestDigest = await client.putManifest(repository, tag, MANIFEST_TYPE, manifest, { signal });
  return {
    manifestDigest,
    imageBytes: layers.reduce((n, l) => n + l.size, 0) + config.length,
  };
}

/**
 * Node's architecture names as OCI (GOARCH) writes them.
 * @param {string} arch
 */
function ociArch(arch) {
  return (
    { x64: "amd64", ia32: "386", arm64: "arm64", arm: "arm", ppc64: "ppc64le", s390x: "s390x" }[arch] ?? arch
  );
}
