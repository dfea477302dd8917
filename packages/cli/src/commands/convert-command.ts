// `rafscan convert`: declares its arguments, options and help; loads convert.ts only when run.
import { Command, Option } from "commander";
import type { CliContext } from "../cli-context.js";
import {
  addBuildOptions,
  addRegistryOptions,
  type BuildOptionValues,
  buildArgs,
  type ImageOptionValues,
} from "../option-groups.js";

/** The `convert` command. */
export function convertCommand(ctx: CliContext): Command {
  const cmd = new Command("convert")
    .summary("convert an OCI/Docker image to a Nydus image")
    .description(
      "Convert a plain OCI or Docker image to a Nydus image. SRC and DEST are oci:DIR[:TAG] or a registry reference (host[:port]/repo[:tag]).",
    )
    .argument("<src>", "the plain image")
    .argument("<dest>", "where the Nydus image goes")
    .addHelpText(
      "after",
      `
Examples:
  rafscan convert oci:./plain:1.0 oci:./nydus:1.0
  rafscan convert localhost:5000/app:1.0 localhost:5000/app:1.0-nydus --insecure
  rafscan convert docker.io/library/alpine:3.20 ghcr.io/me/alpine:3.20-nydus --dest-creds me:TOKEN`,
    )
    .addOption(
      new Option(
        "--all-platforms",
        "convert every platform of SRC's index and write a Nydus index (default: only --platform's)",
      ),
    )
    .addOption(
      new Option(
        "--src-creds <USER:PASS>",
        "credentials for SRC's registry only (USER alone: --password-stdin)",
      ).helpGroup("Registry options:"),
    )
    .addOption(
      new Option(
        "--dest-creds <USER:PASS>",
        "credentials for DEST's registry only (USER alone: --password-stdin)",
      ).helpGroup("Registry options:"),
    );
  addRegistryOptions(addBuildOptions(cmd)).action(
    async (
      src: string,
      dest: string,
      opts: BuildOptionValues &
        ImageOptionValues & { srcCreds?: string; destCreds?: string; allPlatforms?: boolean },
    ) => {
      const [{ runConvert }, { parseCreds, withNetwork }, { isRemoteName }] = await Promise.all([
        import("./convert.js"),
        import("../network-args.js"),
        import("../open-arg.js"),
      ]);
      const remote = [src, dest].some((a) => !a.startsWith("oci:") && isRemoteName(a));
      ctx.exitCode = await withNetwork(opts, remote, (net) =>
        runConvert(
          {
            src,
            dest,
            ...buildArgs(opts),
            platform: opts.platform,
            username: opts.username,
            password: opts.password ?? (opts.username === undefined ? undefined : net.stdinPassword),
            insecure: opts.insecure === true,
            srcCreds:
              opts.srcCreds === undefined
                ? undefined
                : parseCreds(opts.srcCreds, "--src-creds", net.stdinPassword),
            destCreds:
              opts.destCreds === undefined
                ? undefined
                : parseCreds(opts.destCreds, "--dest-creds", net.stdinPassword),
            dispatcher: net.dispatcher,
            allPlatforms: opts.allPlatforms === true,
          },
          ctx.json,
          ctx.io,
        ),
      );
    },
  );
  return cmd;
}
