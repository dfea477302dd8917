// `sha256:<hex>` digests of small in-memory documents (configs, manifests).
import { createHash } from "node:crypto";

/** The OCI digest string of `bytes`. */
export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}
