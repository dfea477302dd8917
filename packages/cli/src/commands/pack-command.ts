// `rafscan pack`: declares its arguments and help; loads pack.ts only when run.
import { Command } from "commander";
import type { CliContext } from "../cli-context.js";

/** The `pack` command. */
export function packCommand(ctx: CliContext): Command {
  return new Command("pack")
    .summary("package a built image as an OCI image layout")
    .description("Package an image built by `rafscan build` as a Nydus OCI image in a layout directory.")
    .argument("<outdir>", "the build output directory")
    .argument("<target>", "oci:DIR[:TAG] (default tag latest)")
    .addHelpText("after", "\nExample:\n  rafscan pack ./out oci:./layout:v1")
    .action(async (outdir: string, target: string) => {
      const { runPack } = await import("./pack.js");
      ctx.exitCode = await runPack(outdir, target, ctx.json, ctx.io);
    });
}
