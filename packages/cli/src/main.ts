// The `rafscan` command line: argument parsing, dispatch, and error reporting with exit codes
// (0 success, 1 failure, 2 usage).
import { parseArgs } from "node:util";
import { isRafsError } from "@rafscan/rafs";
import { type Image, isFsError } from "@rafscan/vfs";
import { runBuild } from "./commands/build.js";
import { runCat } from "./commands/cat.js";
import { runCheck } from "./commands/check.js";
import { runConvert } from "./commands/convert.js";
import { runExtract } from "./commands/extract.js";
import { runInspect } from "./commands/inspect.js";
import { runLs } from "./commands/ls.js";
import { runPack } from "./commands/pack.js";
import { runPullMeta } from "./commands/pull-meta.js";
import { runStat } from "./commands/stat.js";
import {
  DEFAULT_COMMAND_TIMEOUT_MS,
  parseCreds,
  parseDuration,
  readPasswordStdin,
  transportFromArgs,
  withDeadline,
} from "./network-args.js";
import { isRemoteName, openImageArg } from "./open-arg.js";
import type { Io } from "./output.js";
import { writeStats } from "./stats-output.js";
import { UsageError } from "./usage-error.js";

export const USAGE = `Usage: rafscan <command> [IMAGE] [args] [options]

Read Nydus (RAFS v5/v6) and EROFS images without mounting them.

Commands:
  inspect [IMAGE] [stat PATH | ls PATH | chunks PATH | icheck INO]
                                 superblock, blobs, or one request (like nydus-image inspect)
  ls [IMAGE] [PATH] [-R] [--sha256]
                                 list PATH and its entries (-R: the whole tree), sorted by path bytes
  cat IMAGE PATH                 write a file's bytes to stdout
  stat IMAGE PATH                one path's metadata (not following a final symlink)
  check [IMAGE]                  verify every chunk's digest and the metadata; exit 0 only if sound
  extract IMAGE DEST [PATH...]   write files under DEST (never outside it)
  build SRC -o OUTDIR            build a Nydus image from a directory or a tar/tar.gz/tar.zst layer
  pack OUTDIR oci:DIR[:TAG]      package a built image as an OCI image layout
  convert SRC DEST               convert an OCI/Docker image to a Nydus image; SRC and DEST are
                                 oci:DIR[:TAG] or a registry reference (host[:port]/repo[:tag])
  pull-meta REF DIR              save an image's bootstrap, manifest and config in DIR for offline use
  scan [IMAGE]                   find the OS and packages (and, opt-in, secrets) reading only the
                                 files analyzers need; --format table|json|cyclonedx|spdx

IMAGE is a registry reference (host[:port]/repo[:tag][@digest], Docker Hub short names), an OCI
image layout (oci:DIR[:TAG]), a bootstrap file, a data blob that carries one (TOC image.boot), or a
build output directory (DIR/bootstrap). Remote images are read with ranged requests: only the
bootstrap and the chunks of the files read are fetched. Without IMAGE, scan/inspect/ls/check build
and use a sample image.

Options:
  --blob-dir DIR    where RAFS data blobs are, as DIR/<blob id> (default: blobs/ beside IMAGE)
  --blob FILE       an EROFS extra device, in device order (repeatable)
  --json            machine-readable output (one JSON object per line)
  --no-verify       do not check chunk digests
  -R, --recursive   ls: the whole tree
  --sha256          ls: add each file's sha256
  -o, --output DIR  build: where bootstrap and blobs/ go
  --fs-version N    build: RAFS version 5 or 6 (default 6)
  --compressor C    build: none, lz4_block, zstd or gzip (default zstd)
  --digester D      build: blake3 or sha256 (default blake3)
  --chunk-size N    build: power of two from 4K to 16M (default 1M)
  --prefetch PATH   build: list PATH in the prefetch table (repeatable)
  --platform P      OS/ARCH[/VARIANT] to pick from an image index (default linux/host arch)
  --username U      registry user (default: ~/.docker/config.json, credential helpers, anonymous)
  --password P      registry password or token
  --insecure        plain HTTP to the registries
  --cache-dir DIR   keep fetched bootstraps, configs and chunks in DIR, shared across images
  --no-fallback     refuse a plain (non-Nydus) image instead of downloading its layers
  --stats           print what reading the image cost (bytes, requests, time) to stderr
  --format F        scan: table (default), json (the report, with telemetry), cyclonedx, spdx
  --output FILE     scan: write the report to FILE instead of stdout
  --analyzers LIST  scan: comma-separated analyzer ids to run instead of the default set
  --enable ID       scan: add an opt-in analyzer (secrets, node-lockfile, ...; repeatable)
  --list-analyzers  scan: list analyzer ids, versions and whether they run by default
  --secret-path G   scan: another glob the secrets analyzer reads (repeatable)
  --budget N        scan: total bytes all analyzers may read (64K, 10M, 2G)
  --max-file-size N scan: largest file an analyzer reads whole
  --dpkg-files      scan: list the files each dpkg package owns (reads info/*.list)
  --licenses        scan: read dpkg copyright files for licences
  --allow-incomplete scan: exit 0 even when a package database could not be read (else exit 3)
  --timeout D       deadline of the whole command (30s, 5m; default 5m when it talks to a registry)
  --ca-cert FILE    trust this PEM CA for registries, besides the system ones (repeatable)
  --insecure-skip-tls-verify
                    accept any TLS certificate (DANGEROUS: anyone on the path can read and change
                    what is fetched, credentials included)
  --src-creds U:P   convert: credentials for SRC's registry only
  --dest-creds U:P  convert: credentials for DEST's registry only
  --password-stdin  read the password (of --username, or of a bare --src-creds/--dest-creds USER)
                    from standard input
  -h, --help        this help
`;

const OPTIONS = {
  "blob-dir": { type: "string" },
  blob: { type: "string", multiple: true },
  json: { type: "boolean", default: false },
  "no-verify": { type: "boolean", default: false },
  recursive: { type: "boolean", short: "R", default: false },
  sha256: { type: "boolean", default: false },
  output: { type: "string", short: "o" },
  "fs-version": { type: "string" },
  compressor: { type: "string" },
  digester: { type: "string" },
  "chunk-size": { type: "string" },
  prefetch: { type: "string", multiple: true },
  platform: { type: "string" },
  username: { type: "string" },
  password: { type: "string" },
  insecure: { type: "boolean", default: false },
  "cache-dir": { type: "string" },
  "no-fallback": { type: "boolean", default: false },
  stats: { type: "boolean", default: false },
  format: { type: "string" },
  analyzers: { type: "string" },
  enable: { type: "string", multiple: true },
  "list-analyzers": { type: "boolean", default: false },
  "secret-path": { type: "string", multiple: true },
  budget: { type: "string" },
  "max-file-size": { type: "string" },
  "dpkg-files": { type: "boolean", default: false },
  licenses: { type: "boolean", default: false },
  "allow-incomplete": { type: "boolean", default: false },
  timeout: { type: "string" },
  "ca-cert": { type: "string", multiple: true },
  "insecure-skip-tls-verify": { type: "boolean", default: false },
  "src-creds": { type: "string" },
  "dest-creds": { type: "string" },
  "password-stdin": { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const;

/** Runs the CLI; returns the exit code. */
export async function main(
  argv: readonly string[],
  io: Io = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  let json = false;
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true });
    json = values.json;
    const [command, ...rest] = positionals;
    if (values.help || command === undefined || command === "help") {
      io.stdout.write(USAGE);
      return command === undefined && !values.help ? 2 : 0;
    }
    const stdinPassword = values["password-stdin"] ? await readPasswordStdin() : undefined;
    const password = values.password ?? (values.username === undefined ? undefined : stdinPassword);
    if (stdinPassword !== undefined && values.password !== undefined)
      throw new UsageError("--password and --password-stdin are exclusive");
    const transport = transportFromArgs({
      caCert: values["ca-cert"],
      insecureSkipTlsVerify: values["insecure-skip-tls-verify"],
    });
    // The default deadline applies to commands that talk to a registry: a local build or check
    // of a large image may rightly take longer than any network operation should.
    const remote = remoteCommand(command, rest);
    const timeoutMs =
      values.timeout !== undefined
        ? parseDuration(values.timeout, "--timeout")
        : remote
          ? DEFAULT_COMMAND_TIMEOUT_MS
          : 0;
    let signal: AbortSignal | undefined;
    const imageArgs = (image: string | undefined) => ({
      image,
      blobDir: values["blob-dir"],
      blob: values.blob,
      noVerify: values["no-verify"],
      platform: values.platform,
      username: values.username,
      password,
      insecure: values.insecure,
      cacheDir: values["cache-dir"],
      noFallback: values["no-fallback"],
      dispatcher: transport,
      signal,
    });
    const withImage = async (image: string | undefined, run: (img: Image) => Promise<number>) => {
      const img = await openImageArg(imageArgs(image), io.stderr);
      try {
        return await run(img);
      } finally {
        if (values.stats) writeStats(img, json, io);
        await img.close();
      }
    };
    try {
      return await withDeadline(
        timeoutMs,
        `rafscan ${command}`,
        () => void transport.destroy().catch(() => {}),
        async (deadline) => {
          signal = deadline;
          return await dispatch();
        },
      );
    } finally {
      await transport.destroy().catch(() => {});
    }
    async function dispatch(): Promise<number> {
      switch (command) {
        case "inspect":
          return await withImage(rest[0], (img) => runInspect(img, rest.slice(1), json, io));
        case "ls": {
          if (rest.length > 2) throw new UsageError("ls takes IMAGE and at most one PATH");
          const opts = { path: rest[1] ?? "/", recursive: values.recursive, json, sha256: values.sha256 };
          return await withImage(rest[0], (img) => runLs(img, opts, io));
        }
        case "cat":
          if (rest.length !== 2) throw new UsageError("cat takes IMAGE PATH");
          return await withImage(rest[0], (img) => runCat(img, rest[1] as string, io));
        case "stat":
          if (rest.length !== 2) throw new UsageError("stat takes IMAGE PATH");
          return await withImage(rest[0], (img) => runStat(img, rest[1] as string, json, io));
        case "check":
          if (rest.length > 1) throw new UsageError("check takes at most IMAGE");
          return await withImage(rest[0], (img) => runCheck(img, json, io));
        case "extract":
          if (rest.length < 2) throw new UsageError("extract takes IMAGE DEST [PATH...]");
          return await withImage(rest[0], (img) =>
            runExtract(img, rest[1] as string, rest.slice(2), json, io),
          );
        case "build":
          if (rest.length !== 1) throw new UsageError("build takes SRC -o OUTDIR");
          return await runBuild(
            {
              src: rest[0] as string,
              out: values.output,
              fsVersion: values["fs-version"],
              compressor: values.compressor,
              digester: values.digester,
              chunkSize: values["chunk-size"],
              prefetch: values.prefetch,
            },
            json,
            io,
          );
        case "pack":
          if (rest.length !== 2) throw new UsageError("pack takes OUTDIR oci:DIR[:TAG]");
          return await runPack(rest[0] as string, rest[1] as string, json, io);
        case "convert":
          if (rest.length !== 2) throw new UsageError("convert takes SRC DEST");
          if (values.output !== undefined) throw new UsageError("convert writes to DEST, not -o");
          return await runConvert(
            {
              src: rest[0] as string,
              dest: rest[1] as string,
              fsVersion: values["fs-version"],
              compressor: values.compressor,
              digester: values.digester,
              chunkSize: values["chunk-size"],
              prefetch: values.prefetch,
              platform: values.platform,
              username: values.username,
              password,
              insecure: values.insecure,
              srcCreds:
                values["src-creds"] === undefined
                  ? undefined
                  : parseCreds(values["src-creds"], "--src-creds", stdinPassword),
              destCreds:
                values["dest-creds"] === undefined
                  ? undefined
                  : parseCreds(values["dest-creds"], "--dest-creds", stdinPassword),
              dispatcher: transport,
            },
            json,
            io,
          );
        case "scan": {
          // Loaded here, not at start-up: the analyzers cost every other command ~90 ms of imports.
          const { listAnalyzers, runScan } = await import("./commands/scan.js");
          if (values["list-analyzers"]) return listAnalyzers(json, io);
          if (rest.length > 1) throw new UsageError("scan takes at most IMAGE");
          const scanArgs = {
            format: values.format,
            output: values.output,
            analyzers: values.analyzers,
            enable: values.enable,
            secretPaths: values["secret-path"],
            budget: values.budget,
            maxFileSize: values["max-file-size"],
            dpkgFiles: values["dpkg-files"],
            licenses: values.licenses,
            allowIncomplete: values["allow-incomplete"],
          };
          return await withImage(rest[0], (img) => runScan(img, scanArgs, json, io));
        }
        case "pull-meta":
          if (rest.length !== 2) throw new UsageError("pull-meta takes REF DIR");
          return await runPullMeta(rest[0] as string, rest[1] as string, imageArgs(rest[0]), json, io);
        default:
          throw new UsageError(`unknown command '${command}'`);
      }
    }
  } catch (err) {
    return report(err, json, io);
  }
}

/** True when the command reads from or writes to a registry (then --timeout defaults to 5m). */
function remoteCommand(command: string | undefined, rest: readonly string[]): boolean {
  if (command === "pull-meta") return true;
  if (command === "convert") return rest.slice(0, 2).some((a) => !a.startsWith("oci:") && isRemoteName(a));
  const image = rest[0];
  return image !== undefined && !image.startsWith("oci:") && isRemoteName(image);
}

function report(err: unknown, json: boolean, io: Io): number {
  const usage =
    err instanceof UsageError || (err as { code?: string })?.code?.startsWith("ERR_PARSE_ARGS") === true;
  const code =
    isRafsError(err) || isFsError(err)
      ? err.code
      : usage
        ? "USAGE"
        : ((err as { code?: string })?.code ?? "ERROR");
  const message = err instanceof Error ? err.message : String(err);
  if (json) io.stderr.write(`${JSON.stringify({ error: { code, message } })}\n`);
  else io.stderr.write(`rafscan: ${code}: ${message}${usage ? "\n(see rafscan --help)" : ""}\n`);
  return usage ? 2 : 1;
}
