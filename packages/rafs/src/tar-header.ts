// The 512-byte tar headers nydus writes after each blob section ("tar header after data").
// Format: POSIX/GNU tar header; nydus builder/src/core/context.rs; reference section 4.2.
import { cString, decodeName, need } from "./bytes.js";
import { corrupt } from "./errors.js";

export const TAR_HEADER_SIZE = 512;

/** The fields of a section header. */
export interface TarSectionHeader {
  readonly name: string;
  readonly size: number;
}

/** Decodes a section header and checks its checksum. */
export function decodeTarHeader(bytes: Uint8Array, where: string): TarSectionHeader {
  need(bytes.length, 0, TAR_HEADER_SIZE, where);
  const h = bytes.subarray(0, TAR_HEADER_SIZE);
  const stored = parseOctal(h.subarray(148, 156), `${where} checksum`);
  let sum = 0;
  for (let i = 0; i < TAR_HEADER_SIZE; i++) sum += i >= 148 && i < 156 ? 0x20 : (h[i] ?? 0);
  if (sum !== stored) corrupt(`tar header checksum ${stored} != computed ${sum}`, where);
  return {
    name: decodeName(cString(h.subarray(0, 100))),
    size: parseSize(h.subarray(124, 136), `${where} size`),
  };
}

function parseSize(field: Uint8Array, where: string): number {
  // GNU base-256 encoding for sizes beyond 8 GiB: high bit of the first byte set.
  if (((field[0] ?? 0) & 0x80) !== 0) {
    let n = 0;
    for (let i = 1; i < field.length; i++) n = n * 256 + (field[i] ?? 0);
    if (!Number.isSafeInteger(n)) corrupt("tar size exceeds 2^53", where);
    return n;
  }
  return parseOctal(field, where);
}

function parseOctal(field: Uint8Array, where: string): number {
  let n = 0;
  let digits = 0;
  for (const c of field) {
    if (c === 0 || c === 0x20) {
      if (digits > 0) break;
      continue;
    }
    if (c < 0x30 || c > 0x37) corrupt(`invalid octal digit 0x${c.toString(16)}`, where);
    n = n * 8 + (c - 0x30);
    digits++;
  }
  return n;
}
