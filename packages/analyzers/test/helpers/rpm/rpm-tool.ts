// Test helper: runs Debian's `rpm` and `rpmbuild` (apt package `rpm`) for differential tests;
// `rpmAvailable` is false when they are not installed, and those tests skip.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

function has(tool: string): boolean {
  return spawnSync(tool, ["--version"], { stdio: "ignore" }).status === 0;
}

/** Whether `rpm` and `rpmbuild` can be run. */
export const rpmAvailable = has("rpm") && has("rpmbuild");

/**
 * `rpm -qa` over a database directory with query format `qf` (one line per package, no newline
 * needed), lines sorted. `backend` picks rpm's `_db_backend` (Debian's default is sqlite).
 */
export function rpmQueryAll(dbDir: string, qf: string, backend?: "sqlite" | "bdb_ro"): string[] {
  const args = ["--dbpath", dbDir];
  if (backend !== undefined) args.push("--define", `_db_backend ${backend}`);
  args.push("-qa", "--qf", `${qf}\\n`);
  const out = execFileSync("rpm", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  return out
    .split("\n")
    .filter((l) => l !== "")
    .sort();
}

/** A package spec for {@link buildRpms}. */
export interface SpecPackage {
  readonly name: string;
  readonly version: string;
  readonly release: string;
  readonly epoch?: number;
  readonly license: string;
  readonly vendor?: string;
  /** Number of files the package owns (many files make a big header). Default 1. */
  readonly files?: number;
  /** Absolute paths of more files the package owns (their content does not matter). */
  readonly ownedFiles?: readonly string[];
  /** Absolute paths of directories the package owns alone (`%dir`), without their content. */
  readonly ownedDirs?: readonly string[];
}

/** Builds noarch rpms with rpmbuild under `dir`; returns their paths. */
export function buildRpms(dir: string, packages: readonly SpecPackage[]): string[] {
  const top = join(dir, "rpmbuild");
  for (const d of ["SPECS", "BUILD", "RPMS", "SRPMS", "BUILDROOT"])
    mkdirSync(join(top, d), { recursive: true });
  for (const p of packages) {
    const spec = [
      `Name: ${p.name}`,
      `Version: ${p.version}`,
      `Release: ${p.release}`,
      ...(p.epoch === undefined ? [] : [`Epoch: ${p.epoch}`]),
      `Summary: rafscan test package ${p.name}`,
      `License: ${p.license}`,
      ...(p.vendor === undefined ? [] : [`Vendor: ${p.vendor}`]),
      "BuildArch: noarch",
      // rpm's dependency generators would parse the owned Python metadata, which is a stub.
      ...(p.ownedFiles === undefined && p.ownedDirs === undefined ? [] : ["AutoReqProv: no"]),
      "",
      "%description",
      "A package built by the rafscan rpm tests.",
      "",
      "%install",
      `mkdir -p %{buildroot}/usr/share/${p.name}`,
      `for i in $(seq 1 ${p.files ?? 1}); do echo $i > %{buildroot}/usr/share/${p.name}/a-file-with-a-long-name-$i.txt; done`,
      ...(p.ownedFiles ?? []).map(
        (f) => `mkdir -p "$(dirname %{buildroot}${f})" && echo rafscan > %{buildroot}${f}`,
      ),
      ...(p.ownedDirs ?? []).map((d) => `mkdir -p %{buildroot}${d}`),
      "",
      "%files",
      `/usr/share/${p.name}`,
      ...(p.ownedFiles ?? []),
      ...(p.ownedDirs ?? []).map((d) => `%dir ${d}`),
      "",
    ].join("\n");
    const specPath = join(top, "SPECS", `${p.name}.spec`);
    writeFileSync(specPath, spec);
    execFileSync("rpmbuild", ["--define", `_topdir ${top}`, "--quiet", "-bb", specPath], { stdio: "ignore" });
  }
  const rpmDir = join(top, "RPMS", "noarch");
  return readdirSync(rpmDir).map((f) => join(rpmDir, f));
}

/** A fresh rpm database in `dbDir` (sqlite, Debian's default backend) with `rpms` recorded in it. */
export function installIntoDb(dbDir: string, rpms: readonly string[]): void {
  mkdirSync(dbDir, { recursive: true });
  execFileSync("rpm", ["--dbpath", dbDir, "--initdb"], { stdio: "ignore" });
  if (rpms.length > 0) {
    execFileSync("rpm", ["--dbpath", dbDir, "-i", "--nodeps", "--justdb", "--nosignature", ...rpms], {
      stdio: "ignore",
    });
  }
}
