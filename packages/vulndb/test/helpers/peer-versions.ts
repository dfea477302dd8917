// Reads the peer version-comparison fixtures in ../shared/peer/versions/ (README there):
// `A OP B` lines ordered by each ecosystem's own tool, and checks a comparator against them.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** ../shared/peer/versions beside the repository root, or undefined when absent. */
export const PEER_VERSIONS: string | undefined = (() => {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");
  const dir = join(root, "../shared/peer/versions");
  return existsSync(dir) ? dir : undefined;
})();

/** One comparison line of a fixture. */
export interface PeerLine {
  readonly line: number;
  readonly a: string;
  readonly op: "<" | "=" | ">";
  readonly b: string;
}

/** The enabled comparison lines of `file`; `tsv` files split on tabs (their sides may be empty). */
export function readPeerLines(file: string): PeerLine[] {
  if (PEER_VERSIONS === undefined) throw new Error("../shared/peer/versions is absent");
  const text = readFileSync(join(PEER_VERSIONS, file), "utf8");
  const tsv = file.endsWith(".tsv");
  const out: PeerLine[] = [];
  text.split("\n").forEach((raw, i) => {
    // Disabled on purpose upstream (README): lines starting "# " or "// ".
    if (raw.trim() === "" || raw.startsWith("# ") || raw.startsWith("// ")) return;
    // A few apk lines carry a trailing "# comment" after tabs.
    const body = tsv ? raw : raw.replace(/\s+#.*$/, "");
    const parts = tsv ? body.split("\t") : body.split(" ");
    if (parts.length !== 3) throw new Error(`${file}:${i + 1}: not 'A OP B': ${raw}`);
    const [a, op, b] = parts as [string, string, string];
    if (op !== "<" && op !== "=" && op !== ">") throw new Error(`${file}:${i + 1}: bad operator ${op}`);
    out.push({ line: i + 1, a, op, b });
  });
  return out;
}

/** Outcome of checking one fixture file. */
export interface PeerResult {
  readonly total: number;
  readonly agreed: number;
  /** Lines where a side was refused (VersionError), as `line: text`. */
  readonly refused: string[];
  /** Lines where the comparison disagreed, as `line: A OP B (got X)`. */
  readonly disagreed: string[];
}

const OPS = ["<", "=", ">"] as const;

/** Checks `compare` (which throws a coded error for a refused version) against every line of `file`. */
export function checkPeerFile(file: string, compare: (a: string, b: string) => number): PeerResult {
  const lines = readPeerLines(file);
  let agreed = 0;
  const refused: string[] = [];
  const disagreed: string[] = [];
  for (const l of lines) {
    let c: number;
    try {
      c = compare(l.a, l.b);
    } catch (e) {
      if ((e as { code?: string }).code !== "VULNDB_BAD_VERSION") throw e;
      refused.push(`${l.line}: ${l.a} ${l.op} ${l.b}: ${(e as Error).message}`);
      continue;
    }
    const got = OPS[Math.sign(c) + 1];
    if (got === l.op) agreed++;
    else disagreed.push(`${l.line}: ${l.a} ${l.op} ${l.b} (got ${got})`);
  }
  return { total: lines.length, agreed, refused, disagreed };
}
