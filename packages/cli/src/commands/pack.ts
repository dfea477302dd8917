// `rafscan pack OUTDIR oci:DIR[:TAG]`: packages a built image (OUTDIR/bootstrap, OUTDIR/blobs/)
// as a Nydus OCI image in an image layout directory.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { writeOciLayout } from "@rafscan/builder";
import { openBootstrap } from "@rafscan/rafs";
import { type Io, writeJsonLine } from "../output.js";
import { UsageError } from "../usage-error.js";

/** Parses `oci:DIR[:TAG]`. */
export function parseOciTarget(target: string): { dir: string; tag: string } {
  const m = /^oci:([^:]+)(?::([^:]+))?$/.exec(target);
  if (!m?.[1]) throw new UsageError(`expected oci:DIR[:TAG], got '${target}'`);
  return { dir: m[1], tag: m[2] ?? "latest" };
}

/** Writes the layout and prints the manifest digest. */
export async function runPack(outDir: string, target: string, json: boolean, io: Io): Promise<number> {
  const { dir, tag } = parseOciTarget(target);
  const bootstrap = join(outDir, "bootstrap");
  let fsVersion: 5 | 6;
  try {
    fsVersion = openBootstrap(readFileSync(bootstrap)).info.format === "v5" ? 5 : 6;
  } catch (err) {
    throw new UsageError(`${bootstrap} is not a RAFS bootstrap built by rafscan build: ${String(err)}`);
  }
  const blobDir = join(outDir, "blobs");
  const blobs = readdirSync(blobDir)
    .filter((id) => /^[0-9a-f]{64}$/.test(id))
    .map((id) => ({ id, path: join(blobDir, id), size: statSync(join(blobDir, id)).size }));
  // The blob table's order is the layer order.
  const order = openBootstrap(readFileSync(bootstrap)).info.blobs.map((b) => b.id);
  blobs.sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
  const result = await writeOciLayout({ bootstrap, blobs, fsVersion }, dir, { tag });
  if (json) writeJsonLine(io, { manifestDigest: result.manifestDigest, layout: dir, tag });
  else io.stdout.write(`wrote ${dir} (tag ${tag}), manifest ${result.manifestDigest}\n`);
  return 0;
}
