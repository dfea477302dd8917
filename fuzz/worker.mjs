// A fuzz worker process (forked by run.mjs): loads the corpus, then runs the batches the parent
// sends, announcing each case before it starts so the parent's watchdog can name a case that
// hangs, crashes or grows past the memory limit.
import { mkdirSync } from "node:fs";
import { loadCorpus } from "./corpus.mjs";
import { runCase } from "./engine.mjs";
import { typedPredicate } from "./oracle.mjs";
import { setupTargets } from "./targets.mjs";

const [corpusDir, tmpDir] = process.argv.slice(2);
mkdirSync(tmpDir, { recursive: true });
const isTyped = typedPredicate();
const targets = await setupTargets(loadCorpus(corpusDir), tmpDir, isTyped);
let current;

// A rejection nobody handles is a bug of the reader (a promise left behind by a failed read):
// report it against the case that was running, and keep going.
process.on("unhandledRejection", (err) => {
  const e = err instanceof Error ? err : new Error(String(err));
  process.send?.({
    type: "finding",
    ...current,
    finding: { kind: "unhandled-rejection", message: `${e.name}: ${e.message}`, stack: e.stack },
  });
});

process.on("message", async (msg) => {
  if (msg.type !== "batch") return;
  for (let k = msg.from; k < msg.to; k++) {
    current = { target: msg.target, seed: msg.seed, k };
    process.send({ type: "at", k });
    const r = await runCase(targets, msg.target, msg.seed, k, isTyped);
    process.send({ type: "result", target: msg.target, k, outcome: r.outcome, codes: r.codes });
    if (r.outcome === "finding") {
      process.send({ type: "finding", target: msg.target, seed: msg.seed, k, finding: r.finding });
    }
  }
  process.send({ type: "done" });
});

process.send({ type: "ready", targets: Object.keys(targets) });
