// Tests of writeOciLayout: the layout and manifest shape of reference 6.1 checked with independent
// tools (GNU tar and gzip for the bootstrap layer, skopeo and umoci for the layout), determinism,
// config and history, the real v6 fixture, a really built image read back through its layers, errors.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writeOciLayout } from "../src/oci/index.js";
import {
  BUILT_FILES,
  builtImage,
  fakeImage,
  HAVE_FIXTURES,
  HAVE_SKOPEO,
  HAVE_TAR,
  layoutManifest,
  readBackFromLayout,
  run,
  sha256,
  V6_BLOB,
  V6_BLOB_ID,
  V6_BOOT,
} from "./oci-support.js";

const HAVE_UMOCI = (() => {
  try {
    run("umoci", ["--version"]);
    return true;
  } catch {
    return false;
  }
})();
if (!HAVE_SKOPEO) console.warn("skopeo checks skipped: `skopeo` is not installed (apt-get install skopeo)");
if (!HAVE_UMOCI) console.warn("umoci checks skipped: `umoci` is not installed (apt-get install umoci)");
if (!HAVE_TAR) console.warn("tar checks skipped: GNU tar is not installed");
if (!HAVE_FIXTURES) console.warn("v6 fixture test skipped: ../shared/fixtures/nydus is absent");

const work = mkdtempSync(join(tmpdir(), "rafscan-oci-layout-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const PLATFORM = { os: "linux", architecture: "arm64", variant: "v8" };

/** Every file under a directory with its bytes, for byte-for-byte comparison. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir, { recursive: true, encoding: "utf8" }).sort()) {
    try {
      out[name] = sha256(readFileSync(join(dir, name)));
    } catch {
      out[name] = "dir";
    }
  }
  return out;
}

describe("writeOciLayout", () => {
  const image = fakeImage(join(work, "fake"));
  const dir = join(work, "layout");

  it("writes the Nydus manifest shape: blob layers, then the bootstrap layer", async () => {
    const result = await writeOciLayout(image, dir, { tag: "v1", platform: PLATFORM });
    expect(JSON.parse(readFileSync(join(dir, "oci-layout"), "utf8"))).toEqual({
      imageLayoutVersion: "1.0.0",
    });
    const index = JSON.parse(readFileSync(join(dir, "index.json"), "utf8"));
    expect(index.manifests).toHaveLength(1);
    expect(index.manifests[0]).toMatchObject({
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      digest: result.manifestDigest,
      annotations: { "org.opencontainers.image.ref.name": "v1" },
      platform: PLATFORM,
    });
    // Content addressing: every blob file hashes to its name.
    for (const name of readdirSync(join(dir, "blobs/sha256"))) {
      expect(sha256(readFileSync(join(dir, "blobs/sha256", name)))).toBe(`sha256:${name}`);
    }
    const { manifest, bytes, blob } = layoutManifest(dir, "v1");
    expect(sha256(bytes)).toBe(result.manifestDigest);
    expect(manifest).toEqual(result.manifest);
    expect(manifest.layers).toHaveLength(3);
    image.blobs.forEach((b, i) => {
      expect(manifest.layers[i]).toEqual({
        mediaType: "application/vnd.oci.image.layer.nydus.blob.v1",
        digest: sha256(readFileSync(b.path)),
        size: b.size,
        annotations: { "containerd.io/snapshot/nydus-blob": "true" },
      });
    });
    const boot = manifest.layers[2];
    expect(boot).toMatchObject({
      mediaType: "application/vnd.oci.image.layer.v1.tar+gzip",
      annotations: {
        "containerd.io/snapshot/nydus-bootstrap": "true",
        "containerd.io/snapshot/nydus-fs-version": "6",
      },
    });
    const gz = readFileSync(blob(boot?.digest ?? ""));
    expect(boot?.size).toBe(gz.length);
    // RFC 1952 header: MTIME 0 and OS 255 whatever the platform.
    expect([...gz.subarray(0, 10)]).toEqual([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
    const config = JSON.parse(readFileSync(blob(manifest.config.digest), "utf8"));
    expect(manifest.config).toEqual({
      mediaType: "application/vnd.oci.image.config.v1+json",
      digest: sha256(readFileSync(blob(manifest.config.digest))),
      size: readFileSync(blob(manifest.config.digest)).length,
    });
    expect(config).toEqual(result.config);
    expect(config).toMatchObject({ architecture: "arm64", os: "linux", variant: "v8" });
    expect(config.history.at(-1)).toEqual({ created_by: "rafscan build", comment: "Nydus Bootstrap Layer" });
    expect(config.rootfs.diff_ids.slice(0, 2)).toEqual(image.blobs.map((b) => sha256(readFileSync(b.path))));
    if (HAVE_TAR) {
      // GNU tar and gzip as independent readers of the bootstrap layer.
      const listing = run("tar", ["-tvzf", blob(boot?.digest ?? "")])
        .trim()
        .split("\n");
      expect(listing.map((l) => l.split(/\s+/).slice(0, 3).concat(l.split(/\s+/).slice(-1)))).toEqual([
        ["drwxr-xr-x", "0/0", "0", "image/"],
        ["-r--r--r--", "0/0", String(readFileSync(image.bootstrap).length), "image/image.boot"],
      ]);
      const extracted = execFileSync("tar", ["-xzOf", blob(boot?.digest ?? ""), "image/image.boot"]);
      expect(extracted.equals(readFileSync(image.bootstrap))).toBe(true);
      const tar = execFileSync("gzip", ["-dc", blob(boot?.digest ?? "")]);
      expect(config.rootfs.diff_ids[2]).toBe(sha256(tar));
    }
  });

  it.skipIf(!HAVE_SKOPEO)("is read by skopeo", async () => {
    const { digest, manifest } = layoutManifest(dir, "v1");
    const inspect = JSON.parse(run("skopeo", ["inspect", `oci:${dir}:v1`]));
    expect(inspect.Digest).toBe(digest);
    expect(inspect.Layers).toEqual(manifest.layers.map((l) => l.digest));
    expect({ os: inspect.Os, arch: inspect.Architecture }).toEqual({ os: "linux", arch: "arm64" });
    expect(run("skopeo", ["inspect", "--raw", `oci:${dir}:v1`])).toBe(
      readFileSync(layoutManifest(dir, "v1").blob(digest), "utf8"),
    );
    // A copy to another layout reproduces our manifest digest, so skopeo kept every byte.
    run("skopeo", ["copy", "--quiet", `oci:${dir}:v1`, `oci:${join(work, "copied")}:v1`]);
    expect(layoutManifest(join(work, "copied"), "v1").digest).toBe(digest);
  });

  it.skipIf(!HAVE_UMOCI)("pairs history, layers and diff ids as umoci reads them", () => {
    const { manifest } = layoutManifest(dir, "v1");
    const stat = JSON.parse(run("umoci", ["stat", "--json", "--image", `${dir}:v1`]));
    expect(stat.history.map((h: { layer?: { digest: string } }) => h.layer?.digest)).toEqual(
      manifest.layers.map((l) => l.digest),
    );
    expect(stat.history.at(-1).comment).toBe("Nydus Bootstrap Layer");
  });

  it("is deterministic: the same image twice gives the same bytes", async () => {
    const again = join(work, "layout-again");
    const a = await writeOciLayout(image, again, { tag: "v1", platform: PLATFORM });
    expect(snapshot(again)).toEqual(snapshot(dir));
    // Rewriting a tag in place changes nothing; a second tag adds a manifest and keeps the first.
    const b = await writeOciLayout(image, again, { tag: "v1", platform: PLATFORM });
    expect(b.manifestDigest).toBe(a.manifestDigest);
    expect(snapshot(again)).toEqual(snapshot(dir));
    await writeOciLayout(image, again, { tag: "other", platform: { os: "linux", architecture: "amd64" } });
    const index = JSON.parse(readFileSync(join(again, "index.json"), "utf8"));
    expect(
      index.manifests.map((m: { annotations: Record<string, string> }) => Object.values(m.annotations)),
    ).toEqual([["v1"], ["other"]]);
    expect(layoutManifest(again, "v1").digest).toBe(a.manifestDigest);
    expect(readdirSync(join(again, "blobs/sha256")).filter((n) => n.startsWith("."))).toEqual([]);
  });

  it("keeps the base config and pairs its history with the layers", async () => {
    const base = {
      created: "2024-01-02T03:04:05Z",
      architecture: "s390x",
      os: "linux",
      config: { Env: ["PATH=/usr/bin", "A=1"], Cmd: ["/bin/sh"], WorkingDir: "/srv", Labels: { x: "y" } },
      rootfs: { type: "layers", diff_ids: ["sha256:aa", "sha256:bb"] },
      history: [
        { created_by: "ADD rootfs" },
        { created_by: "ENV A=1", empty_layer: true },
        { created_by: "RUN make" },
      ],
    };
    const paired = await writeOciLayout(image, join(work, "base"), { baseConfig: base });
    const config = paired.config as typeof base & { history: Record<string, unknown>[] };
    expect(config).toMatchObject({ created: base.created, architecture: "s390x", config: base.config });
    expect(config.rootfs.diff_ids).toHaveLength(3);
    // Two layer entries for two blobs: kept as they are, plus the bootstrap's.
    expect(config.history).toEqual([
      ...base.history,
      { created_by: "rafscan build", comment: "Nydus Bootstrap Layer" },
    ]);

    const one = { ...image, blobs: image.blobs.slice(0, 1) };
    const unpaired = await writeOciLayout(one, join(work, "base1"), {
      baseConfig: base,
      platform: { os: "linux", architecture: "riscv64" },
    });
    const history = (unpaired.config as { history: Record<string, unknown>[] }).history;
    expect(history.filter((h) => h.empty_layer !== true)).toHaveLength(2);
    expect(history.slice(0, 3).every((h) => h.empty_layer === true)).toBe(true);
    expect(unpaired.config).toMatchObject({ architecture: "riscv64" });
    if (HAVE_UMOCI) {
      // umoci gives each non-empty entry the next layer: the blob's, then the bootstrap's.
      const stat = JSON.parse(run("umoci", ["stat", "--json", "--image", `${join(work, "base1")}:latest`]));
      const paired = stat.history.filter(
        (h: { layer?: unknown }) => h.layer !== undefined && h.layer !== null,
      );
      expect(paired.map((h: { layer: { digest: string } }) => h.layer.digest)).toEqual(
        (unpaired.manifest as { layers: { digest: string }[] }).layers.map((l) => l.digest),
      );
    }
  });

  it.skipIf(!HAVE_TAR)(
    "packages really built v5 and v6 images that read back through their layers",
    async () => {
      for (const fsVersion of [5, 6] as const) {
        const built = await builtImage(join(work, `built${fsVersion}`), fsVersion);
        const layout = join(work, `built-layout${fsVersion}`);
        const { manifest } = await writeOciLayout(built, layout, { tag: "t" });
        expect(
          (manifest as { layers: { annotations: Record<string, string> }[] }).layers.at(-1)?.annotations,
        ).toMatchObject({
          "containerd.io/snapshot/nydus-fs-version": String(fsVersion),
        });
        // The bootstrap names its blobs by id; the layout has them as layers sha256:<id>.
        const files = await readBackFromLayout(layout, "t", join(work, `extract${fsVersion}`));
        for (const [path, data] of Object.entries(BUILT_FILES))
          expect(files[path]?.equals(data), path).toBe(true);
      }
    },
  );

  it.skipIf(!HAVE_FIXTURES)(
    "packages the real v6 fixture, whose blob id is not its sha256 (reference 4.7)",
    async () => {
      const fixture = {
        bootstrap: V6_BOOT,
        blobs: [{ id: V6_BLOB_ID, path: V6_BLOB, size: readFileSync(V6_BLOB).length }],
        fsVersion: 6 as const,
      };
      // The builder names blobs by sha256, so by default a blob whose id is not its hash is refused:
      // a Nydus client would look for layer sha256:<id> and not find it.
      await expect(writeOciLayout(fixture, join(work, "fixture-strict"))).rejects.toMatchObject({
        code: "BUILD_BLOB_MISMATCH",
      });
      const layout = join(work, "fixture");
      const { manifest } = await writeOciLayout(fixture, layout, { tag: "v6", checkBlobIds: false });
      const layers = (manifest as { layers: { digest: string; size: number }[] }).layers;
      expect(layers[0]).toMatchObject({ digest: sha256(readFileSync(V6_BLOB)), size: 14554 });
      expect(layers[0]?.digest).not.toBe(`sha256:${V6_BLOB_ID}`);
      if (HAVE_TAR) {
        const boot = execFileSync("tar", [
          "-xzOf",
          layoutManifest(layout, "v6").blob(layers[1]?.digest ?? ""),
          "image/image.boot",
        ]);
        expect(boot.equals(readFileSync(V6_BOOT))).toBe(true);
      }
      if (HAVE_SKOPEO)
        expect(JSON.parse(run("skopeo", ["inspect", `oci:${layout}:v6`])).Layers).toHaveLength(2);
    },
  );

  it("raises typed errors for bad input", async () => {
    await expect(writeOciLayout(image, join(work, "e1"), { tag: "bad tag" })).rejects.toMatchObject({
      code: "BUILD_OPTION",
    });
    const [first, second] = image.blobs;
    if (first === undefined || second === undefined) throw new Error("fake image has two blobs");
    const wrongSize = { ...image, blobs: [{ ...first, size: first.size + 1 }] };
    await expect(writeOciLayout(wrongSize, join(work, "e2"))).rejects.toMatchObject({
      code: "BUILD_BLOB_MISMATCH",
    });
    const swapped = { ...image, blobs: [{ ...first, id: second.id }] };
    await expect(writeOciLayout(swapped, join(work, "e3"))).rejects.toMatchObject({
      code: "BUILD_BLOB_MISMATCH",
    });
    await expect(writeOciLayout(image, join(work, "e4"), { baseConfig: [] })).rejects.toMatchObject({
      code: "BUILD_OPTION",
    });
    const broken = join(work, "e5");
    await writeOciLayout(image, broken);
    writeFileSync(join(broken, "index.json"), "{ not json");
    await expect(writeOciLayout(image, broken)).rejects.toMatchObject({ code: "BUILD_OCI_LAYOUT" });
    writeFileSync(join(broken, "index.json"), JSON.stringify({ schemaVersion: 2, manifests: {} }));
    await expect(writeOciLayout(image, broken)).rejects.toMatchObject({ code: "BUILD_OCI_LAYOUT" });
    const controller = new AbortController();
    controller.abort(new Error("stopped"));
    await expect(writeOciLayout(image, join(work, "e6"), { signal: controller.signal })).rejects.toThrow(
      "stopped",
    );
  });
});
