#!/usr/bin/env node
// Reads /etc/os-release from an image without mounting it: only the bootstrap and the chunks of
// that one file are read. Usage: node read-os-release.mjs [BOOTSTRAP] [BLOB_DIR]
// (defaults to the sample image @rafscan/cli builds).
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { sampleImage } from "@rafscan/cli";
import { FileBlobSource, openImage } from "@rafscan/vfs";

const bootstrap = process.argv[2] ?? join(await sampleImage(), "bootstrap");
const blobDir = process.argv[3] ?? join(bootstrap, "../blobs");
const blobIds = new Set(existsSync(blobDir) ? readdirSync(blobDir) : []);

const image = await openImage({
  bootstrap,
  // RAFS data blobs are looked up by id; a registry source can stand in for files later.
  blobs: (blob) => (blobIds.has(blob.id) ? new FileBlobSource(join(blobDir, blob.id)) : undefined),
});
try {
  const text = await image.readFile("/etc/os-release", { encoding: "utf8" });
  const fields = Object.fromEntries(
    text
      .split("\n")
      .filter((line) => line.includes("="))
      .map((line) => {
        const [key, ...rest] = line.split("=");
        return [key, rest.join("=").replace(/^"|"$/g, "")];
      }),
  );
  console.log(
    `${fields.PRETTY_NAME ?? fields.NAME ?? "unknown OS"} (id=${fields.ID}, version=${fields.VERSION_ID})`,
  );
  console.log(`read ${image.stats.blobBytesRead} blob bytes in ${image.stats.blobReads} reads`);
} finally {
  await image.close();
}
