// The sha256 and size of a file, read as a stream so that multi-gigabyte blobs never sit in memory.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";

/** `sha256:<hex>` and byte count of a file. */
export async function fileDigest(
  path: string,
  signal?: AbortSignal,
): Promise<{ digest: string; size: number }> {
  const hash = createHash("sha256");
  let size = 0;
  const stream = createReadStream(path, {
    highWaterMark: 1 << 20,
    ...(signal === undefined ? {} : { signal }),
  });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { digest: `sha256:${hash.digest("hex")}`, size };
}
