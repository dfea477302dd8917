// How to reach one registry: credentials given by the user, else the Docker config and its
// credential helpers for that registry; plain HTTP or not; the HTTP transport. Every command that
// talks to registries (reading, converting, pushing) builds its clients from this, per registry.
import type { Dispatcher } from "undici";
import type { RegistryClientOptions } from "./client.js";
import { type Credentials, dockerCredentials } from "./credentials.js";

/** Options for reaching a registry. */
export interface RegistryAccess {
  /** Registry user; with `password`, wins over the Docker config. Default: none. */
  readonly username?: string;
  readonly password?: string;
  /**
   * Read credentials from the Docker CLI config (`auths`, `credHelpers`, `credsStore`) for the
   * registry named: `true` for the default file, or a path; `false` never. Default `true`.
   */
  readonly dockerConfig?: boolean | string;
  /** Plain HTTP. Default `false`. */
  readonly insecure?: boolean;
  /**
   * Send credentials to a plain-HTTP token realm on another host (see RegistryClientOptions).
   * Default `false`.
   */
  readonly allowCrossOriginRealm?: boolean;
  /** The undici dispatcher (proxies, timeouts, TLS: see `createTransport`). Default: undici's global one. */
  readonly dispatcher?: Dispatcher;
}

/**
 * RegistryClient options for `registry` (as named in a reference: `docker.io`, `127.0.0.1:5000`):
 * the given user and password, else a lookup in the Docker config for that registry alone (run
 * once, when the registry first asks for credentials).
 */
export function registryClientOptions(registry: string, access: RegistryAccess = {}): RegistryClientOptions {
  const configPath = typeof access.dockerConfig === "string" ? access.dockerConfig : undefined;
  const credentials: (() => Promise<Credentials | undefined>) | undefined =
    access.dockerConfig !== false
      ? () => dockerCredentials(registry, configPath === undefined ? {} : { configPath })
      : undefined;
  return {
    ...(access.username === undefined ? {} : { username: access.username }),
    ...(access.password === undefined ? {} : { password: access.password }),
    ...(credentials === undefined ? {} : { credentials }),
    insecure: access.insecure === true,
    allowCrossOriginRealm: access.allowCrossOriginRealm === true,
    ...(access.dispatcher === undefined ? {} : { dispatcher: access.dispatcher }),
  };
}
