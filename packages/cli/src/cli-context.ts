// What a command's action gets besides its arguments: where to write, the global flags, and the exit
// code it sets. Also the one helper every image-reading command uses to open IMAGE and report --stats.
import type { Image } from "@rafscan/vfs";
import { type ImageOptionValues, imageArgs } from "./option-groups.js";
import type { Io } from "./output.js";

/** Shared by main, the program and every command; the global flags are filled in before an action runs. */
export interface CliContext {
  /** Streams plus `quiet`/`debug`/`color` once the command line is parsed. */
  io: Io;
  /** `--json` (or `RAFSCAN_JSON`, or the config file). */
  json: boolean;
  /** Set by the action: 0 success, 1 failure, 2 usage. */
  exitCode: number;
}

/** Opens IMAGE with the image options, runs `body`, prints `--stats`, closes the image. */
export async function withImage(
  ctx: CliContext,
  image: string | undefined,
  options: ImageOptionValues,
  body: (img: Image) => Promise<number>,
): Promise<number> {
  // Loaded here, not at start-up: the registry and builder modules cost every `--help` their imports.
  const [{ isRemoteName, openImageArg }, { writeStats }, { withNetwork }] = await Promise.all([
    import("./open-arg.js"),
    import("./stats-output.js"),
    import("./network-args.js"),
  ]);
  const remote = image !== undefined && !image.startsWith("oci:") && isRemoteName(image);
  return withNetwork(options, remote, async (net) => {
    const args = imageArgs(image, options);
    const img = await openImageArg(
      {
        ...args,
        ...(args.password === undefined && args.username !== undefined && net.stdinPassword !== undefined
          ? { password: net.stdinPassword }
          : {}),
        dispatcher: net.dispatcher,
        signal: net.signal,
      },
      ctx.io,
    );
    try {
      return await body(img);
    } finally {
      if (options.stats === true) writeStats(img, ctx.json, ctx.io);
      await img.close();
    }
  });
}
