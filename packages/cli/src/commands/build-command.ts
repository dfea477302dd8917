// `rafscan build`: declares its arguments, options and help; loads build.ts only when run.
import { Command } from "commander";
import type { CliContext } from "../cli-context.js";
import { addBuildOptions, type BuildOptionValues, buildArgs } from "../option-groups.js";

interface BuildValues extends BuildOptionValues {
  readonly output: string;
}

/** The `build` command. */
export function buildCommand(ctx: CliContext): Command {
  const cmd = new Command("build")
    .summary("build a Nydus image from a directory or a tar/tar.gz/tar.zst layer")
    .description(
      "Build a Nydus image from a directory or a tar / tar.gz / tar.zst layer into OUTDIR/bootstrap and OUTDIR/blobs/.",
    )
    .argument("<src>", "a directory or a tar, tar.gz or tar.zst file")
    .requiredOption("-o, --output <OUTDIR>", "where bootstrap and blobs/ go")
    .addHelpText(
      "after",
      `
Examples:
  rafscan build ./rootfs -o ./out
  rafscan build layer.tar.gz -o ./out --fs-version 5 --compressor lz4_block --chunk-size 64K`,
    );
  addBuildOptions(cmd).action(async (src: string, opts: BuildValues) => {
    const { runBuild } = await import("./build.js");
    ctx.exitCode = await runBuild({ src, out: opts.output, ...buildArgs(opts) }, ctx.json, ctx.io);
  });
  return cmd;
}
