// The Rust binary analyzer: crates from the cargo-auditable section of executable ELF files, read
// by range (a 64-byte header, the section table, one compressed section).
import type { Package } from "../findings.js";
import { eachFile, isExecutableEntry } from "../golang/each-file.js";
import { ELF_HEAD_SIZE, findSection, isElf, readElf, readSection } from "../golang/elf.js";
import { readExecutable } from "../golang/pe-macho.js";
import type { AnalyzerPlugin, MatchedFile } from "../plugin.js";
import { purl } from "../purl.js";
import { type AuditPackage, decodeAuditData, MAX_AUDIT_COMPRESSED } from "./audit-data.js";

/** The crates of one file, or `undefined` when it is not an ELF, PE or Mach-O file with a `.dep-v0` section. */
export async function analyzeRustBinary(file: MatchedFile): Promise<AuditPackage[] | undefined> {
  const head = await file.read(0, ELF_HEAD_SIZE);
  const elf = await readExecutable(file, head, readElf, isElf);
  const section = elf === undefined ? undefined : findSection(elf, ".dep-v0");
  if (section === undefined) return undefined;
  return decodeAuditData(await readSection(file, section, MAX_AUDIT_COMPRESSED));
}

/**
 * Packages as Trivy reports them: runtime crates only (build-time ones are not in the binary),
 * `pkg:cargo/<name>@<version>`.
 */
export function rustPackages(crates: readonly AuditPackage[], source: string): Package[] {
  return crates
    .filter((c) => c.kind === "runtime")
    .map((c) => ({
      name: c.name,
      version: c.version,
      ecosystem: "cargo" as const,
      purl: purl("cargo", undefined, c.name, c.version),
      source,
    }));
}

/** The Rust binary analyzer (id `rust-binary`): every executable regular file is a candidate. */
export const rustBinaryAnalyzer: AnalyzerPlugin = {
  id: "rust-binary",
  version: "1.0.0",
  description: "Rust crates from the cargo-auditable dependency list in executables (ELF, PE, Mach-O)",
  needs: [isExecutableEntry],
  access: "range",
  analyze: async (files, ctx) => {
    const packages = await eachFile(files, ctx, async (file) => {
      const crates = await analyzeRustBinary(file);
      return crates === undefined ? [] : rustPackages(crates, file.path);
    });
    return { packages };
  },
};
