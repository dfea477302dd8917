// Readers for untrusted values taken from package metadata: they return a clean string (or list)
// or nothing, so a wrong type, a control character or an absurd length never reaches a report.
import { LANG_LIMITS } from "./limits.js";

/**
 * `true` when `s` holds a C0 control character or DEL: a newline or escape in a package name
 * could forge lines or colours in text output.
 */
export function hasControlChar(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/**
 * `value` trimmed, when it is a non-empty string of at most `max` units without control
 * characters; otherwise `undefined`.
 */
export function cleanString(value: unknown, max: number = LANG_LIMITS.maxNameLength): string | undefined {
  if (typeof value !== "string") return undefined;
  const s = value.trim();
  if (s === "" || s.length > max || hasControlChar(s)) return undefined;
  return s;
}

// Placeholders tools write when the author gave no licence: reporting them would mislead.
const NO_LICENSE = new Set(["", "unknown", "none", "n/a"]);

/** Adds `value` to `out` as a licence name, when it is a plausible one and not yet there. */
export function addLicense(out: string[], value: unknown): void {
  if (out.length >= LANG_LIMITS.maxLicenses) return;
  const s = cleanString(value, LANG_LIMITS.maxLicenseLength);
  if (s === undefined || NO_LICENSE.has(s.toLowerCase()) || out.includes(s)) return;
  out.push(s);
}

/**
 * Licence names from a JSON metadata value: a string, an object with a string `type` (old npm
 * form), or an array of either. Anything else gives nothing.
 */
export function licensesFromJson(value: unknown, out: string[] = []): string[] {
  const one = (v: unknown): void => {
    if (typeof v === "string") addLicense(out, v);
    else if (isRecord(v)) addLicense(out, v.type);
  };
  if (Array.isArray(value)) {
    // Bounded by maxLicenses: addLicense stops adding, and we stop looking soon after.
    for (let i = 0; i < value.length && i < LANG_LIMITS.maxLicenses * 4; i++) one(value[i]);
  } else one(value);
  return out;
}

/** `true` for a plain JSON object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Own property `key` of a JSON object, ignoring inherited ones such as `__proto__`. */
export function prop(obj: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}
