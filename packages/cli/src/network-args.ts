// Options every registry command shares: the command's deadline (--timeout), the HTTP transport
// (--ca-cert, --insecure-skip-tls-verify, proxies from the environment) and credentials per
// registry (--username/--password, --src-creds/--dest-creds, --password-stdin).
import { createTransport } from "@rafscan/registry";
import { UsageError } from "./usage-error.js";

/** Default deadline of a whole command (`--timeout`): 5 minutes. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 5 * 60_000;

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses a duration as Trivy and Go write them: `30s`, `5m`, `1h30m`, `1500ms`; `0` means none.
 * @throws UsageError naming `what`
 */
export function parseDuration(text: string, what: string): number {
  const t = text.trim();
  if (t === "0") return 0;
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let at = 0;
  for (let m = part.exec(t); m !== null; m = part.exec(t)) {
    total += Number(m[1]) * (UNITS[m[2] as string] as number);
    at = part.lastIndex;
  }
  if (at === 0 || at !== t.length || !Number.isFinite(total)) {
    throw new UsageError(`${what} must be a duration like 30s, 5m or 1h30m, not '${text}'`);
  }
  return Math.round(total);
}

/** Raw network options as parsed from the command line (commander's attribute names). */
export interface NetworkArgs {
  readonly timeout?: string | undefined;
  readonly caCert?: readonly string[] | undefined;
  readonly insecureSkipTlsVerify?: boolean | undefined;
  readonly passwordStdin?: boolean | undefined;
}

/** What a command gets from {@link withNetwork}. */
export interface Network {
  readonly dispatcher: ReturnType<typeof createTransport>;
  /** Aborted at the deadline; undefined without one. */
  readonly signal: AbortSignal | undefined;
  /** The password read with `--password-stdin`. */
  readonly stdinPassword: string | undefined;
}

/**
 * Runs a command's work with its network settings: the password from standard input when asked,
 * one transport for all its requests (destroyed afterwards, so no socket keeps the process
 * alive), and the `--timeout` deadline, which defaults to {@link DEFAULT_COMMAND_TIMEOUT_MS} when
 * `remote` (the command talks to a registry) and to none otherwise.
 */
export async function withNetwork<T>(
  args: NetworkArgs,
  remote: boolean,
  body: (net: Network) => Promise<T>,
): Promise<T> {
  const ms =
    args.timeout !== undefined
      ? parseDuration(args.timeout, "--timeout")
      : remote
        ? DEFAULT_COMMAND_TIMEOUT_MS
        : 0;
  const stdinPassword = args.passwordStdin === true ? await readPasswordStdin() : undefined;
  const dispatcher = transportFromArgs(args);
  try {
    return await withDeadline(
      ms,
      "rafscan",
      () => void dispatcher.destroy().catch(() => {}),
      (signal) => body({ dispatcher, signal, stdinPassword }),
    );
  } finally {
    await dispatcher.destroy().catch(() => {});
  }
}

/** The transport every registry request of the command goes through; close it when done. */
export function transportFromArgs(args: NetworkArgs): ReturnType<typeof createTransport> {
  return createTransport({
    ...(args.caCert === undefined ? {} : { caCertFiles: args.caCert }),
    insecureSkipTlsVerify: args.insecureSkipTlsVerify === true,
  });
}

/**
 * Parses `USER:PASS` (`--src-creds`, `--dest-creds`); the password may contain `:`. A bare `USER`
 * takes its password from `--password-stdin`.
 */
export function parseCreds(
  text: string,
  what: string,
  stdinPassword: string | undefined,
): { readonly username: string; readonly password: string } {
  const colon = text.indexOf(":");
  const username = colon < 0 ? text : text.slice(0, colon);
  const password = colon < 0 ? stdinPassword : text.slice(colon + 1);
  if (username === "") throw new UsageError(`${what} must be USER:PASS, not '${text}'`);
  if (password === undefined)
    throw new UsageError(`${what} ${username} has no password (USER:PASS or --password-stdin)`);
  return { username, password };
}

/** Reads the password given on standard input (`--password-stdin`): one line, newline removed. */
export async function readPasswordStdin(stdin: NodeJS.ReadableStream = process.stdin): Promise<string> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of stdin as AsyncIterable<Buffer | string>) {
    const b = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    chunks.push(b);
    length += b.length;
    // A password is short; anything this long is not one (and must not fill memory).
    if (length > 64 * 1024) throw new UsageError("--password-stdin: more than 64 KiB on standard input");
  }
  const text = Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
  if (text === "") throw new UsageError("--password-stdin: standard input is empty");
  return text;
}

/**
 * Runs `work` with a deadline: past `ms` (0: none) the signal aborts with a `TIMEOUT` error and
 * `onTimeout` runs (to destroy the transport's sockets, so nothing keeps the process alive), and
 * the returned promise rejects with that error even if `work` ignores the signal.
 */
export async function withDeadline<T>(
  ms: number,
  what: string,
  onTimeout: () => void,
  work: (signal: AbortSignal | undefined) => Promise<T>,
): Promise<T> {
  if (ms <= 0) return work(undefined);
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = Object.assign(
        new Error(`${what} did not finish within ${formatDuration(ms)} (--timeout)`),
        {
          code: "TIMEOUT",
        },
      );
      controller.abort(err);
      onTimeout();
      reject(err);
    }, ms);
  });
  try {
    return await Promise.race([work(controller.signal), expired]);
  } finally {
    clearTimeout(timer);
  }
}

function formatDuration(ms: number): string {
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
