// The HTTP transport every registry request goes through: an undici dispatcher with connect and
// idle timeouts, proxies from HTTPS_PROXY/HTTP_PROXY/NO_PROXY, extra CA certificates and an
// explicit switch to skip TLS verification; and the hint a TLS handshake with a plain-HTTP
// server gets.
import { readFileSync } from "node:fs";
import { rootCertificates } from "node:tls";
import { Agent, type Dispatcher, EnvHttpProxyAgent } from "undici";

/** Default time to establish a TCP (and TLS) connection, ms. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/**
 * Default silence allowed while waiting for response headers or between body bytes, ms. undici's
 * own default is 300 s per request; a registry that accepts and never answers should cost less.
 */
export const DEFAULT_REQUEST_IDLE_TIMEOUT_MS = 30_000;

/** Options of {@link createTransport}. */
export interface TransportOptions {
  /** Time to connect (TCP and TLS). Default {@link DEFAULT_CONNECT_TIMEOUT_MS}. */
  readonly connectTimeoutMs?: number;
  /** Silence allowed before headers and between body chunks. Default {@link DEFAULT_REQUEST_IDLE_TIMEOUT_MS}. */
  readonly idleTimeoutMs?: number;
  /** PEM files of CA certificates trusted besides Node's bundled ones (`--ca-cert`). Default none. */
  readonly caCertFiles?: readonly string[];
  /**
   * Accept any TLS certificate (`--insecure-skip-tls-verify`). Dangerous: anyone on the path can
   * then read and change what is fetched, credentials included. Default `false`.
   */
  readonly insecureSkipTlsVerify?: boolean;
  /** Use HTTPS_PROXY / HTTP_PROXY / NO_PROXY (either case) from the environment. Default `true`. */
  readonly proxyFromEnv?: boolean;
}

/**
 * An undici dispatcher for registry requests. With `proxyFromEnv` (default) it is undici's
 * `EnvHttpProxyAgent`, which sends each request direct or through the proxy the environment
 * names for its scheme, honouring `NO_PROXY`. Close or destroy it when done.
 */
export function createTransport(options: TransportOptions = {}): Dispatcher {
  const idle = options.idleTimeoutMs ?? DEFAULT_REQUEST_IDLE_TIMEOUT_MS;
  const ca =
    options.caCertFiles === undefined || options.caCertFiles.length === 0
      ? undefined
      : // Extra CAs add to Node's bundle rather than replace it: a private registry's CA must not
        // make every public registry fail.
        [...rootCertificates, ...options.caCertFiles.map((f) => readFileSync(f, "utf8"))];
  const tls = {
    timeout: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    ...(ca === undefined ? {} : { ca }),
    ...(options.insecureSkipTlsVerify === true ? { rejectUnauthorized: false } : {}),
  };
  const common = { connect: tls, headersTimeout: idle, bodyTimeout: idle };
  if (options.proxyFromEnv === false) return new Agent(common);
  // requestTls is what a ProxyAgent uses for the TLS session to the registry through the tunnel.
  return new EnvHttpProxyAgent({ ...common, requestTls: tls });
}

let shared: Dispatcher | undefined;

/**
 * The transport registry clients use when given none: {@link createTransport} with its defaults
 * (timeouts, proxies from the environment), made on first use and shared by the process.
 */
export function defaultTransport(): Dispatcher {
  shared ??= createTransport();
  return shared;
}

/**
 * A hint for a network error's message: a TLS handshake answered by a plain-HTTP server (OpenSSL's
 * "wrong version number" / "packet length too long") means the registry speaks HTTP, so the user
 * needs `--insecure`; a certificate error means `--ca-cert` (or, knowingly, skipping verification).
 */
export function networkErrorHint(cause: unknown): string {
  const text = `${(cause as { code?: string })?.code ?? ""} ${(cause as Error)?.message ?? ""} ${
    ((cause as { cause?: Error })?.cause as { code?: string; message?: string } | undefined)?.code ?? ""
  }`;
  if (
    /WRONG_VERSION_NUMBER|wrong version number|PACKET_LENGTH_TOO_LONG|packet length too long|HTTP_REQUEST/i.test(
      text,
    )
  ) {
    return " (the server answered the TLS handshake with plain HTTP: use --insecure for a plain-HTTP registry)";
  }
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|unable to get local issuer/i.test(text)) {
    return " (the registry's TLS certificate is not trusted: add its CA with --ca-cert FILE, or, knowing the risk, --insecure-skip-tls-verify)";
  }
  if (/UND_ERR_HEADERS_TIMEOUT|UND_ERR_BODY_TIMEOUT|UND_ERR_CONNECT_TIMEOUT/.test(text)) {
    return " (the registry stopped answering: timed out)";
  }
  return "";
}
