#!/usr/bin/env node
// Walks an image's metadata (no file data is read) and prints executable regular files with
// their sizes, skipping /proc-like trees. Usage: node find-executables.mjs [BOOTSTRAP]
import { join } from "node:path";
import { sampleImage } from "@rafscan/cli";
import { openImage } from "@rafscan/vfs";

const bootstrap = process.argv[2] ?? join(await sampleImage(), "bootstrap");

const image = await openImage({ bootstrap });
try {
  const skip = new Set(["/proc", "/sys", "/dev"]);
  for await (const entry of image.walk("/", { descend: (e) => !skip.has(e.path) })) {
    const { stats } = entry;
    if (stats.isFile() && (stats.mode & 0o111) !== 0)
      console.log(`${String(stats.size).padStart(10)}  ${entry.path}`);
  }
  // Globs walk from the pattern's static base only.
  for await (const path of image.glob("/var/lib/dpkg/status*")) console.log(`package database: ${path}`);
} finally {
  await image.close();
}
