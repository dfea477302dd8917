// `rafscan pull-meta`: declares its arguments, options and help; loads pull-meta.ts only when run.
import { Command } from "commander";
import type { CliContext } from "../cli-context.js";
import { addCacheOption, addRegistryOptions, type ImageOptionValues, imageArgs } from "../option-groups.js";

/** The `pull-meta` command. */
export function pullMetaCommand(ctx: CliContext): Command {
  const cmd = new Command("pull-meta")
    .summary("save an image's bootstrap, manifest and config in DIR for offline use")
    .description(
      "Save a Nydus image's bootstrap, manifest and config in DIR, so ls, stat and inspect work offline.",
    )
    .argument("<ref>", "a registry reference or oci:DIR[:TAG]")
    .argument("<dir>", "where to save")
    .addHelpText(
      "after",
      "\nExample:\n  rafscan pull-meta localhost:5000/app:1.0 ./meta --insecure && rafscan ls ./meta",
    );
  addCacheOption(addRegistryOptions(cmd)).action(
    async (ref: string, dir: string, opts: ImageOptionValues) => {
      const [{ runPullMeta }, { withNetwork }] = await Promise.all([
        import("./pull-meta.js"),
        import("../network-args.js"),
      ]);
      ctx.exitCode = await withNetwork(opts, true, (net) => {
        const args = imageArgs(ref, opts);
        return runPullMeta(
          ref,
          dir,
          {
            ...args,
            ...(args.password === undefined && args.username !== undefined && net.stdinPassword !== undefined
              ? { password: net.stdinPassword }
              : {}),
            dispatcher: net.dispatcher,
            signal: net.signal,
          },
          ctx.json,
          ctx.io,
        );
      });
    },
  );
  return cmd;
}
