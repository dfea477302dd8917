// Credentials from the Docker CLI config: `auths` entries in their several forms and keys, Docker
// Hub's aliases, credential helpers (a fake `docker-credential-x` script put first on PATH) and
// every way of failing quietly back to anonymous access.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { dockerCredentials } from "../src/credentials.js";

const HOST = "127.0.0.1:5000";
const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

let work = "";
let bin = "";
let config = "";
let saved: { DOCKER_CONFIG: string | undefined; PATH: string | undefined };

/** Writes $DOCKER_CONFIG/config.json. */
function writeConfig(value: unknown): void {
  writeFileSync(join(config, "config.json"), typeof value === "string" ? value : JSON.stringify(value));
}

/**
 * Installs `docker-credential-NAME` on PATH: it records its argument and stdin in NAME.log and
 * runs `body` (sh) to answer.
 */
function helper(name: string, body: string): string {
  const log = join(work, `${name}.log`);
  const script = join(bin, `docker-credential-${name}`);
  writeFileSync(script, `#!/bin/sh\ninput=$(cat)\nprintf '%s %s' "$1" "$input" > '${log}'\n${body}\n`);
  chmodSync(script, 0o755);
  return log;
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "rafscan-credentials-"));
  bin = join(work, "bin");
  config = join(work, "docker");
  mkdirSync(bin);
  mkdirSync(config);
  saved = { DOCKER_CONFIG: process.env.DOCKER_CONFIG, PATH: process.env.PATH };
});
beforeEach(() => {
  process.env.DOCKER_CONFIG = config;
  process.env.PATH = `${bin}:${saved.PATH ?? ""}`;
  rmSync(join(config, "config.json"), { force: true });
});
afterEach(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe("dockerCredentials: auths", () => {
  it("decodes a base64 auth, keeping colons in the password", async () => {
    writeConfig({ auths: { [HOST]: { auth: b64("alice:pa:ss:word") } } });
    expect(await dockerCredentials(HOST)).toEqual({ username: "alice", password: "pa:ss:word" });
  });

  it("finds entries keyed by URL, and username/password fields", async () => {
    writeConfig({ auths: { [`https://${HOST}`]: { username: "bob", password: "pw" } } });
    expect(await dockerCredentials(HOST)).toEqual({ username: "bob", password: "pw" });
    writeConfig({ auths: { [`http://${HOST}`]: { auth: b64("carol:pw") } } });
    expect(await dockerCredentials(HOST)).toEqual({ username: "carol", password: "pw" });
  });

  it("carries an identity token, alone or with a user", async () => {
    writeConfig({ auths: { [HOST]: { identitytoken: "refresh-123" } } });
    expect(await dockerCredentials(HOST)).toEqual({
      username: "<token>",
      password: "",
      identityToken: "refresh-123",
    });
    writeConfig({ auths: { [HOST]: { auth: b64("dave:pw"), identitytoken: "refresh-456" } } });
    expect(await dockerCredentials(HOST)).toEqual({
      username: "dave",
      password: "pw",
      identityToken: "refresh-456",
    });
  });

  it("finds Docker Hub credentials under the CLI's legacy key", async () => {
    writeConfig({ auths: { "https://index.docker.io/v1/": { auth: b64("hubuser:hubpw") } } });
    expect(await dockerCredentials("docker.io")).toEqual({ username: "hubuser", password: "hubpw" });
    // ... and not for another registry.
    expect(await dockerCredentials(HOST)).toBeUndefined();
  });

  it("reads the file given as configPath over $DOCKER_CONFIG", async () => {
    writeConfig({ auths: { [HOST]: { auth: b64("env:pw") } } });
    const other = join(work, "other.json");
    writeFileSync(other, JSON.stringify({ auths: { [HOST]: { auth: b64("path:pw") } } }));
    expect(await dockerCredentials(HOST, { configPath: other })).toEqual({
      username: "path",
      password: "pw",
    });
  });

  it("means anonymous for a missing, broken, huge or odd config, or an unusable entry", async () => {
    expect(await dockerCredentials(HOST)).toBeUndefined();
    for (const bad of [
      "{not json",
      "null",
      "[]",
      JSON.stringify({ auths: "x" }),
      " ".repeat(2 * 1024 * 1024),
    ]) {
      writeConfig(bad);
      expect(await dockerCredentials(HOST)).toBeUndefined();
    }
    writeConfig({ auths: { [HOST]: { auth: b64("no-colon") } } });
    expect(await dockerCredentials(HOST)).toBeUndefined();
    writeConfig({ auths: { [HOST]: { auth: 42, username: ["x"] } } });
    expect(await dockerCredentials(HOST)).toBeUndefined();
    writeConfig({ auths: { [HOST]: null } });
    expect(await dockerCredentials(HOST)).toBeUndefined();
  });
});

describe("dockerCredentials: credential helpers", () => {
  it("runs docker-credential-<name> get with the server on stdin (credHelpers)", async () => {
    const log = helper(
      "x",
      `echo '{"ServerURL":"${HOST}","Username":"helper-user","Secret":"helper-secret"}'`,
    );
    writeConfig({ credHelpers: { [HOST]: "x" }, auths: { [HOST]: { auth: b64("ignored:pw") } } });
    expect(await dockerCredentials(HOST)).toEqual({ username: "helper-user", password: "helper-secret" });
    expect(readFileSync(log, "utf8")).toBe(`get ${HOST}`);
  });

  it("uses credsStore for every registry, and a <token> user as an identity token", async () => {
    helper("store", `echo '{"Username":"<token>","Secret":"refresh-789"}'`);
    writeConfig({ credsStore: "store" });
    expect(await dockerCredentials("ghcr.io")).toEqual({
      username: "<token>",
      password: "",
      identityToken: "refresh-789",
    });
  });

  it("asks Docker Hub's helper for the legacy server URL", async () => {
    const log = helper("hub", `echo '{"Username":"u","Secret":"s"}'`);
    writeConfig({ credHelpers: { "docker.io": "hub" } });
    expect(await dockerCredentials("docker.io")).toEqual({ username: "u", password: "s" });
    expect(readFileSync(log, "utf8")).toBe("get https://index.docker.io/v1/");
  });

  it("falls back to auths when the helper fails, answers garbage, or is not installed", async () => {
    helper("fails", `echo "credentials not found in native keychain"; exit 1`);
    helper("garbage", `echo 'not json'`);
    helper("partial", `echo '{"Username":"u"}'`);
    for (const name of ["fails", "garbage", "partial", "not-installed"]) {
      writeConfig({ credHelpers: { [HOST]: name }, auths: { [HOST]: { auth: b64("fallback:pw") } } });
      expect(await dockerCredentials(HOST), name).toEqual({ username: "fallback", password: "pw" });
    }
  });

  it("kills a helper that hangs, after helperTimeoutMs", async () => {
    helper("hangs", "sleep 30");
    writeConfig({ credHelpers: { [HOST]: "hangs" } });
    const t0 = performance.now();
    expect(await dockerCredentials(HOST, { helperTimeoutMs: 200 })).toBeUndefined();
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  it("never runs a helper whose name is a path", async () => {
    const log = helper("x", `echo '{"Username":"u","Secret":"s"}'`);
    rmSync(log, { force: true });
    writeConfig({ credHelpers: { [HOST]: "../bin/docker-credential-x" } });
    expect(await dockerCredentials(HOST)).toBeUndefined();
    expect(() => readFileSync(log)).toThrow();
  });
});
