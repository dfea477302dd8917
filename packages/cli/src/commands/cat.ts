// `rafscan cat IMAGE PATH`: streams a file's bytes to stdout.
import { pipeline } from "node:stream/promises";
import type { Image } from "@rafscan/vfs";
import type { Io } from "../output.js";

/** Writes the file at PATH to stdout. */
export async function runCat(image: Image, path: string, io: Io): Promise<number> {
  // Open first, so a missing path fails before anything is written, naming `open` as node:fs does.
  await (await image.open(path)).close();
  await pipeline(image.createReadStream(path), io.stdout, { end: false });
  return 0;
}
