// Turns the IMAGE argument and blob options into an open Image; with no IMAGE, the built sample.
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { type BlobSource, FileBlobSource, type Image, openImage } from "@rafscan/vfs";
import { sampleImage } from "./sample.js";
import { UsageError } from "./usage-error.js";

/** Options shared by every command that opens an image. */
export interface ImageArgs {
  readonly image: string | undefined;
  readonly blobDir?: string | undefined;
  readonly blob?: readonly string[] | undefined;
  readonly noVerify?: boolean | undefined;
}

/** Opens IMAGE, or the sample when it is undefined (a note goes to stderr). */
export async function openImageArg(args: ImageArgs, stderr: NodeJS.WritableStream): Promise<Image> {
  let image = args.image;
  if (image === undefined) {
    image = await sampleImage();
    stderr.write(`rafscan: no IMAGE given, using the sample image built by @rafscan/builder in ${image}\n`);
  }
  if (!existsSync(image)) throw new UsageError(`IMAGE not found: ${image}`);
  if (statSync(image).isDirectory()) {
    // A build output directory: OUTDIR/bootstrap with OUTDIR/blobs/<id>.
    image = join(image, "bootstrap");
  }
  const blobDir = args.blobDir ?? join(dirname(image), "blobs");
  const devices = (args.blob ?? []).map((p) => new FileBlobSource(p));
  const byId = new Map<string, BlobSource>();
  const known =
    existsSync(blobDir) && statSync(blobDir).isDirectory() ? new Set(readdirSync(blobDir)) : new Set();
  return openImage({
    bootstrap: image,
    verify: !args.noVerify,
    blobs: (blob) => {
      // Plain EROFS extra devices are given in order with --blob; RAFS blobs are found by id.
      const device = devices[blob.index];
      if (device !== undefined && (!blob.id || !known.has(blob.id))) return device;
      if (!blob.id || !known.has(blob.id)) return undefined;
      let source = byId.get(blob.id);
      if (source === undefined) {
        source = new FileBlobSource(join(blobDir, blob.id));
        byId.set(blob.id, source);
      }
      return source;
    },
  });
}
