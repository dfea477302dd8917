// `rafscan extract`: declares its arguments and help; loads extract.ts only when run.
import { Command } from "commander";
import { type CliContext, withImage } from "../cli-context.js";
import { addImageOptions, type ImageOptionValues } from "../option-groups.js";

/** The `extract` command. */
export function extractCommand(ctx: CliContext): Command {
  const cmd = new Command("extract")
    .summary("write files under DEST (never outside it)")
    .description(
      "Write the image's files (or only PATHs) under DEST, with modes and mtimes; never outside DEST.",
    )
    .argument("<image>", "the image")
    .argument("<dest>", "the directory to write into")
    .argument("[paths...]", "the paths to extract (default /)")
    .addHelpText("after", "\nExample:\n  rafscan extract ./out ./rootfs /etc /usr/share/doc");
  addImageOptions(cmd).action(
    async (image: string, dest: string, paths: string[], opts: ImageOptionValues) => {
      const { runExtract } = await import("./extract.js");
      ctx.exitCode = await withImage(ctx, image, opts, (img) =>
        runExtract(img, dest, paths, ctx.json, ctx.io),
      );
    },
  );
  return cmd;
}
