// `rafscan cat`: declares its arguments and help; loads cat.ts only when run.
import { Command } from "commander";
import { type CliContext, withImage } from "../cli-context.js";
import { addImageOptions, type ImageOptionValues } from "../option-groups.js";

/** The `cat` command. */
export function catCommand(ctx: CliContext): Command {
  const cmd = new Command("cat")
    .summary("write a file's bytes to stdout")
    .description("Write the bytes of the file at PATH (following symlinks) to stdout.")
    .argument("<image>", "the image")
    .argument("<path>", "the file")
    .addHelpText("after", "\nExample:\n  rafscan cat ./out /etc/os-release");
  addImageOptions(cmd).action(async (image: string, path: string, opts: ImageOptionValues) => {
    const { runCat } = await import("./cat.js");
    ctx.exitCode = await withImage(ctx, image, opts, (img) => runCat(img, path, ctx.io));
  });
  return cmd;
}
