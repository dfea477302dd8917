// Regression: `convert` of a multi-platform index converted only the host platform, silently, and
// wrote one manifest under the tag. Now the output names the platform converted, and
// `--all-platforms` converts every platform and writes a Nydus image index.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./support/run-cli.js";

const HAVE_TAR = spawnSync("tar", ["--version"], { stdio: "ignore" }).status === 0;
if (!HAVE_TAR) console.warn("[rafscan tests] convert --all-platforms tests skipped: needs GNU tar");

const sha256 = (b: Uint8Array) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
const HOST = process.arch === "arm64" ? "arm64" : "amd64";

let work = "";
let src = "";
/** Writes a blob into the layout and returns its descriptor. */
function blob(mediaType: string, bytes: Buffer, extra: Record<string, unknown> = {}) {
  const digest = sha256(bytes);
  writeFileSync(join(src, "blobs", "sha256", digest.slice(7)), bytes);
  return { mediaType, digest, size: bytes.length, ...extra };
}

beforeAll(() => {
  if (!HAVE_TAR) return;
  work = mkdtempSync(join(tmpdir(), "rafscan-convert-platforms-"));
  // A plain two-platform image in an OCI layout: one layer per platform (a file naming it), an
  // image index tagged `t`.
  src = join(work, "src");
  mkdirSync(join(src, "blobs", "sha256"), { recursive: true });
  const manifests = [];
  for (const arch of ["amd64", "arm64"]) {
    const tree = join(work, `tree-${arch}`);
    mkdirSync(join(tree, "etc"), { recursive: true });
    writeFileSync(join(tree, "etc", "arch"), `${arch}\n`);
    const tarPath = join(work, `${arch}.tar`);
    const r = spawnSync("tar", [
      "--sort=name",
      "--owner=0",
      "--group=0",
      "--numeric-owner",
      "-cf",
      tarPath,
      "-C",
      tree,
      ".",
    ]);
    expect(r.status).toBe(0);
    const tar = readFileSync(tarPath);
    const layer = blob("application/vnd.oci.image.layer.v1.tar+gzip", gzipSync(tar));
    const config = blob(
      "application/vnd.oci.image.config.v1+json",
      Buffer.from(
        JSON.stringify({
          architecture: arch,
          os: "linux",
          rootfs: { type: "layers", diff_ids: [sha256(tar)] },
        }),
      ),
    );
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        config,
        layers: [layer],
      }),
    );
    manifests.push(
      blob("application/vnd.oci.image.manifest.v1+json", manifest, {
        platform: { os: "linux", architecture: arch },
      }),
    );
  }
  const index = blob(
    "application/vnd.oci.image.index.v1+json",
    Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests }),
    ),
    { annotations: { "org.opencontainers.image.ref.name": "t" } },
  );
  writeFileSync(join(src, "oci-layout"), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(join(src, "index.json"), JSON.stringify({ schemaVersion: 2, manifests: [index] }));
});
afterAll(() => {
  if (work !== "") rmSync(work, { recursive: true, force: true });
});

const layoutDoc = (dir: string, digest: string) =>
  JSON.parse(readFileSync(join(dir, "blobs", "sha256", digest.slice(7)), "utf8"));

describe.skipIf(!HAVE_TAR)("convert of a multi-platform index", () => {
  it("without --all-platforms: says which platform it converted and that others exist", () => {
    const dest = join(work, "one");
    const r = runCli(["convert", `oci:${src}:t`, `oci:${dest}:n`]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`(platform linux/${HOST}`);
    expect(r.stderr).toMatch(/converted one platform; --all-platforms converts every platform/);
  });

  it("--all-platforms: a Nydus manifest per platform, under one image index", () => {
    const dest = join(work, "all");
    const r = runCli(["convert", `oci:${src}:t`, `oci:${dest}:n`, "--all-platforms", "--json"]);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.slice(0, 2).map((l) => l.platform)).toEqual(["linux/amd64", "linux/arm64"]);
    expect(lines[2]).toMatchObject({ platforms: ["linux/amd64", "linux/arm64"] });
    const top = JSON.parse(readFileSync(join(dest, "index.json"), "utf8"));
    const tagged = top.manifests.find(
      (m: { annotations?: Record<string, string> }) =>
        m.annotations?.["org.opencontainers.image.ref.name"] === "n",
    );
    expect(tagged.mediaType).toBe("application/vnd.oci.image.index.v1+json");
    expect(tagged.digest).toBe(lines[2].index);
    const index = layoutDoc(dest, tagged.digest);
    expect(
      index.manifests.map((m: { platform: { architecture: string } }) => m.platform.architecture),
    ).toEqual(["amd64", "arm64"]);
    for (const [i, m] of index.manifests.entries()) {
      expect(m.digest).toBe(lines[i].manifestDigest);
      const manifest = layoutDoc(dest, m.digest);
      expect(JSON.stringify(manifest.layers)).toMatch(/nydus/);
    }
    // Each platform reads back as its own tree.
    for (const arch of ["amd64", "arm64"]) {
      const cat = runCli(["cat", `oci:${dest}:n`, "/etc/arch", "--platform", `linux/${arch}`]);
      expect(cat.status, cat.stderr).toBe(0);
      expect(cat.stdout).toBe(`${arch}\n`);
    }
  });

  it("refuses --platform together with --all-platforms", () => {
    const r = runCli([
      "convert",
      `oci:${src}:t`,
      `oci:${join(work, "x")}:n`,
      "--all-platforms",
      "--platform",
      "linux/arm64",
    ]);
    expect(r.status).toBe(2);
  });
});
