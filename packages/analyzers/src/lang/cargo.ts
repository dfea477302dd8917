// Rust crates from `Cargo.lock`: TOML with one `[[package]]` table per crate (name, version,
// source, checksum, dependencies). Format: https://doc.rust-lang.org/cargo/guide/cargo-toml-vs-cargo-lock.html
// and https://toml.io/en/v1.0.0. Only the subset Cargo writes is read, line by line.
import type { AnalyzerPlugin, NeedEntry } from "../plugin.js";
import { analyzeEach } from "./analyze-each.js";
import { MiB } from "./limits.js";
import type { PackageList } from "./package-list.js";
import { baseName } from "./paths.js";

/** `true` for a file named `Cargo.lock`. */
export function isCargoLock(entry: Pick<NeedEntry, "path">): boolean {
  return baseName(entry.path) === "Cargo.lock";
}

// `key = "basic string"` or `key = 'literal string'`, as Cargo writes its scalar fields.
const KEY_STRING = /^([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)')\s*(?:#.*)?$/;

/** Decodes the escapes Cargo may write in a basic string (`\"`, `\\`, `\n`, `\t`, `\uXXXX`). */
function unescapeBasic(s: string): string {
  return s.replace(/\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)/g, (_, e: string) => {
    if (e.length > 1) {
      const cp = Number.parseInt(e.slice(1), 16);
      return cp <= 0x10ffff ? String.fromCodePoint(cp) : "\ufffd";
    }
    return ({ n: "\n", t: "\t", r: "\r", b: "\b", f: "\f" } as Record<string, string>)[e] ?? e;
  });
}

/**
 * Adds every `[[package]]` table of a Cargo.lock to `out` (local workspace crates included: they
 * have no `source`). Other tables (`[metadata]`, `[[patch.unused]]`) are skipped.
 */
export function parseCargoLock(text: string, out: PackageList): void {
  let current: { name?: string; version?: string } | undefined;
  let tables = 0;
  const flush = (): void => {
    if (current !== undefined) out.add({ name: current.name, version: current.version });
    current = undefined;
  };
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith("[")) {
      flush();
      // `[[package]]`, optionally spaced (`[[ package ]]`) by hand-edited files.
      if (/^\[\[\s*package\s*\]\]\s*(?:#.*)?$/.test(line)) {
        current = {};
        tables++;
      }
      continue;
    }
    if (current === undefined) continue;
    const m = KEY_STRING.exec(line);
    if (m === null) continue;
    const [, key, basic, literal] = m;
    const value = basic !== undefined ? unescapeBasic(basic) : (literal ?? "");
    // The first assignment wins: TOML forbids redefining a key, so a second one is hostile.
    if (key === "name") current.name ??= value;
    else if (key === "version") current.version ??= value;
  }
  flush();
  if (tables === 0 && text.trim() !== "") throw new Error("no [[package]] tables");
}

/** Rust crates from Cargo.lock. purl `pkg:cargo/name@v`. */
export const cargoPlugin: AnalyzerPlugin = {
  id: "cargo",
  version: "1",
  description: "Rust crates from Cargo.lock",
  database: true,
  needs: [isCargoLock],
  access: "whole",
  maxFileSize: 16 * MiB,
  analyze: (files, ctx) => analyzeEach(files, ctx, "cargo", parseCargoLock),
};
