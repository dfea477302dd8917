// Chunk digests (blake3, sha256) and the per-chunk CRC-32C, as listed in reference section 5.3.
import { createHash } from "node:crypto";
import type { IHasher } from "hash-wasm";
import type { DigesterName } from "./model.js";

/** A synchronous chunk digester, obtained once with {@link loadHasher}. */
export interface ChunkHasher {
  readonly name: DigesterName;
  /** The digest of `data` (32 bytes for both algorithms). */
  digest(data: Uint8Array): Uint8Array;
}

/** CRC-32C (Castagnoli) in the reflected form hash-wasm takes: the bit-reversal of 0x1EDC6F41. */
const CRC32C_POLY_REFLECTED = 0x82f63b78;

// hash-wasm instantiates a WASM module asynchronously, once; after that one instance hashes
// synchronously. Sharing it is safe because `digest` runs init/update/digest without yielding.
// A failed load is dropped from the cache so a later call can try again.
const hashers = new Map<DigesterName, Promise<ChunkHasher>>();
let crc32c: Promise<(data: Uint8Array) => number> | undefined;

function sha256Hasher(): ChunkHasher {
  return {
    name: "sha256",
    digest: (data) => createHash("sha256").update(data).digest(),
  };
}

async function blake3Hasher(): Promise<ChunkHasher> {
  const wasm: IHasher = await (await loadHashWasm()).createBLAKE3();
  return {
    name: "blake3",
    digest(data) {
      wasm.init();
      wasm.update(data);
      return wasm.digest("binary");
    },
  };
}

/**
 * Returns the chunk digester for `name`: sha256 from `node:crypto`, blake3 from hash-wasm.
 * The first call per algorithm initialises it; later calls return the same cached instance.
 */
export function loadHasher(name: DigesterName): Promise<ChunkHasher> {
  let pending = hashers.get(name);
  if (pending === undefined) {
    pending = name === "sha256" ? Promise.resolve(sha256Hasher()) : blake3Hasher();
    hashers.set(name, pending);
    pending.catch(() => hashers.delete(name));
  }
  return pending;
}

/**
 * Returns a synchronous CRC-32C function (Castagnoli, CRC-32/ISCSI: reflected polynomial
 * 0x82F63B78, init and xorout 0xFFFFFFFF), the checksum of chunks flagged HAS_CRC32.
 * The result is an unsigned 32-bit number. Cached like {@link loadHasher}.
 */
export function loadCrc32c(): Promise<(data: Uint8Array) => number> {
  if (crc32c === undefined) {
    const pending = loadHashWasm()
      .then((m) => m.createCRC32(CRC32C_POLY_REFLECTED))
      .then((wasm) => (data: Uint8Array): number => {
        wasm.init();
        wasm.update(data);
        // hash-wasm returns the CRC big-endian, as the conventional hex string prints it.
        const d = wasm.digest("binary");
        return (
          (((d[0] as number) << 24) |
            ((d[1] as number) << 16) |
            ((d[2] as number) << 8) |
            (d[3] as number)) >>>
          0
        );
      });
    crc32c = pending;
    pending.catch(() => {
      crc32c = undefined;
    });
  }
  return crc32c;
}

/** hash-wasm carries every algorithm's WASM inline; loading it costs ~40 ms, so only on first use. */
function loadHashWasm(): Promise<typeof import("hash-wasm")> {
  return import("hash-wasm");
}
