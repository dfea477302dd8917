// `rafscan ls`: declares its arguments, options and help; loads ls.ts only when run.
import { Command } from "commander";
import { type CliContext, withImage } from "../cli-context.js";
import { addImageOptions, type ImageOptionValues } from "../option-groups.js";

interface LsValues extends ImageOptionValues {
  readonly recursive?: boolean;
  readonly sha256?: boolean;
}

/** The `ls` command. */
export function lsCommand(ctx: CliContext): Command {
  const cmd = new Command("ls")
    .summary("list PATH and its entries, sorted by path bytes")
    .description("List PATH itself and its entries (all descendants with -R), sorted by path bytes.")
    .argument("[image]", "the image (default: the sample image)")
    .argument("[path]", "the path to list", "/")
    .option("-R, --recursive", "the whole tree")
    .option("--sha256", "add each regular file's sha256")
    .addHelpText(
      "after",
      `
--json prints one object per line (fields in docs/cli.md, "ls --json").

Examples:
  rafscan ls ./out /etc
  rafscan ls registry.example.com/app:1.0 -R --json --sha256`,
    );
  addImageOptions(cmd).action(async (image: string | undefined, path: string, opts: LsValues) => {
    const { runLs } = await import("./ls.js");
    const options = {
      path,
      recursive: opts.recursive === true,
      json: ctx.json,
      sha256: opts.sha256 === true,
    };
    ctx.exitCode = await withImage(ctx, image, opts, (img) => runLs(img, options, ctx.io));
  });
  return cmd;
}
