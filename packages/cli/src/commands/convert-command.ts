// `rafscan convert`: declares its arguments, options and help; loads convert.ts only when run.
import { Command } from "commander";
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
  rafscan convert localhost:5000/app:1.0 localhost:5000/app:1.0-nydus --insecure`,
    );
  addRegistryOptions(addBuildOptions(cmd)).action(
    async (src: string, dest: string, opts: BuildOptionValues & ImageOptionValues) => {
      const { runConvert } = await import("./convert.js");
      ctx.exitCode = await runConvert(
        {
          src,
          dest,
          ...buildArgs(opts),
          platform: opts.platform,
          username: opts.username,
          password: opts.password,
          insecure: opts.insecure === true,
        },
        ctx.json,
        ctx.io,
      );
    },
  );
  return cmd;
}
