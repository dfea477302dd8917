// Chunk digesters for the writer, reusing @rafscan/rafs's hashers.
import { type DigesterName, loadHasher } from "@rafscan/rafs";

/** A synchronous digest function, loaded once. */
export type DigestFn = (data: Uint8Array) => Uint8Array;

/** Loads the digester (blake3 needs an async WASM load the first time). */
export async function digestFn(name: DigesterName): Promise<DigestFn> {
  const hasher = await loadHasher(name);
  return (data) => hasher.digest(data);
}
