// `rafscan inspect`: declares its arguments, options and help; loads inspect.ts only when run.
import { Command } from "commander";
import { type CliContext, withImage } from "../cli-context.js";
import { addImageOptions, type ImageOptionValues } from "../option-groups.js";

/** The `inspect` command. */
export function inspectCommand(ctx: CliContext): Command {
  const cmd = new Command("inspect")
    .summary("superblock, blobs, or one request (like nydus-image inspect)")
    .description("Show an image's superblock and blobs, or answer one request about a path or inode.")
    .argument("[image]", "the image (default: the sample image)")
    .argument("[request]", "stat PATH | ls PATH | chunks PATH | icheck INO")
    .argument("[arg]", "the request's PATH or INO")
    .addHelpText(
      "after",
      `
Examples:
  rafscan inspect ./out                      superblock and blobs
  rafscan inspect ./out chunks /etc/hosts --json
  rafscan inspect ./out icheck 5             the paths of inode 5`,
    );
  addImageOptions(cmd).action(
    async (
      image: string | undefined,
      request: string | undefined,
      arg: string | undefined,
      opts: ImageOptionValues,
    ) => {
      const { runInspect } = await import("./inspect.js");
      const req = [request, arg].filter((v): v is string => v !== undefined);
      ctx.exitCode = await withImage(ctx, image, opts, (img) => runInspect(img, req, ctx.json, ctx.io));
    },
  );
  return cmd;
}
