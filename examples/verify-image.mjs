#!/usr/bin/env node
// Verifies every chunk of every file against its digest, the way `rafscan check` does, and shows
// how errors are typed. Usage: node verify-image.mjs [BOOTSTRAP] [BLOB_DIR]
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { sampleImage } from "@rafscan/cli";
import { isRafsError } from "@rafscan/rafs";
import { FileBlobSource, isFsError, openImage } from "@rafscan/vfs";

const bootstrap = process.argv[2] ?? join(await sampleImage(), "bootstrap");
const blobDir = process.argv[3] ?? join(bootstrap, "../blobs");
const ids = new Set(existsSync(blobDir) ? readdirSync(blobDir) : []);

const image = await openImage({
  bootstrap,
  blobs: (blob) => (ids.has(blob.id) ? new FileBlobSource(join(blobDir, blob.id)) : undefined),
});
let files = 0;
let failures = 0;
try {
  for await (const entry of image.walk("/")) {
    if (!entry.stats.isFile()) continue;
    files++;
    try {
      await image.readFile(entry.path); // each chunk is checked against its digest as it is read
    } catch (err) {
      failures++;
      // RafsError codes (RAFS_DIGEST_MISMATCH, RAFS_BLOB_MISSING, ...) and node-style fs codes.
      const code = isRafsError(err) || isFsError(err) ? err.code : "UNEXPECTED";
      console.log(`${code}  ${entry.path}: ${err.message}`);
    }
  }
} finally {
  await image.close();
}
console.log(`${files} files, ${image.stats.chunksVerified} chunks verified, ${failures} failures`);
process.exitCode = failures === 0 ? 0 : 1;
