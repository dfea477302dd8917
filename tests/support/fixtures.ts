// Locates the shared real-Nydus fixtures (../shared beside the repository) and lets tests skip
// with a clear message when they are absent.
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** `../shared/fixtures/nydus` relative to the repository root. */
export const FIXTURES = join(REPO_ROOT, "../shared/fixtures/nydus");

/** True when the fixtures are present. */
export const HAVE_FIXTURES = existsSync(FIXTURES);

if (!HAVE_FIXTURES) {
  console.warn(`[rafscan tests] ${FIXTURES} is absent: tests on the real Nydus fixtures are skipped`);
}

/** Path of one fixture file. */
export function fixture(...parts: string[]): string {
  return join(FIXTURES, ...parts);
}

/** The CLI entry, as users run it. */
export const CLI = join(REPO_ROOT, "packages/cli/bin/rafscan.js");

export const V5_SHA256 = fixture("repeatable/sha256-nocompress-repeatable");
export const V5_BLAKE3 = fixture("repeatable/blake3-lz4_block-non_repeatable");
export const V5_BLOBS = fixture("repeatable/blobs");
export const V5_LEGACY = fixture("bootstrap/nydusd_daemon_test_bootstrap");
export const V6_BOOT = fixture("bootstrap/rafs-v6-2.2.boot");
export const V6_BLOBS = fixture("blobs");
export const V6_BLOB_ID = "be7d77eeb719f70884758d1aa800ed0fb09d701aaec469964e9d54325f0d5fef";
export const TOC_BLOB = fixture("toc/2fa78cad554b75ac91a4a125ed148d0ddeb25efa4aaa8bd80e5dc292690a4dca");
