// Starts Debian's `docker-registry` (distribution 2.x) on 127.0.0.1 with a free port, a temporary
// storage directory and optionally htpasswd Basic or token (Bearer) authentication; stops it again.
// Every wait is bounded.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The registry binary, or undefined when it is not installed. */
export const REGISTRY_BIN: string | undefined = ["docker-registry", "registry"].find(
  (bin) => spawnSync(bin, ["--version"], { stdio: "ignore" }).status === 0,
);
/** True when `htpasswd` (apache2-utils) can make bcrypt password files. */
export const HAVE_HTPASSWD = spawnSync("htpasswd", ["-nbB", "u", "p"], { stdio: "ignore" }).status === 0;

/** Options of {@link startRegistry}. */
export interface RegistryServerOptions {
  /** Require HTTP Basic authentication with this user. Default: anonymous access. */
  readonly auth?: { readonly username: string; readonly password: string };
  /** Answer with relative Location headers (`http.relativeurls`). Default: `false` (absolute). */
  readonly relativeUrls?: boolean;
  /**
   * Require Bearer tokens from this token server (`auth.token`); a `TokenServer` from
   * `token-server.ts` fits as it is. Not together with `auth`. Default: none.
   */
  readonly tokenAuth?: RegistryTokenAuth;
}

/** The `auth.token` settings of a registry: who issues tokens and which certificate signs them. */
export interface RegistryTokenAuth {
  /** URL of the token endpoint, named in the registry's Bearer challenge. */
  readonly realm: string;
  /** The `service` the tokens are for (their `aud`). */
  readonly service: string;
  /** The `iss` of the tokens. */
  readonly issuer: string;
  /** PEM file of the certificate(s) whose keys may sign tokens (`rootcertbundle`). */
  readonly certPath: string;
}

/** A running registry. */
export interface RegistryServer {
  /** `127.0.0.1:PORT`, for image references. */
  readonly host: string;
  /** Stops the registry (its whole process group) and deletes its storage. */
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;

/** Starts a registry; rejects after 15 s if it does not answer `GET /v2/`. */
export async function startRegistry(options: RegistryServerOptions = {}): Promise<RegistryServer> {
  if (REGISTRY_BIN === undefined) throw new Error("docker-registry is not installed");
  if (options.auth !== undefined && options.tokenAuth !== undefined) {
    throw new Error("startRegistry: choose auth or tokenAuth, not both");
  }
  const dir = await mkdtemp(join(tmpdir(), "rafscan-registry-"));
  const lines = [
    "version: 0.1",
    "log:",
    "  level: info",
    "  accesslog:",
    "    disabled: true",
    "storage:",
    "  filesystem:",
    `    rootdirectory: ${join(dir, "data")}`,
    "http:",
    // Port 0: the kernel picks a free port and the registry logs which, so there is no race.
    "  addr: 127.0.0.1:0",
    "  secret: rafscan-test-secret",
    `  relativeurls: ${options.relativeUrls === true}`,
  ];
  if (options.auth !== undefined) {
    const made = spawnSync("htpasswd", ["-nbB", options.auth.username, options.auth.password], {
      encoding: "utf8",
      timeout: 10_000,
    });
    if (made.status !== 0) throw new Error(`htpasswd failed: ${made.stderr}`);
    await writeFile(join(dir, "htpasswd"), made.stdout);
    lines.push("auth:", "  htpasswd:", "    realm: rafscan-test", `    path: ${join(dir, "htpasswd")}`);
  }
  if (options.tokenAuth !== undefined) {
    const t = options.tokenAuth;
    // JSON strings are valid YAML scalars, so odd characters cannot break the file.
    lines.push(
      "auth:",
      "  token:",
      `    realm: ${JSON.stringify(t.realm)}`,
      `    service: ${JSON.stringify(t.service)}`,
      `    issuer: ${JSON.stringify(t.issuer)}`,
      `    rootcertbundle: ${JSON.stringify(t.certPath)}`,
    );
  }
  await writeFile(join(dir, "config.yml"), `${lines.join("\n")}\n`);
  // Its own process group, so that stop() reaches everything it started.
  const child = spawn(REGISTRY_BIN, ["serve", join(dir, "config.yml")], {
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  const stop = () => stopProcess(child, dir);
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new Error(`docker-registry did not start in ${START_TIMEOUT_MS} ms:\n${log.slice(-2000)}`)),
        START_TIMEOUT_MS,
      );
      const onData = (chunk: Buffer) => {
        log += chunk.toString("utf8");
        const m = /listening on 127\.0\.0\.1:(\d+)/.exec(log);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      };
      child.stdout?.on("data", onData);
      child.stderr?.on("data", onData);
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`docker-registry exited with ${code}:\n${log.slice(-2000)}`));
      });
    });
    // Keep draining its output so that a chatty registry never blocks on a full pipe.
    child.stdout?.resume();
    child.stderr?.resume();
    const host = `127.0.0.1:${port}`;
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      try {
        const res = await fetch(`http://${host}/v2/`, { signal: AbortSignal.timeout(2000) });
        if (res.status === 200 || res.status === 401) break;
      } catch {
        // not answering yet
      }
      if (Date.now() > deadline) throw new Error(`docker-registry on ${host} does not answer /v2/`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return { host, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** SIGTERM to the group, SIGKILL after 5 s, then removes the storage. */
async function stopProcess(child: ChildProcess, dir: string): Promise<void> {
  if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    const signal = (sig: NodeJS.Signals) => {
      try {
        process.kill(-(child.pid as number), sig);
      } catch {
        // already gone
      }
    };
    signal("SIGTERM");
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), STOP_TIMEOUT_MS);
    });
    if (await Promise.race([exited.then(() => false), timedOut])) {
      signal("SIGKILL");
      await Promise.race([exited, new Promise((r) => setTimeout(r, STOP_TIMEOUT_MS))]);
    }
    clearTimeout(timer);
  }
  await rm(dir, { recursive: true, force: true });
}
