// Runs one fuzz case and sorts its outcome: `ok`, `typed` (a documented error code) or `finding`
// (anything else). Shared by the worker processes and by in-process replay.
import { hashSeed, prng } from "./mutate.mjs";
import { Finding } from "./targets.mjs";

/** The PRNG of case `k` of `target` in the campaign seeded `seed`: the whole input follows from it. */
export function caseRng(target, seed, k) {
  return prng(hashSeed(`${target}/${seed}/${k}`));
}

/**
 * Runs case `k`. Returns `{ outcome, codes, finding? }` where codes are the documented error
 * codes met (also those of single files that failed while others read fine).
 */
export async function runCase(targets, target, seed, k, isTyped) {
  const run = targets[target];
  if (run === undefined) throw new Error(`unknown fuzz target ${target}`);
  const codes = new Set();
  if (target === "selftest") process.env.RAFSCAN_FUZZ_CASE = String(k);
  try {
    await run(caseRng(target, seed, k), codes);
    return { outcome: codes.size > 0 ? "typed" : "ok", codes: [...codes] };
  } catch (err) {
    if (err instanceof Finding) {
      return {
        outcome: "finding",
        codes: [...codes],
        finding: { kind: err.kind, message: err.message, stack: err.stack },
      };
    }
    if (isTyped(err)) {
      codes.add(err.code);
      return { outcome: "typed", codes: [...codes] };
    }
    const e = err instanceof Error ? err : new Error(String(err));
    return {
      outcome: "finding",
      codes: [...codes],
      finding: {
        kind: "untyped-error",
        code: typeof e.code === "string" ? e.code : undefined,
        message: `${e.name}: ${e.message}`,
        stack: e.stack,
      },
    };
  }
}
