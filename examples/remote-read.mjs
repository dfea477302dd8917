#!/usr/bin/env node
// Reads files from a Nydus image in a registry without pulling it: only the manifest, the config,
// the bootstrap layer and the chunks of the files read cross the network (HTTP range requests).
// Usage: node remote-read.mjs [IMAGE] [PATH...]
//   IMAGE: a registry reference (registry.example.com/app:tag; add --insecure for plain HTTP) or an
//   OCI image layout (oci:DIR[:TAG]). Default: the sample image, packed as an OCI layout.
// Credentials come from ~/.docker/config.json (or credential helpers) unless RAFSCAN_USER and
// RAFSCAN_PASSWORD are set.
import { mkdtempSync, readdirSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeOciLayout } from "@rafscan/builder";
import { sampleImage } from "@rafscan/cli";
import { openImage } from "@rafscan/registry";

const args = process.argv.slice(2).filter((a) => a !== "--insecure");
let name = args[0];
if (name === undefined) {
  // No registry at hand: pack the sample image as an OCI layout, which reads the same way from disk.
  const sample = await sampleImage();
  const blobs = readdirSync(join(sample, "blobs")).map((id) => {
    const path = join(sample, "blobs", id);
    return { id, path, size: statSync(path).size };
  });
  const oci = join(mkdtempSync(join(tmpdir(), "rafscan-remote-example-")), "oci");
  await writeOciLayout({ bootstrap: join(sample, "bootstrap"), blobs, fsVersion: 6 }, oci, { tag: "sample" });
  name = `oci:${oci}:sample`;
}
const paths = args.length > 1 ? args.slice(1) : ["/etc/os-release"];

const image = await openImage(name, {
  insecure: process.argv.includes("--insecure"),
  ...(process.env.RAFSCAN_USER
    ? { username: process.env.RAFSCAN_USER, password: process.env.RAFSCAN_PASSWORD }
    : {}),
});
try {
  // Reads issued together are merged into few range requests.
  const contents = await Promise.all(paths.map((p) => image.readFile(p)));
  for (const [i, p] of paths.entries()) console.log(`${p}: ${contents[i].length} bytes`);
  const origin = image.origin;
  const t = origin?.transport ?? {};
  const fetched = t.bytesFetched ?? 0;
  console.log(`image ${origin?.name} ${origin?.manifestDigest}`);
  console.log(
    origin?.kind === "registry"
      ? `fetched ${fetched} of ${origin.imageBytes} bytes in ${t.requests ?? 0} requests`
      : `read ${image.stats.blobBytesRead + image.stats.metadataBytes} of ${origin?.imageBytes} bytes from the layout`,
  );
} finally {
  await image.close();
}
