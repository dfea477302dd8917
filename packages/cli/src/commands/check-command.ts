// `rafscan check`: declares its arguments and help; loads check.ts only when run.
import { Command } from "commander";
import { type CliContext, withImage } from "../cli-context.js";
import { addImageOptions, type ImageOptionValues } from "../option-groups.js";

/** The `check` command. */
export function checkCommand(ctx: CliContext): Command {
  const cmd = new Command("check")
    .summary("verify every chunk's digest and the metadata; exit 0 only if sound")
    .description(
      "Verify every distinct chunk against its digest or CRC and blob bounds, v5 inode digests, every symlink and xattr. Exit 0 only if the image is sound, 1 if a problem was found.",
    )
    .argument("[image]", "the image (default: the sample image)")
    .addHelpText("after", "\nExample:\n  rafscan check ./out --json");
  addImageOptions(cmd).action(async (image: string | undefined, opts: ImageOptionValues) => {
    const { runCheck } = await import("./check.js");
    ctx.exitCode = await withImage(ctx, image, opts, (img) => runCheck(img, ctx.json, ctx.io));
  });
  return cmd;
}
