// Shared pieces of the OCI tests: fake and really built Nydus images, the shared fixtures, external
// tools (skopeo, GNU tar), and reading an OCI layout back the way a Nydus client would.
import { execFileSync, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { FileBlobSource, openImage } from "@rafscan/vfs";
import { buildImage } from "../src/build.js";
import type { BuiltImage } from "../src/oci/index.js";
import type { SourceEntry } from "../src/source.js";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
/** The shared Nydus fixtures (reference section 7), absent outside the project workspace. */
export const FIXTURES = join(REPO_ROOT, "../shared/fixtures/nydus");
export const V6_BOOT = join(FIXTURES, "bootstrap/rafs-v6-2.2.boot");
export const V6_BLOB_ID = "be7d77eeb719f70884758d1aa800ed0fb09d701aaec469964e9d54325f0d5fef";
export const V6_BLOB = join(FIXTURES, "blobs", V6_BLOB_ID);
export const HAVE_FIXTURES = existsSync(V6_BOOT) && existsSync(V6_BLOB);
export const HAVE_SKOPEO = spawnSync("skopeo", ["--version"], { stdio: "ignore" }).status === 0;
export const HAVE_TAR = spawnSync("tar", ["--version"], { stdio: "ignore" }).status === 0;

export const sha256 = (b: Uint8Array): string => `sha256:${createHash("sha256").update(b).digest("hex")}`;

/** Runs a tool and returns its stdout; throws with its stderr on failure (60 s bound). */
export function run(cmd: string, args: readonly string[]): string {
  return execFileSync(cmd, args, { encoding: "utf8", timeout: 60_000, stdio: ["ignore", "pipe", "pipe"] });
}

/** Random bytes as a bootstrap and two blobs named by their sha256, as the builder names blobs. */
export function fakeImage(dir: string, seed = 0): BuiltImage {
  mkdirSync(dir, { recursive: true });
  const bootstrap = join(dir, "bootstrap");
  writeFileSync(bootstrap, Buffer.concat([Buffer.from(`boot ${seed} `), randomBytes(5000)]));
  const blobs = [7000, 70_000].map((size, i) => {
    const data = Buffer.concat([Buffer.from(`blob ${seed} ${i} `), randomBytes(size)]);
    const id = sha256(data).slice(7);
    writeFileSync(join(dir, id), data);
    return { id, path: join(dir, id), size: data.length };
  });
  return { bootstrap, blobs, fsVersion: 6 };
}

/** The files of the really built test image. */
export const BUILT_FILES: Readonly<Record<string, Buffer>> = {
  "hello.txt": Buffer.from("hello from a nydus image\n"),
  "sub/data.bin": Buffer.alloc(300_000, 7),
  "sub/random.bin": randomBytes(50_000),
};

/** Builds a real image of {@link BUILT_FILES} with @rafscan/builder (64 KiB chunks). */
export async function builtImage(outDir: string, fsVersion: 5 | 6): Promise<BuiltImage> {
  async function* layer(): AsyncGenerator<SourceEntry> {
    const meta = { uid: 0, gid: 0, mtimeSec: 0, mtimeNsec: 0, xattrs: new Map<string, Uint8Array>() };
    yield { path: "", type: "dir", mode: 0o755, size: 0, ...meta };
    yield { path: "sub", type: "dir", mode: 0o755, size: 0, ...meta };
    for (const [path, data] of Object.entries(BUILT_FILES)) {
      const content = (async function* () {
        yield data;
      })();
      yield { path, type: "file", mode: 0o644, size: data.length, data: content, ...meta };
    }
  }
  const result = await buildImage([layer()], { outDir, fsVersion, chunkSize: 0x10000 });
  return { bootstrap: result.bootstrap, blobs: result.blobs, fsVersion };
}

/** An image manifest as read back. */
export interface Manifest {
  schemaVersion: number;
  mediaType: string;
  config: { mediaType: string; digest: string; size: number };
  layers: { mediaType: string; digest: string; size: number; annotations?: Record<string, string> }[];
}

/** The manifest an OCI layout names `tag`, and where its blobs are. */
export function layoutManifest(
  dir: string,
  tag: string,
): { digest: string; bytes: Buffer; manifest: Manifest; blob: (digest: string) => string } {
  const index = JSON.parse(readFileSync(join(dir, "index.json"), "utf8")) as {
    manifests: { digest: string; annotations?: Record<string, string> }[];
  };
  const entry = index.manifests.find((m) => m.annotations?.["org.opencontainers.image.ref.name"] === tag);
  if (entry === undefined) throw new Error(`no ${tag} in ${dir}`);
  const blob = (digest: string) => join(dir, "blobs", "sha256", digest.slice("sha256:".length));
  const bytes = readFileSync(blob(entry.digest));
  return { digest: entry.digest, bytes, manifest: JSON.parse(bytes.toString("utf8")) as Manifest, blob };
}

/**
 * Opens the Nydus image an OCI layout holds, the way a Nydus client does: the bootstrap from the
 * last layer's tar (extracted by GNU tar), each blob id looked up as the layer `sha256:<id>`.
 * Returns the content of every file of {@link BUILT_FILES}.
 */
export async function readBackFromLayout(
  dir: string,
  tag: string,
  work: string,
): Promise<Record<string, Buffer>> {
  const { manifest, blob } = layoutManifest(dir, tag);
  const boot = manifest.layers.at(-1);
  if (boot === undefined) throw new Error("no layers");
  mkdirSync(work, { recursive: true });
  run("tar", ["-xzf", blob(boot.digest), "-C", work, "image/image.boot"]);
  const blobs = Object.fromEntries(
    manifest.layers
      .slice(0, -1)
      .map((l) => [l.digest.slice("sha256:".length), new FileBlobSource(blob(l.digest))]),
  );
  const image = await openImage({ bootstrap: join(work, "image/image.boot"), blobs });
  try {
    const out: Record<string, Buffer> = {};
    for (const path of Object.keys(BUILT_FILES)) out[path] = await image.readFile(`/${path}`);
    return out;
  } finally {
    await image.close();
  }
}
