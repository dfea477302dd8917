// Parsers for option values (byte counts, sizes, platforms, booleans) shared by the command
// definitions; kept free of heavy imports so options are checked before any command module loads.
import { UsageError } from "./usage-error.js";

/** Parses a byte count: `1048576`, `64K`, `10M`, `2G` (1024-based; `Ki`, `KiB`, `KB` read the same). */
export function parseBytes(text: string, what: string): number {
  const m = /^(\d+)([KMG]i?B?)?$/i.exec(text.trim());
  if (m === null)
    throw new UsageError(`${what} must be a byte count like 1048576, 64K, 10M or 2G, not '${text}'`);
  const unit = (m[2] ?? "").charAt(0).toUpperCase();
  const n = Number(m[1]) * (unit === "K" ? 1024 : unit === "M" ? 1024 ** 2 : unit === "G" ? 1024 ** 3 : 1);
  if (!Number.isSafeInteger(n)) throw new UsageError(`${what} is too large: '${text}'`);
  return n;
}

/** Accepts bytes, hex (0x100000) or K/M suffixes; NaN when malformed. */
export function parseSize(text: string): number {
  const m = /^(0x[0-9a-f]+|\d+)([KM]i?B?)?$/i.exec(text.trim());
  if (!m) return Number.NaN;
  const base = Number(m[1]);
  const unit = (m[2] ?? "").toUpperCase();
  return unit.startsWith("K") ? base * 1024 : unit.startsWith("M") ? base * 1024 * 1024 : base;
}

/** An image index entry's platform, as `--platform` names it. */
export interface PlatformArg {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
}

/** Parses `--platform os/arch[/variant]`. */
export function parsePlatform(text: string): PlatformArg {
  const parts = text.split("/");
  const ok = parts.length >= 2 && parts.length <= 3 && parts.every((p) => /^[a-z0-9][a-z0-9._-]*$/.test(p));
  if (!ok) throw new UsageError(`--platform must be OS/ARCH[/VARIANT] (like linux/arm64/v8), not '${text}'`);
  const [os, architecture, variant] = parts as [string, string, string | undefined];
  return variant === undefined ? { os, architecture } : { os, architecture, variant };
}

/** Parses a boolean from an environment variable or config file: 1/true/yes/on, 0/false/no/off. */
export function parseBoolean(text: string, what: string): boolean {
  const t = text.trim().toLowerCase();
  if (["1", "true", "yes", "on"].includes(t)) return true;
  if (["0", "false", "no", "off", ""].includes(t)) return false;
  throw new UsageError(`${what} must be true or false (1/0, yes/no, on/off), not '${text}'`);
}

/** "1 layer", "2 layers". */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}
