// Reading Nydus images from registries that need credentials: a token-auth registry (Bearer tokens
// from a token server, as Docker Hub and most cloud registries work) with and without anonymous
// pull, credentials from a Docker config file, wrong passwords, and an htpasswd Basic-auth registry.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BuiltImage } from "@rafscan/builder";
import { type OpenImageOptions, openImage } from "@rafscan/registry";
import type { Image } from "@rafscan/vfs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  HAVE_HTPASSWD,
  type RegistryServer,
  startRegistry,
} from "../packages/registry/test/helpers/registry-server.js";
import {
  HAVE_OPENSSL,
  startTokenServer,
  type TokenServer,
} from "../packages/registry/test/helpers/token-server.js";
import {
  buildNydus,
  errorCodes,
  HAVE_REGISTRY,
  mismatches,
  pushNydus,
  rejection,
  runCliAsync,
  type TreeFiles,
  writeTree,
} from "./support/remote-image.js";

const REPO = "rafscan/private";
const USER = { username: "alice", password: "alice-s3cret" };
const WRONG = { username: "alice", password: "not-her-password" };
/** Never the machine's own Docker config: the tests decide what credentials exist. */
const NO_CONFIG: OpenImageOptions = { insecure: true, dockerConfig: false };

if (HAVE_REGISTRY && !HAVE_OPENSSL)
  console.warn("[rafscan tests] token auth read tests skipped: needs openssl");
if (HAVE_REGISTRY && !HAVE_HTPASSWD) {
  console.warn(
    "[rafscan tests] Basic auth read test skipped: needs htpasswd (apt-get install apache2-utils)",
  );
}

const opened: Image[] = [];
async function open(name: string, options: OpenImageOptions): Promise<Image> {
  const image = await openImage(name, options);
  opened.push(image);
  return image;
}
afterEach(async () => {
  await Promise.all(opened.splice(0).map((i) => i.close()));
});

/** A Docker CLI config dir whose `auths` holds `user` for `host`, as `docker login` writes it. */
function dockerConfigDir(parent: string, host: string, user: { username: string; password: string }): string {
  const dir = join(parent, `docker-config-${host.replace(/[^0-9]/g, "")}`);
  mkdirSync(dir, { recursive: true });
  const auth = Buffer.from(`${user.username}:${user.password}`).toString("base64");
  writeFileSync(join(dir, "config.json"), JSON.stringify({ auths: { [host]: { auth } } }));
  return dir;
}

describe.skipIf(!HAVE_REGISTRY)("reading from registries that need credentials", () => {
  let work = "";
  let files: TreeFiles;
  let built: BuiltImage;
  const small = (): [string, Buffer] => ["/small/f11.txt", files.get("/small/f11.txt") as Buffer];

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "rafscan-remote-auth-"));
    files = writeTree(join(work, "tree"));
    built = await buildNydus(join(work, "tree"), join(work, "built"));
  });
  afterAll(() => {
    if (work !== "") rmSync(work, { recursive: true, force: true });
  });

  describe.skipIf(!HAVE_OPENSSL)("token auth, no anonymous pull", () => {
    let tokens: TokenServer;
    let registry: RegistryServer;
    let ref = "";
    beforeAll(async () => {
      tokens = await startTokenServer({ users: { [USER.username]: USER.password } });
      registry = await startRegistry({ tokenAuth: tokens });
      // pushImage goes through RegistryClient, which speaks the token flow.
      await pushNydus(built, registry.host, REPO, "v1", USER);
      ref = `${registry.host}/${REPO}:v1`;
    });
    afterAll(async () => {
      await registry?.stop();
      await tokens?.stop();
    });

    it("reads every file with a username and password, using pull-scoped tokens", async () => {
      const before = tokens.requests.length;
      const image = await open(ref, { ...NO_CONFIG, ...USER });
      expect(await mismatches(image, files)).toEqual([]);
      const asked = tokens.requests.slice(before);
      expect(asked.every((r) => r.status === 200 && r.account === USER.username)).toBe(true);
      const scopes = asked.flatMap((r) => r.query.getAll("scope"));
      expect(scopes).toContain(`repository:${REPO}:pull`);
      // Reading never asks for more than pull.
      expect(scopes.every((s) => !s.includes("push"))).toBe(true);
    });

    it("refuses an anonymous read with REGISTRY_UNAUTHORIZED", async () => {
      const err = await rejection(openImage(ref, NO_CONFIG));
      expect(errorCodes(err)[0]).toBe("REGISTRY_UNAUTHORIZED");
    });

    it("refuses a wrong password with REGISTRY_UNAUTHORIZED", async () => {
      const err = await rejection(openImage(ref, { ...NO_CONFIG, ...WRONG }));
      expect(errorCodes(err)[0]).toBe("REGISTRY_UNAUTHORIZED");
      expect((err as Error).message).toContain(USER.username);
    });

    it("takes credentials from $DOCKER_CONFIG/config.json when none are given", async () => {
      const saved = process.env.DOCKER_CONFIG;
      process.env.DOCKER_CONFIG = dockerConfigDir(work, registry.host, USER);
      try {
        const image = await open(ref, { insecure: true });
        const [path, data] = small();
        expect((await image.readFile(path)).equals(data)).toBe(true);
        // Explicit options still win over the config.
        const err = await rejection(openImage(ref, { insecure: true, ...WRONG }));
        expect(errorCodes(err)[0]).toBe("REGISTRY_UNAUTHORIZED");
      } finally {
        if (saved === undefined) delete process.env.DOCKER_CONFIG;
        else process.env.DOCKER_CONFIG = saved;
      }
    });

    it("the CLI reads with credentials from DOCKER_CONFIG, and fails without", async () => {
      const [path, data] = small();
      const config = dockerConfigDir(work, registry.host, USER);
      const ok = await runCliAsync(["cat", ref, path, "--insecure"], {
        env: { ...process.env, DOCKER_CONFIG: config },
      });
      expect(ok.status, ok.stderr).toBe(0);
      expect(ok.stdout.equals(data)).toBe(true);
      const empty = join(work, "empty-docker-config");
      mkdirSync(empty, { recursive: true });
      const refused = await runCliAsync(["cat", ref, path, "--insecure"], {
        env: { ...process.env, DOCKER_CONFIG: empty },
      });
      expect(refused.status).not.toBe(0);
      expect(refused.stdout.length).toBe(0);
      expect(refused.stderr).toMatch(/REGISTRY_UNAUTHORIZED|token service refused/);
    });
  });

  describe.skipIf(!HAVE_OPENSSL)("token auth with anonymous pull", () => {
    let tokens: TokenServer;
    let registry: RegistryServer;
    beforeAll(async () => {
      tokens = await startTokenServer({ users: { [USER.username]: USER.password }, anonymousPull: true });
      registry = await startRegistry({ tokenAuth: tokens });
      await pushNydus(built, registry.host, REPO, "v1", USER);
    });
    afterAll(async () => {
      await registry?.stop();
      await tokens?.stop();
    });

    it("reads anonymously with anonymous tokens", async () => {
      const before = tokens.requests.length;
      const image = await open(`${registry.host}/${REPO}:v1`, NO_CONFIG);
      const [path, data] = small();
      expect((await image.readFile(path)).equals(data)).toBe(true);
      const asked = tokens.requests.slice(before);
      expect(asked.length).toBeGreaterThanOrEqual(1);
      expect(asked.every((r) => r.authorization === undefined && r.account === undefined)).toBe(true);
    });
  });

  describe.skipIf(!HAVE_HTPASSWD)("Basic auth (htpasswd)", () => {
    let registry: RegistryServer;
    let ref = "";
    beforeAll(async () => {
      registry = await startRegistry({ auth: USER });
      await pushNydus(built, registry.host, REPO, "v1", USER);
      ref = `${registry.host}/${REPO}:v1`;
    });
    afterAll(async () => {
      await registry?.stop();
    });

    it("reads every file with the password, and refuses none or a wrong one", async () => {
      const image = await open(ref, { ...NO_CONFIG, ...USER });
      expect(await mismatches(image, files)).toEqual([]);
      expect(errorCodes(await rejection(openImage(ref, NO_CONFIG)))[0]).toBe("REGISTRY_UNAUTHORIZED");
      expect(errorCodes(await rejection(openImage(ref, { ...NO_CONFIG, ...WRONG })))[0]).toBe(
        "REGISTRY_UNAUTHORIZED",
      );
    });
  });
});
