// The Go binary analyzer: modules and the Go toolchain version from the build info of executable
// ELF files, read by range (a 64-byte header, the section table, one small section).
import type { Package } from "../findings.js";
import type { AnalyzerPlugin, MatchedFile } from "../plugin.js";
import { purl } from "../purl.js";
import { type GoBuildInfo, type GoModule, readGoBuildInfo } from "./build-info.js";
import { eachFile, isExecutableEntry } from "./each-file.js";
import { ELF_HEAD_SIZE, isElf, readElf } from "./elf.js";
import { ldflagsVersion } from "./ldflags.js";
import { readExecutable } from "./pe-macho.js";

/**
 * The Go standard library version from a build-info Go version, as Trivy reports it: `go1.22.3`
 * → `v1.22.3`; a GOEXPERIMENT suffix (` X:foo`, or `-X:foo` since Go 1.26) and a vendor suffix after
 * a space are dropped. `undefined` for development toolchains (`devel ...`).
 */
export function stdlibVersion(goVersion: string): string | undefined {
  if (!goVersion.startsWith("go")) return undefined;
  let v = goVersion.slice(2);
  const space = v.indexOf(" ");
  if (space >= 0) v = v.slice(0, space);
  const experiment = v.indexOf("-X:");
  if (experiment >= 0) v = v.slice(0, experiment);
  return v === "" ? undefined : `v${v}`;
}

/**
 * `pkg:golang/<module path>@<version>`. Trivy lower-cases Go module paths in purls; we do the same
 * so the two tools' SBOMs agree. The last path element is the purl name, the rest its namespace.
 */
export function goPurl(modulePath: string, version: string): string {
  const lower = modulePath.toLowerCase();
  const slash = lower.lastIndexOf("/");
  const ns = slash < 0 ? undefined : lower.slice(0, slash);
  const name = slash < 0 ? lower : lower.slice(slash + 1);
  return purl("golang", ns, name, version === "" ? undefined : version);
}

function isLocalPath(p: string): boolean {
  return p.startsWith("./") || p.startsWith("../") || p.startsWith("/") || p === "." || p === "..";
}

/** `(devel)` is what the go command writes when it does not know the version: report none. */
function cleanVersion(v: string): string {
  return v === "(devel)" ? "" : v;
}

function modulePackage(mod: GoModule, source: string): Package | undefined {
  if (mod.path === "") return undefined; // old toolchains wrote an empty dep for the main module
  let { path, version } = mod;
  if (mod.replace !== undefined) {
    // A replacement by another module is what was compiled in. A replacement by a local directory
    // names no module at all: keep the original path, with no version since the code is a fork.
    if (isLocalPath(mod.replace.path)) version = "";
    else ({ path, version } = mod.replace);
  }
  version = cleanVersion(version);
  return { name: path, version, ecosystem: "golang", purl: goPurl(path, version), source };
}

/**
 * Packages from build info, in Trivy's shape: `stdlib` at the Go version, every dependency (its
 * replacement when replaced), and the main module as `relationship: "root"`. A `(devel)` main
 * version is taken from `-ldflags -X <pkg>.version=...` when the build settings hold one, else
 * it becomes empty.
 */
export function goPackages(info: GoBuildInfo, source: string): Package[] {
  const out: Package[] = [];
  const std = stdlibVersion(info.goVersion);
  if (std !== undefined) {
    out.push({ name: "stdlib", version: std, ecosystem: "golang", purl: goPurl("stdlib", std), source });
  }
  for (const dep of info.deps) {
    const p = modulePackage(dep, source);
    if (p !== undefined) out.push(p);
  }
  if (info.main !== undefined) {
    const p = modulePackage(info.main, source);
    if (p !== undefined) {
      const ldflags = info.settings.find(([k]) => k === "-ldflags")?.[1];
      const stamped = p.version === "" && ldflags !== undefined ? ldflagsVersion(ldflags) : undefined;
      const version = stamped ?? p.version;
      out.push({ ...p, version, purl: goPurl(p.name, version), relationship: "root" });
    }
  }
  return out;
}

/** Build info of one file, or `undefined` when it is not a Go ELF, PE or Mach-O binary. */
export async function analyzeGoBinary(file: MatchedFile): Promise<GoBuildInfo | undefined> {
  // Scripts and other formats: the common case, one small read.
  const head = await file.read(0, ELF_HEAD_SIZE);
  const exe = await readExecutable(file, head, readElf, isElf);
  if (exe === undefined) return undefined;
  return readGoBuildInfo(file, exe);
}

/** The Go binary analyzer (id `go-binary`): every executable regular file is a candidate. */
export const goBinaryAnalyzer: AnalyzerPlugin = {
  id: "go-binary",
  version: "1.0.0",
  description: "Go modules and toolchain version from the build info in Go executables (ELF, PE, Mach-O)",
  needs: [isExecutableEntry],
  access: "range",
  analyze: async (files, ctx) => {
    const packages = await eachFile(files, ctx, async (file) => {
      const info = await analyzeGoBinary(file);
      return info === undefined ? [] : goPackages(info, file.path);
    });
    return { packages };
  },
};
