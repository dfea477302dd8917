// Regression: `convert` ignored Docker credentials (the config file and helpers worked for `scan`
// only). Two htpasswd registries with different users: convert from one to the other with each
// registry's credentials from the Docker config, from --src-creds/--dest-creds, and with
// --password-stdin.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openImage } from "@rafscan/registry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  HAVE_HTPASSWD,
  type RegistryServer,
  startRegistry,
} from "../packages/registry/test/helpers/registry-server.js";
import { CLI, REPO_ROOT } from "./support/fixtures.js";
import { HAVE_REGISTRY, HAVE_TAR, pushPlain, writeTree } from "./support/remote-image.js";

const A = { username: "alice", password: "alice-pw:with-colon" };
const B = { username: "bob", password: "bob-pw" };
const READY = HAVE_REGISTRY && HAVE_HTPASSWD && HAVE_TAR;
if (!READY)
  console.warn("[rafscan tests] convert credential tests skipped: needs docker-registry, htpasswd, tar");

function cli(args: readonly string[], env: NodeJS.ProcessEnv, input?: string) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: REPO_ROOT,
    env,
    input: input ?? "",
    encoding: "utf8",
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe.skipIf(!READY)("convert between two registries with different credentials", () => {
  let work = "";
  let a: RegistryServer | undefined;
  let b: RegistryServer | undefined;
  let noConfig: NodeJS.ProcessEnv = {};
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "rafscan-convert-creds-"));
    [a, b] = await Promise.all([startRegistry({ auth: A }), startRegistry({ auth: B })]);
    const tree = join(work, "tree");
    mkdirSync(tree);
    writeTree(tree);
    await pushPlain(tree, work, a.host, "src/app", "v1", A);
    const empty = join(work, "empty-config");
    mkdirSync(empty);
    noConfig = { ...process.env, DOCKER_CONFIG: empty };
  }, 60_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    rmSync(work, { recursive: true, force: true });
  });

  const readable = async (ref: string, user: { username: string; password: string }) => {
    const image = await openImage(ref, { insecure: true, dockerConfig: false, ...user });
    await image.close();
  };

  it("takes each registry's credentials from the Docker config", async () => {
    const src = `${a?.host}/src/app:v1`;
    const dest = `${b?.host}/nydus/app:from-config`;
    const dir = join(work, "docker-config");
    mkdirSync(dir);
    const auth = (u: { username: string; password: string }) =>
      Buffer.from(`${u.username}:${u.password}`).toString("base64");
    writeFileSync(
      join(dir, "config.json"),
      JSON.stringify({
        auths: { [a?.host as string]: { auth: auth(A) }, [b?.host as string]: { auth: auth(B) } },
      }),
    );
    const r = cli(["convert", src, dest, "--insecure", "--json"], { ...process.env, DOCKER_CONFIG: dir });
    expect(r.status, r.stderr).toBe(0);
    await readable(dest, B);
    // Without the config, the same command is refused by the source registry.
    const refused = cli(["convert", src, dest, "--insecure", "--json"], noConfig);
    expect(refused.status).toBe(1);
    expect(JSON.parse(refused.stderr).error.code).toBe("REGISTRY_UNAUTHORIZED");
  });

  it("takes --src-creds and --dest-creds, each for its own registry", async () => {
    const dest = `${b?.host}/nydus/app:from-flags`;
    const r = cli(
      [
        "convert",
        `${a?.host}/src/app:v1`,
        dest,
        "--insecure",
        "--src-creds",
        `${A.username}:${A.password}`,
        "--dest-creds",
        `${B.username}:${B.password}`,
      ],
      noConfig,
    );
    expect(r.status, r.stderr).toBe(0);
    await readable(dest, B);
  });

  it("reads a password from standard input with --password-stdin", async () => {
    const dest = `${b?.host}/nydus/app:from-stdin`;
    const r = cli(
      [
        "convert",
        `${a?.host}/src/app:v1`,
        dest,
        "--insecure",
        "--src-creds",
        A.username,
        "--password-stdin",
        "--dest-creds",
        `${B.username}:${B.password}`,
      ],
      noConfig,
      `${A.password}\n`,
    );
    expect(r.status, r.stderr).toBe(0);
    await readable(dest, B);
    // scan with --username and --password-stdin reads the converted image.
    const scan = cli(
      ["scan", dest, "--insecure", "--username", B.username, "--password-stdin", "--allow-incomplete"],
      noConfig,
      `${B.password}\n`,
    );
    expect(scan.status, scan.stderr).toBe(0);
  });
});
