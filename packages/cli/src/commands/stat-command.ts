// `rafscan stat`: declares its arguments and help; loads stat.ts only when run.
import { Command } from "commander";
import { type CliContext, withImage } from "../cli-context.js";
import { addImageOptions, type ImageOptionValues } from "../option-groups.js";

/** The `stat` command. */
export function statCommand(ctx: CliContext): Command {
  const cmd = new Command("stat")
    .summary("one path's metadata (not following a final symlink)")
    .description(
      "Print one path's metadata, as an ls --json row with --json (a final symlink is not followed).",
    )
    .argument("<image>", "the image")
    .argument("<path>", "the path")
    .addHelpText("after", "\nExample:\n  rafscan stat ./out /usr/bin/env --json");
  addImageOptions(cmd).action(async (image: string, path: string, opts: ImageOptionValues) => {
    const { runStat } = await import("./stat.js");
    ctx.exitCode = await withImage(ctx, image, opts, (img) => runStat(img, path, ctx.json, ctx.io));
  });
  return cmd;
}
