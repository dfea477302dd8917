// Tests of pushImage against a real registry (Debian's docker-registry, distribution 2.8) on
// 127.0.0.1: skopeo pulls what was pushed and must see our manifest byte for byte; a really built
// image pulled back reads through its layers; Basic auth, relative Location URLs, digest references.
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  HAVE_HTPASSWD,
  REGISTRY_BIN,
  type RegistryServer,
  startRegistry,
} from "../../registry/test/helpers/registry-server.js";
import { type BuiltImage, type PushProgress, pushImage, writeOciLayout } from "../src/oci/index.js";
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

if (REGISTRY_BIN === undefined) {
  console.warn(
    "registry push tests skipped: `docker-registry` is not installed (apt-get install docker-registry)",
  );
} else if (!HAVE_SKOPEO) {
  console.warn("registry push tests skipped: `skopeo` is not installed (apt-get install skopeo)");
}
if (!HAVE_HTPASSWD)
  console.warn("registry auth test skipped: `htpasswd` is not installed (apt-get install apache2-utils)");

const PLATFORM = { os: "linux", architecture: "amd64" };
const AUTH = { username: "nydus", password: "s3cret-pass" };

/** Copies `docker://ref` into an OCI layout with skopeo and returns the layout directory. */
function pull(ref: string, dir: string, tag: string, creds?: string): string {
  run("skopeo", [
    "copy",
    "--quiet",
    "--src-tls-verify=false",
    ...(creds === undefined ? [] : ["--src-creds", creds]),
    `docker://${ref}`,
    `oci:${dir}:${tag}`,
  ]);
  return dir;
}

describe.skipIf(REGISTRY_BIN === undefined || !HAVE_SKOPEO)("pushImage to docker-registry", () => {
  let work = "";
  let open: RegistryServer;
  let relative: RegistryServer;
  let image: BuiltImage;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "rafscan-oci-push-"));
    image = fakeImage(join(work, "fake"));
    [open, relative] = await Promise.all([startRegistry(), startRegistry({ relativeUrls: true })]);
  });
  afterAll(async () => {
    await Promise.all([open?.stop(), relative?.stop()]);
    await rm(work, { recursive: true, force: true });
  });

  it("pushes the manifest writeOciLayout writes, and skopeo pulls it back unchanged", async () => {
    const events: PushProgress[] = [];
    const ref = `${open.host}/nydus/fake:v1`;
    const { manifestDigest } = await pushImage(image, ref, {
      insecure: true,
      platform: PLATFORM,
      onProgress: (ev) => events.push(ev),
    });
    const local = await writeOciLayout(image, join(work, "local"), { tag: "v1", platform: PLATFORM });
    expect(manifestDigest).toBe(local.manifestDigest);

    const inspect = JSON.parse(run("skopeo", ["inspect", "--tls-verify=false", `docker://${ref}`]));
    expect(inspect.Digest).toBe(manifestDigest);
    const raw = run("skopeo", ["inspect", "--raw", "--tls-verify=false", `docker://${ref}`]);
    expect(sha256(Buffer.from(raw))).toBe(manifestDigest);

    const pulled = pull(ref, join(work, "pulled"), "v1");
    const back = layoutManifest(pulled, "v1");
    expect(back.digest).toBe(manifestDigest);
    expect(back.manifest).toEqual(local.manifest);
    const expected = layoutManifest(join(work, "local"), "v1");
    for (const layer of back.manifest.layers) {
      expect(readFileSync(back.blob(layer.digest)).equals(readFileSync(expected.blob(layer.digest)))).toBe(
        true,
      );
    }
    // Every blob (2 data blobs, bootstrap layer, config) reported complete.
    const done = new Map(events.filter((e) => e.bytes === e.total).map((e) => [e.blob, e.total]));
    expect(done).toEqual(
      new Map([...back.manifest.layers, back.manifest.config].map((d) => [d.digest, d.size] as const)),
    );
  });

  it("skips blobs the repository has, and pushes by digest", async () => {
    const ref = `${open.host}/nydus/fake`;
    const first = await pushImage(image, `${ref}:v2`, { insecure: true, platform: PLATFORM });
    const events: PushProgress[] = [];
    const again = await pushImage(image, `${ref}@${first.manifestDigest}`, {
      insecure: true,
      platform: PLATFORM,
      onProgress: (ev) => events.push(ev),
    });
    expect(again.manifestDigest).toBe(first.manifestDigest);
    // Each blob reported once, complete, without reading it.
    expect(events).toHaveLength(4);
    expect(events.every((e) => e.bytes === e.total)).toBe(true);
    const inspect = JSON.parse(
      run("skopeo", ["inspect", "--tls-verify=false", `docker://${ref}@${first.manifestDigest}`]),
    );
    expect(inspect.Digest).toBe(first.manifestDigest);
    await expect(
      pushImage(image, `${ref}@sha256:${"0".repeat(64)}`, { insecure: true, platform: PLATFORM }),
    ).rejects.toMatchObject({ code: "REGISTRY_INVALID_REFERENCE" });
  });

  it.skipIf(!HAVE_TAR)("pushes really built images that read back after a skopeo pull", async () => {
    for (const fsVersion of [5, 6] as const) {
      const built = await builtImage(join(work, `built${fsVersion}`), fsVersion);
      // The registry with relative Location headers, so both URL forms meet a real server.
      const ref = `${relative.host}/nydus/built:v${fsVersion}`;
      await pushImage(built, ref, { insecure: true });
      const pulled = pull(ref, join(work, `built-pulled${fsVersion}`), "t");
      const files = await readBackFromLayout(pulled, "t", join(work, `built-extract${fsVersion}`));
      for (const [path, data] of Object.entries(BUILT_FILES))
        expect(files[path]?.equals(data), path).toBe(true);
    }
  });

  it.skipIf(!HAVE_FIXTURES)(
    "pushes the real v6 fixture with the same layer shape skopeo reads back",
    async () => {
      const fixture: BuiltImage = {
        bootstrap: V6_BOOT,
        blobs: [{ id: V6_BLOB_ID, path: V6_BLOB, size: readFileSync(V6_BLOB).length }],
        fsVersion: 6,
      };
      // Its blob id is not the file's sha256 (reference 4.7); the builder's are, and the check is on.
      await expect(pushImage(fixture, `${open.host}/nydus/v6:x`, { insecure: true })).rejects.toMatchObject({
        code: "BUILD_BLOB_MISMATCH",
      });
      const ref = `${open.host}/nydus/v6:2.2`;
      const { manifestDigest } = await pushImage(fixture, ref, { insecure: true, checkBlobIds: false });
      const back = layoutManifest(pull(ref, join(work, "v6"), "v6"), "v6");
      expect(back.digest).toBe(manifestDigest);
      expect(back.manifest.layers.map((l) => [l.mediaType, l.digest, l.annotations])).toEqual([
        [
          "application/vnd.oci.image.layer.nydus.blob.v1",
          sha256(readFileSync(V6_BLOB)),
          { "containerd.io/snapshot/nydus-blob": "true" },
        ],
        [
          "application/vnd.oci.image.layer.v1.tar+gzip",
          back.manifest.layers[1]?.digest,
          {
            "containerd.io/snapshot/nydus-bootstrap": "true",
            "containerd.io/snapshot/nydus-fs-version": "6",
          },
        ],
      ]);
      expect(
        readFileSync(back.blob(back.manifest.layers[0]?.digest ?? "")).equals(readFileSync(V6_BLOB)),
      ).toBe(true);
    },
  );

  it.skipIf(!HAVE_HTPASSWD)("needs the right password on a registry with Basic auth", async () => {
    const secured = await startRegistry({ auth: AUTH });
    try {
      const ref = `${secured.host}/nydus/auth:v1`;
      const wrong = await pushImage(image, ref, {
        insecure: true,
        username: AUTH.username,
        password: "nope",
      }).catch((e: unknown) => e);
      expect(wrong).toMatchObject({ name: "RegistryError", code: "REGISTRY_UNAUTHORIZED", status: 401 });
      await expect(pushImage(image, ref, { insecure: true })).rejects.toMatchObject({
        code: "REGISTRY_UNAUTHORIZED",
      });
      const { manifestDigest } = await pushImage(image, ref, { insecure: true, ...AUTH });
      const creds = `${AUTH.username}:${AUTH.password}`;
      const inspect = JSON.parse(
        run("skopeo", ["inspect", "--tls-verify=false", "--creds", creds, `docker://${ref}`]),
      );
      expect(inspect.Digest).toBe(manifestDigest);
      // The registry really is locked: skopeo without credentials is refused too.
      expect(() => run("skopeo", ["inspect", "--tls-verify=false", `docker://${ref}`])).toThrow();
    } finally {
      await secured.stop();
    }
  });
});
