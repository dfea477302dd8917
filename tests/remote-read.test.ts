// Reading a Nydus image straight from a registry (docker-registry on 127.0.0.1, through the fault
// proxy without faults): every byte matches the source tree; only the manifest, config, bootstrap
// layer and the chunks of the files read cross the wire; concurrent reads are coalesced and the
// concurrency limit holds; OCI layouts, merged indexes, plain images, the disk cache and the CLI.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BuiltImage, plainImageOpener, writeOciLayout } from "@rafscan/builder";
import {
  hostPlatform,
  isRegistryError,
  type OpenImageOptions,
  openImage,
  RegistryErrorCode,
} from "@rafscan/registry";
import type { Image } from "@rafscan/vfs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type FaultProxy, startFaultProxy } from "../packages/registry/test/helpers/fault-proxy.js";
import { type RegistryServer, startRegistry } from "../packages/registry/test/helpers/registry-server.js";
import {
  buildNydus,
  HAVE_REGISTRY,
  HAVE_TAR,
  isBlobPath,
  mismatches,
  type PushedImage,
  pushMergedIndex,
  pushNydus,
  pushPlain,
  rejection,
  runCliAsync,
  SMALL_FILES,
  type TreeFiles,
  writeTree,
} from "./support/remote-image.js";
import { jsonLines, runCli } from "./support/run-cli.js";

const REPO = "rafscan/remote";
const opened: Image[] = [];
/** openImage, closing the image after the test (layout images hold file handles). */
async function open(name: string, options: OpenImageOptions = {}): Promise<Image> {
  const image = await openImage(name, options);
  opened.push(image);
  return image;
}
afterEach(async () => {
  await Promise.all(opened.splice(0).map((i) => i.close()));
});

const SMALL = Array.from({ length: SMALL_FILES }, (_, i) => `/small/f${String(i).padStart(2, "0")}.txt`);

describe.skipIf(!HAVE_REGISTRY)("reading a Nydus image from a registry", () => {
  let work = "";
  let tree = "";
  let files: TreeFiles;
  let built: BuiltImage;
  let registry: RegistryServer;
  let proxy: FaultProxy;
  let nydus: PushedImage;
  /** The image by its registry name, and the same through the proxy. */
  let direct = "";
  let proxied = "";

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "rafscan-remote-read-"));
    tree = join(work, "tree");
    files = writeTree(tree);
    [built, registry] = await Promise.all([buildNydus(tree, join(work, "built")), startRegistry()]);
    proxy = await startFaultProxy({ target: registry.host });
    nydus = await pushNydus(built, registry.host, REPO, "v1");
    direct = `${registry.host}/${REPO}:v1`;
    proxied = `${proxy.host}/${REPO}:v1`;
  });
  afterAll(async () => {
    await proxy?.stop();
    await registry?.stop();
    if (work !== "") rmSync(work, { recursive: true, force: true });
  });

  it("lists, stats and reads exactly the source tree", async () => {
    const image = await open(direct, { insecure: true });
    expect((await image.readdir("/")).sort()).toEqual(["big", "etc", "small"]);
    expect((await image.readdir("/small")).sort()).toEqual(readdirSync(join(tree, "small")).sort());
    for (const [path, data] of files) {
      const st = await image.stat(path);
      expect(st.isFile()).toBe(true);
      expect(st.size).toBe(data.length);
    }
    expect((await image.stat("/etc")).isDirectory()).toBe(true);
    expect(await mismatches(image, files)).toEqual([]);
  });

  it("describes its origin: manifest digest, image size, config", async () => {
    const image = await open(direct, { insecure: true });
    const origin = image.origin;
    expect(origin?.kind).toBe("registry");
    expect(origin?.name).toBe(direct);
    expect(origin?.manifestDigest).toBe(nydus.manifestDigest);
    expect(origin?.imageBytes).toBe(nydus.parsed.layers.reduce((n, l) => n + l.size, 0));
    expect(origin?.config?.os).toBe("linux");
    expect(origin?.config?.rootfs).toMatchObject({ type: "layers" });
    expect(origin?.transport?.otherRequests).toBeGreaterThanOrEqual(3);
  });

  it("fetches only the metadata and the chunks of the one file read", async () => {
    proxy.reset();
    const image = await open(proxied, { insecure: true });
    const bootstrapLayer = nydus.parsed.layers.at(-1);
    const dataLayer = nydus.parsed.layers[0];
    expect(bootstrapLayer?.annotations?.["containerd.io/snapshot/nydus-bootstrap"]).toBe("true");
    const afterOpen = proxy.stats.bytesSent;

    expect((await image.readFile("/etc/os-release")).equals(files.get("/etc/os-release") as Buffer)).toBe(
      true,
    );
    const extents = await image.fileExtents("/etc/os-release");
    const chunkBytes = extents.reduce((n, e) => n + (e.kind === "chunk" ? e.chunk.compressedSize : 0), 0);
    expect(chunkBytes).toBeGreaterThan(0);

    const records = proxy.stats.byRequest;
    // `GET /v2/` answers `{}`: version check bytes are not image bytes.
    const pingBytes = records.filter((r) => r.path === "/v2/").reduce((n, r) => n + r.bytes, 0);
    expect(pingBytes).toBeLessThanOrEqual(16);
    const metadata = nydus.manifest.length + nydus.parsed.config.size + (bootstrapLayer?.size ?? 0);
    expect(afterOpen - pingBytes).toBeLessThanOrEqual(metadata);
    expect(proxy.stats.bytesSent - pingBytes).toBeLessThanOrEqual(metadata + chunkBytes);
    // The data blob only ever by Range, and only the chunk's bytes of it.
    const blobGets = records.filter((r) => r.path.includes(dataLayer?.digest ?? "?"));
    expect(blobGets.length).toBe(1);
    expect(blobGets.every((r) => r.range !== undefined && r.status === 206)).toBe(true);
    expect(blobGets.reduce((n, r) => n + r.bytes, 0)).toBe(chunkBytes);
    console.info(
      `[remote-read] /etc/os-release: ${proxy.stats.bytesSent} bytes at the proxy (manifest ${nydus.manifest.length}, ` +
        `config ${nydus.parsed.config.size}, bootstrap layer ${bootstrapLayer?.size}, chunk ${chunkBytes}, ping ${pingBytes}) ` +
        `of an image of ${image.origin?.imageBytes} bytes`,
    );
    expect(image.origin?.transport?.rangeRequests).toBe(1);
    expect(image.origin?.transport?.rangeBytes).toBe(chunkBytes);
  });

  it("coalesces reads issued together into fewer requests, and splits them when told not to", async () => {
    const blobRequests = () =>
      proxy.stats.byRequest.filter((r) => r.range !== undefined && isBlobPath(r.path));
    proxy.reset();
    const merged = await open(proxied, { insecure: true });
    const got = await Promise.all(SMALL.map((p) => merged.readFile(p)));
    expect(got.every((b, i) => b.equals(files.get(SMALL[i] as string) as Buffer))).toBe(true);
    const mergedCount = blobRequests().length;
    expect(mergedCount).toBeLessThan(SMALL.length);

    let chunks = 0;
    for (const p of SMALL) chunks += (await merged.fileExtents(p)).filter((e) => e.kind === "chunk").length;
    proxy.reset();
    const split = await open(proxied, { insecure: true, gap: 0, maxRequestBytes: 1 });
    const again = await Promise.all(SMALL.map((p) => split.readFile(p)));
    expect(again.every((b, i) => b.equals(files.get(SMALL[i] as string) as Buffer))).toBe(true);
    // One request per chunk when nothing may be merged.
    expect(blobRequests().length).toBe(chunks);
    expect(chunks).toBeGreaterThan(mergedCount);
    console.info(
      `[remote-read] ${SMALL.length} small files: ${mergedCount} request(s) coalesced, ${chunks} split`,
    );
  });

  it("keeps at most `concurrency` blob requests in flight", async () => {
    const HOLD_MS = 150;
    const arrivals: number[] = [];
    const limited = await startFaultProxy({
      target: registry.host,
      fault: (req) => {
        if (req.range === undefined || !isBlobPath(req.path)) return undefined;
        arrivals.push(performance.now());
        return { kind: "delay", ms: HOLD_MS };
      },
    });
    try {
      const image = await open(`${limited.host}/${REPO}:v1`, {
        insecure: true,
        concurrency: 2,
        gap: 0,
        maxRequestBytes: 1,
      });
      const wanted = SMALL.slice(0, 8);
      const got = await Promise.all(wanted.map((p) => image.readFile(p)));
      expect(got.every((b, i) => b.equals(files.get(wanted[i] as string) as Buffer))).toBe(true);
      expect(arrivals.length).toBeGreaterThanOrEqual(wanted.length);
      // Each request is held HOLD_MS: if a third one could start while two were held, two
      // arrivals apart by two places would be closer than that.
      for (let i = 0; i + 2 < arrivals.length; i++) {
        expect((arrivals[i + 2] as number) - (arrivals[i] as number)).toBeGreaterThan(HOLD_MS * 0.9);
      }
      // ... and two do run together (with a limit of 1 the second would wait for the first).
      expect((arrivals[1] as number) - (arrivals[0] as number)).toBeLessThan(HOLD_MS);
    } finally {
      await limited.stop();
    }
  });

  it("reads the same bytes from an OCI image layout of the same image", async () => {
    const layout = join(work, "layout");
    const written = await writeOciLayout(built, layout, { tag: "v1", platform: hostPlatform() });
    expect(written.manifestDigest).toBe(nydus.manifestDigest);
    const image = await open(`oci:${layout}:v1`);
    expect(image.origin?.kind).toBe("layout");
    expect(image.origin?.manifestDigest).toBe(nydus.manifestDigest);
    expect(await mismatches(image, files)).toEqual([]);
  });

  describe.skipIf(!HAVE_TAR)("indexes and plain images", () => {
    let plain: PushedImage;
    beforeAll(async () => {
      plain = await pushPlain(tree, work, registry.host, REPO, "plain");
      await pushMergedIndex(registry.host, REPO, "merged", plain, nydus, hostPlatform());
    });

    it("picks the Nydus manifest of a merged index", async () => {
      const image = await open(`${registry.host}/${REPO}:merged`, { insecure: true });
      expect(image.origin?.manifestDigest).toBe(nydus.manifestDigest);
      expect(image.origin?.converted).toBeUndefined();
      expect(await mismatches(image, files)).toEqual([]);
    });

    it("fails with REGISTRY_BAD_IMAGE listing the platforms when none matches", async () => {
      const other = hostPlatform().architecture === "s390x" ? "linux/riscv64" : "linux/s390x";
      const err = await rejection(
        openImage(`${registry.host}/${REPO}:merged`, { insecure: true, platform: other }),
      );
      expect(isRegistryError(err, RegistryErrorCode.BAD_IMAGE)).toBe(true);
      const host = `${hostPlatform().os}/${hostPlatform().architecture}`;
      expect((err as Error).message).toContain(other);
      expect((err as Error).message).toContain(`it has: ${host}, ${host}`);
    });

    it("refuses a plain image with REGISTRY_NOT_NYDUS naming its layer types", async () => {
      const err = await rejection(openImage(`${registry.host}/${REPO}:plain`, { insecure: true }));
      expect(isRegistryError(err, RegistryErrorCode.NOT_NYDUS)).toBe(true);
      expect((err as Error).message).toContain("1 × application/vnd.oci.image.layer.v1.tar+gzip");
    });

    it("reads a plain image by downloading its layers when allowed", async () => {
      const image = await open(`${registry.host}/${REPO}:plain`, {
        insecure: true,
        plainImage: plainImageOpener({ insecure: true }),
      });
      expect(image.origin?.converted).toBe(true);
      expect(image.origin?.manifestDigest).toBe(plain.manifestDigest);
      expect(image.origin?.transport?.layersDownloaded).toBe(plain.parsed.layers.length);
      expect(await mismatches(image, files)).toEqual([]);
    });
  });

  it("serves a second open and read from the disk cache, and refetches a corrupted cached range", async () => {
    const cacheDir = join(work, "cache");
    const wanted = ["/etc/os-release", "/small/f03.txt", "/big/data.bin"];
    const first = await open(proxied, { insecure: true, cacheDir });
    for (const p of wanted) expect((await first.readFile(p)).equals(files.get(p) as Buffer)).toBe(true);
    expect(first.origin?.transport?.rangeBytes).toBeGreaterThan(0);

    proxy.reset();
    const second = await open(proxied, { insecure: true, cacheDir });
    for (const p of wanted) expect((await second.readFile(p)).equals(files.get(p) as Buffer)).toBe(true);
    const t = second.origin?.transport;
    expect(t?.rangeBytes).toBe(0);
    expect(t?.rangeRequests).toBe(0);
    expect(t?.diskHits).toBeGreaterThan(0);
    // Only the manifest (by tag) was asked for again: no blob at all crossed the wire.
    expect(proxy.stats.byRequest.filter((r) => isBlobPath(r.path))).toEqual([]);

    // Flip a byte in the middle of the cached range that holds /small/f03.txt's chunk.
    const [extent] = await second.fileExtents("/small/f03.txt");
    if (extent?.kind !== "chunk") throw new Error("expected a chunk extent");
    const dataDigest = (nydus.parsed.layers[0]?.digest ?? "").split(":")[1] as string;
    const rangeDir = join(cacheDir, "ranges", "sha256", dataDigest);
    const loc = extent.chunk;
    const holder = readdirSync(rangeDir)
      .map((name) => /^(\d+)-(\d+)$/.exec(name))
      .find(
        (m) =>
          m !== null &&
          Number(m[1]) <= loc.compressedOffset &&
          Number(m[1]) + Number(m[2]) >= loc.compressedOffset + loc.compressedSize,
      );
    if (holder == null) throw new Error("no cached range holds the chunk");
    const file = join(rangeDir, holder[0]);
    const bytes = readFileSync(file);
    const at = loc.compressedOffset - Number(holder[1]) + Math.floor(loc.compressedSize / 2);
    bytes[at] = (bytes[at] as number) ^ 0x20;
    writeFileSync(file, bytes);

    // The damaged entry fails its own checksum: it is a miss, refetched and rewritten; the bytes
    // returned are right.
    proxy.reset();
    const third = await open(proxied, { insecure: true, cacheDir });
    expect((await third.readFile("/small/f03.txt")).equals(files.get("/small/f03.txt") as Buffer)).toBe(true);
    expect(third.origin?.transport?.diskMisses).toBeGreaterThan(0);
    expect(proxy.stats.byRequest.filter((r) => isBlobPath(r.path)).length).toBeGreaterThan(0);
    const healed = await open(proxied, { insecure: true, cacheDir });
    expect((await healed.readFile("/small/f03.txt")).equals(files.get("/small/f03.txt") as Buffer)).toBe(
      true,
    );
    expect(healed.origin?.transport?.rangeRequests).toBe(0);
  });

  describe("the CLI", () => {
    it("ls -R --json lists the remote tree", () => {
      const r = runCli(["ls", direct, "-R", "--insecure", "--json"]);
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      const rows = jsonLines<{ path: string; size?: number; type?: string }>(r.stdout);
      const byPath = new Map(rows.map((row) => [row.path, row]));
      for (const [path, data] of files) expect(byPath.get(path)?.size).toBe(data.length);
      expect(byPath.has("/small")).toBe(true);
    });

    it("cat --stats --json writes the bytes and one stats line on stderr", () => {
      const r = runCli(["cat", direct, "/etc/os-release", "--insecure", "--stats", "--json"]);
      expect(r.status).toBe(0);
      expect(r.stdoutBytes.equals(files.get("/etc/os-release") as Buffer)).toBe(true);
      const [line] = jsonLines<{ stats: Record<string, unknown> }>(r.stderr);
      const stats = line?.stats ?? {};
      expect(stats.requests).toBeGreaterThanOrEqual(4);
      expect(stats.bytesFetched).toBeGreaterThan(0);
      expect(stats.bytesFetched).toBeLessThan(built.blobs[0]?.size ?? 0);
    });

    it("pull-meta saves what `ls DIR` needs offline", async () => {
      const own = await startFaultProxy({ target: registry.host });
      const ref = `${own.host}/${REPO}:v1`;
      const dir = join(work, "meta");
      try {
        // Asynchronously: the proxy lives in this process and must keep answering.
        const r = await runCliAsync(["pull-meta", ref, dir, "--insecure"]);
        expect(r.status, r.stderr).toBe(0);
      } finally {
        await own.stop();
      }
      expect(JSON.parse(readFileSync(join(dir, "image.json"), "utf8")).manifestDigest).toBe(
        nydus.manifestDigest,
      );
      // The endpoint is gone now: the reference fails, the saved metadata does not.
      expect(runCli(["ls", ref, "--insecure"]).status).not.toBe(0);
      const r = runCli(["ls", dir, "-R", "--json"]);
      expect(r.status, r.stderr).toBe(0);
      const paths = new Set(jsonLines<{ path: string }>(r.stdout).map((row) => row.path));
      for (const path of files.keys()) expect(paths.has(path)).toBe(true);
    });
  });
});
