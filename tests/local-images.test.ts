// Local image files and names as Docker and Skopeo take them: `docker-archive:FILE` (a `docker
// save` tar), `oci-archive:FILE` (a tar of an OCI layout), an OCI layout directory without the
// `oci:` prefix, `dir:PATH` (an unpacked root filesystem), and bare Docker Hub names.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isRemoteName } from "../packages/cli/src/open-arg.js";
import { SAMPLE_TREE } from "../packages/cli/src/sample.js";
import { runCliAsync } from "./support/remote-image.js";
import { runCli } from "./support/run-cli.js";

const HAVE_TAR = spawnSync("tar", ["--version"], { stdio: "ignore" }).status === 0;
if (!HAVE_TAR) console.warn("[rafscan tests] local archive tests skipped: needs GNU tar");

interface Report {
  image: { name: string; format: string };
  os?: { family: string };
  packages: { name: string }[];
  complete?: boolean;
}

const sha256 = (b: Uint8Array) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

let work = "";
let rootfs = "";
function tar(args: readonly string[]): void {
  const r = spawnSync("tar", ["--sort=name", "--owner=0", "--group=0", "--numeric-owner", ...args], {
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`tar ${args.join(" ")}: ${r.stderr}`);
}
function scanJson(image: string): { status: number; report: Report | undefined; stderr: string } {
  const r = runCli(["scan", image, "--format", "json"], 120_000);
  let report: Report | undefined;
  try {
    report = JSON.parse(r.stdout) as Report;
  } catch {
    report = undefined;
  }
  return { status: r.status, report, stderr: r.stderr };
}
const debs = (r: Report | undefined) => (r?.packages ?? []).map((p) => p.name).sort();

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "rafscan-local-images-"));
  rootfs = join(work, "rootfs");
  // The CLI sample's tree, written out as a directory (a rootfs as `docker export` leaves it).
  for (const e of SAMPLE_TREE) {
    const p = join(rootfs, e.path);
    if (e.type === "dir") mkdirSync(p, { recursive: true, mode: e.mode });
    else if (e.type === "file") writeFileSync(p, e.content ?? "", { mode: e.mode });
    else if (e.type === "symlink") symlinkSync(e.target as string, p);
    else if (e.type === "hardlink") linkSync(join(rootfs, e.target as string), p);
  }
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe("dir:PATH", () => {
  it("scans an unpacked root filesystem and labels it dir", () => {
    const { status, report, stderr } = scanJson(`dir:${rootfs}`);
    expect(status, stderr).toBe(0);
    expect(report?.image.format).toBe("dir");
    expect(report?.os?.family).toBe("debian");
    expect(debs(report)).toEqual(["base-files", "libc6"]);
  });

  it("refuses a missing directory", () => {
    const r = runCli(["scan", `dir:${join(work, "nope")}`]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/does not exist/);
  });
});

describe.skipIf(!HAVE_TAR)("archives", () => {
  let layout = "";
  beforeAll(() => {
    // A Nydus image of the rootfs, packed as an OCI image layout by the CLI itself.
    const out = join(work, "built");
    expect(runCli(["build", rootfs, "-o", out]).status).toBe(0);
    layout = join(work, "layout");
    expect(runCli(["pack", out, `oci:${layout}:v1`]).status).toBe(0);
  }, 120_000);

  it("reads an OCI layout directory without the oci: prefix", () => {
    const { status, report, stderr } = scanJson(layout);
    expect(status, stderr).toBe(0);
    expect(report?.image.format).toBe("rafs-v6");
    expect(debs(report)).toEqual(["base-files", "libc6"]);
  });

  it("warns when --platform names another platform than a single-platform image's (regression: silent)", () => {
    const arch = process.arch === "arm64" ? "amd64" : "arm64";
    const r = runCli(["scan", `oci:${layout}:v1`, "--platform", `linux/${arch}`, "--format", "json"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      new RegExp(`warning: .* is a single-platform linux/\\w+ image, not linux/${arch} as asked`),
    );
    const same = runCli(["scan", `oci:${layout}:v1`, "--format", "json"]);
    expect(same.stderr).not.toMatch(/warning: .*single-platform/);
  });

  it("reads oci-archive:FILE (a tar of that layout)", () => {
    const file = join(work, "image.oci.tar");
    tar(["-cf", file, "-C", layout, "."]);
    const { status, report, stderr } = scanJson(`oci-archive:${file}`);
    expect(status, stderr).toBe(0);
    expect(debs(report)).toEqual(["base-files", "libc6"]);
  });

  it("reads docker-archive:FILE (a `docker save` tar of a plain image) and labels it oci", () => {
    // The pre-Docker-25 layout: manifest.json, <id>.json config, <id>/layer.tar, repositories.
    const save = join(work, "save");
    const layerDir = join(save, "0123abcd");
    mkdirSync(layerDir, { recursive: true });
    tar(["-cf", join(layerDir, "layer.tar"), "-C", rootfs, "."]);
    const diffId = sha256(readFileSync(join(layerDir, "layer.tar")));
    const config = JSON.stringify({
      architecture: "amd64",
      os: "linux",
      config: { Env: ["PATH=/usr/bin:/bin"] },
      rootfs: { type: "layers", diff_ids: [diffId] },
    });
    const configName = `${sha256(Buffer.from(config)).slice(7)}.json`;
    writeFileSync(join(save, configName), config);
    writeFileSync(
      join(save, "manifest.json"),
      JSON.stringify([{ Config: configName, RepoTags: ["sample:v1"], Layers: ["0123abcd/layer.tar"] }]),
    );
    const file = join(work, "image.docker.tar");
    tar(["-cf", file, "-C", save, "."]);
    for (const name of [`docker-archive:${file}`, `docker-archive:${file}:sample:v1`]) {
      const { status, report, stderr } = scanJson(name);
      expect(status, stderr).toBe(0);
      expect(report?.image.format).toBe("oci");
      expect(debs(report)).toEqual(["base-files", "libc6"]);
    }
    // inspect says what the image is, not what it was read through (regression: RAFS v6, none).
    const inspect = runCli(["inspect", `docker-archive:${file}`, "--json"]);
    expect(inspect.status, inspect.stderr).toBe(0);
    expect(JSON.parse(inspect.stdout).stats).toMatchObject({ format: "oci", readAs: "v6" });
    expect(runCli(["inspect", `docker-archive:${file}`]).stdout).toMatch(
      /^Format: +OCI image \(not Nydus\)/m,
    );
    const wrong = runCli(["scan", `docker-archive:${file}:other:v2`]);
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toMatch(/no image other:v2 in the archive \(it has: sample:v1\)/);
  });

  it("refuses an archive that is not an image, and one whose links leave it", () => {
    const file = join(work, "not-an-image.tar");
    tar(["-cf", file, "-C", rootfs, "usr/bin/hello"]);
    expect(runCli(["scan", `docker-archive:${file}`]).stderr).toMatch(/not a `docker save` archive/);
    expect(runCli(["scan", `oci-archive:${file}`]).stderr).toMatch(/not an OCI image layout/);
    const evil = join(work, "evil");
    mkdirSync(evil);
    symlinkSync("/etc/passwd", join(evil, "manifest.json"));
    const evilTar = join(work, "evil.tar");
    tar(["-cf", evilTar, "-C", evil, "."]);
    const r = runCli(["scan", `docker-archive:${evilTar}`]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/points outside the archive/);
  });
});

describe("bare Docker Hub names", () => {
  const sockets = new Set<Socket>();
  const asked: string[] = [];
  const proxy: Server = createServer((_, res) => res.writeHead(502).end());
  proxy.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  proxy.on("connect", (req, socket: Socket) => {
    asked.push(req.url ?? "");
    socket.end("HTTP/1.1 502 Bad Gateway\r\n\r\n");
  });
  let port = 0;
  beforeAll(async () => {
    await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
    port = (proxy.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => proxy.close(r));
  });

  it("`alpine` goes to Docker Hub (regression: 'IMAGE not found: alpine'), a path only if it exists", async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, HTTPS_PROXY: `http://127.0.0.1:${port}`, NO_PROXY: "" };
    delete env.https_proxy;
    delete env.no_proxy;
    const r = await runCliAsync(["scan", "alpine", "--timeout", "30s"], { env });
    expect(r.status).toBe(1);
    expect(r.stderr).not.toMatch(/IMAGE not found/);
    expect(asked).toContain("registry-1.docker.io:443");
  });

  it("a bare name is a path only when that path exists (as Docker decides)", () => {
    // vitest runs in the repository root, where `tests` exists and `alpine` does not.
    expect(isRemoteName("alpine")).toBe(true);
    expect(isRemoteName("alpine:3.20")).toBe(true);
    expect(isRemoteName("tests")).toBe(false);
    expect(isRemoteName("./alpine")).toBe(false);
    expect(isRemoteName(`docker-archive:${work}/x.tar`)).toBe(false);
  });
});
