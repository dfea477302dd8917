// @ts-check
// The entry point of a benchmark script: run its main, report a failure on stderr with exit code 1.

/**
 * Calls `main`; a rejection prints its stack (or message) to stderr and sets exit code 1, so the
 * process still ends normally and its `finally` clean-ups have run.
 * @param {() => Promise<void>} main
 */
export function runMain(main) {
  main().catch((err) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  });
}
