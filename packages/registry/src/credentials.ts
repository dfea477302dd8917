// Registry credentials from the Docker CLI's configuration: `auths` entries (base64 `auth` or
// `username`/`password`, or an `identitytoken`), and credential helpers (`credHelpers` per registry,
// `credsStore` for all) run as `docker-credential-<name> get`.
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { DOCKER_HUB } from "./reference.js";

/** A user name and password (or access token). */
export interface Credentials {
  readonly username: string;
  readonly password: string;
  /** An OAuth refresh token (`identitytoken`), used in place of the password at the token endpoint. */
  readonly identityToken?: string;
}

/** Options of {@link dockerCredentials}. */
export interface DockerCredentialsOptions {
  /** The config file. Default: `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`. */
  readonly configPath?: string;
  /** Longest a credential helper may run. Default 10 s. */
  readonly helperTimeoutMs?: number;
}

/** The keys Docker Hub credentials may be stored under (the CLI uses the first). */
const HUB_KEYS = ["https://index.docker.io/v1/", "index.docker.io", "docker.io", "registry-1.docker.io"];
/** Largest config file read: configs are small; a huge one is not a Docker config. */
const MAX_CONFIG_BYTES = 1024 * 1024;
/** Largest helper answer kept. */
const MAX_HELPER_OUTPUT = 64 * 1024;

interface DockerConfig {
  auths?: Record<string, { auth?: unknown; username?: unknown; password?: unknown; identitytoken?: unknown }>;
  credHelpers?: Record<string, unknown>;
  credsStore?: unknown;
}

/**
 * The credentials the Docker CLI would use for `registry` (as named in a reference: `docker.io`,
 * `ghcr.io`, `127.0.0.1:5000`), or undefined when it has none. A missing or unreadable config, or a
 * helper that is not installed or fails, means no credentials (anonymous access), not an error.
 */
export async function dockerCredentials(
  registry: string,
  options: DockerCredentialsOptions = {},
): Promise<Credentials | undefined> {
  const path =
    options.configPath ?? join(process.env.DOCKER_CONFIG ?? join(homedir(), ".docker"), "config.json");
  let config: DockerConfig;
  try {
    const bytes = await readFile(path);
    if (bytes.length > MAX_CONFIG_BYTES) return undefined;
    const parsed: unknown = JSON.parse(bytes.toString("utf8"));
    if (typeof parsed !== "object" || parsed === null) return undefined;
    config = parsed as DockerConfig;
  } catch {
    return undefined;
  }
  const keys = registry === DOCKER_HUB ? HUB_KEYS : [registry, `https://${registry}`, `http://${registry}`];
  const helper =
    keys.map((k) => config.credHelpers?.[k]).find((h) => typeof h === "string") ?? config.credsStore;
  if (typeof helper === "string" && /^[A-Za-z0-9._-]+$/.test(helper)) {
    const fromHelper = await runHelper(helper, keys[0] as string, options.helperTimeoutMs ?? 10_000);
    if (fromHelper !== undefined) return fromHelper;
  }
  for (const key of keys) {
    const entry = config.auths?.[key];
    if (entry === undefined || typeof entry !== "object" || entry === null) continue;
    const token = typeof entry.identitytoken === "string" ? entry.identitytoken : undefined;
    if (typeof entry.auth === "string" && entry.auth !== "") {
      const pair = Buffer.from(entry.auth, "base64").toString("utf8");
      const colon = pair.indexOf(":");
      if (colon > 0) {
        return withToken({ username: pair.slice(0, colon), password: pair.slice(colon + 1) }, token);
      }
    }
    if (typeof entry.username === "string" && typeof entry.password === "string") {
      return withToken({ username: entry.username, password: entry.password }, token);
    }
    if (token !== undefined) return { username: "<token>", password: "", identityToken: token };
  }
  return undefined;
}

function withToken(c: Credentials, token: string | undefined): Credentials {
  return token === undefined ? c : { ...c, identityToken: token };
}

/**
 * Runs `docker-credential-<helper> get` with the server URL on stdin, as the Docker CLI does. The
 * answer is `{"ServerURL", "Username", "Secret"}`; a `<token>` user name means Secret is an identity
 * token. Missing helper, non-zero exit ("credentials not found"), timeout or bad JSON → undefined.
 */
function runHelper(helper: string, server: string, timeoutMs: number): Promise<Credentials | undefined> {
  return new Promise((resolve) => {
    let child: ReturnType<typeof spawn>;
    try {
      // Its own process group, so that a timeout reaches what a helper script starts, too.
      child = spawn(`docker-credential-${helper}`, ["get"], {
        stdio: ["pipe", "pipe", "ignore"],
        detached: true,
      });
    } catch {
      resolve(undefined);
      return;
    }
    let out = "";
    const timer = setTimeout(() => {
      // Answer at once: a helper script's children may hold stdout open long after it is killed.
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
      child.stdout?.destroy();
      resolve(undefined);
    }, timeoutMs);
    child.on("error", () => {
      clearTimeout(timer);
      resolve(undefined);
    });
    child.stdout?.on("data", (chunk: Buffer) => {
      if (out.length < MAX_HELPER_OUTPUT) out += chunk.toString("utf8");
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      if (code !== 0) return resolve(undefined);
      try {
        const answer = JSON.parse(out) as { Username?: unknown; Secret?: unknown };
        if (typeof answer.Username !== "string" || typeof answer.Secret !== "string")
          return resolve(undefined);
        if (answer.Username === "<token>") {
          return resolve({ username: "<token>", password: "", identityToken: answer.Secret });
        }
        resolve({ username: answer.Username, password: answer.Secret });
      } catch {
        resolve(undefined);
      }
    });
    child.stdin?.on("error", () => {});
    child.stdin?.end(server);
  });
}
