// OCI digests (`sha256:<hex>`, https://github.com/opencontainers/image-spec/blob/main/descriptor.md)
// split into what SBOM hash fields hold.

/** A digest's algorithm and hex value. */
export interface ParsedDigest {
  readonly algorithm: "sha256" | "sha384" | "sha512";
  readonly hex: string;
}

const HEX_LENGTH = { sha256: 64, sha384: 96, sha512: 128 } as const;

/** Splits `sha256:<64 hex>` (or sha384/sha512); undefined for anything else, including bad lengths. */
export function parseDigest(digest: string | undefined): ParsedDigest | undefined {
  const match = /^(sha256|sha384|sha512):([0-9a-f]+)$/.exec(digest ?? "");
  const algorithm = match?.[1] as ParsedDigest["algorithm"] | undefined;
  const hex = match?.[2];
  if (algorithm === undefined || hex === undefined || hex.length !== HEX_LENGTH[algorithm]) return undefined;
  return { algorithm, hex };
}
