#!/usr/bin/env node
// Builds a Nydus (RAFS v6) image from a directory with @rafscan/builder, packages it as an OCI
// image layout, and reads a file back through @rafscan/vfs.
// Usage: node build-image.mjs [SRC_DIR] [OUT_DIR]   (defaults: a small generated tree, a temp dir)
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildImage, readDirectory, writeOciLayout } from "@rafscan/builder";
import { FileBlobSource, openImage } from "@rafscan/vfs";

const work = mkdtempSync(join(tmpdir(), "rafscan-example-"));
let src = process.argv[2];
if (src === undefined) {
  src = join(work, "src");
  mkdirSync(join(src, "etc"), { recursive: true });
  writeFileSync(join(src, "etc/motd"), "built by @rafscan/builder\n");
  writeFileSync(join(src, "data.bin"), Buffer.alloc(2 * 1024 * 1024, 1)); // two identical 1 MiB chunks
}
const out = process.argv[3] ?? join(work, "image");

const result = await buildImage([readDirectory(src)], { outDir: out, compressor: "zstd" });
console.log(
  `built ${result.progress.files} files: ${result.progress.chunks} chunks stored, ` +
    `${result.progress.dedupedChunks} deduplicated, blob ${result.blobs[0]?.id.slice(0, 12)}`,
);

const { manifestDigest } = await writeOciLayout(result, join(out, "oci"), { tag: "latest" });
console.log(`OCI layout ${join(out, "oci")} manifest ${manifestDigest}`);

const image = await openImage({
  bootstrap: result.bootstrap,
  blobs: Object.fromEntries(result.blobs.map((b) => [b.id, new FileBlobSource(b.path)])),
});
try {
  if (await image.exists("/etc/motd"))
    console.log(`/etc/motd: ${(await image.readFile("/etc/motd", { encoding: "utf8" })).trim()}`);
  let entries = 0;
  for (const _ of image.walkSync("/")) entries++;
  console.log(`${entries} entries, ${image.stats.chunksVerified} chunks verified`);
} finally {
  await image.close();
}
