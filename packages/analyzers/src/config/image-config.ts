// Findings from an OCI image configuration: the user the image runs as, the ports it exposes, the
// names of its environment variables, and secrets in env values and build history. Format: OCI
// image-spec config.md (`config.User`, `config.ExposedPorts`, `config.Env`, `history[].created_by`).
import type { Secret } from "../findings.js";
import { scanText } from "../secrets/scan.js";

/** What {@link analyzeImageConfig} reports. */
export interface ImageConfigFindings {
  /** `config.User` as written (`""` when unset, which means root). */
  readonly user: string;
  /** True when the image runs as root: no user, `root`, `0`, or a `root:`/`0:` user:group. */
  readonly runsAsRoot: boolean;
  /** `config.ExposedPorts` keys, sorted: `80/tcp`, `53/udp`. */
  readonly exposedPorts: readonly string[];
  /** Names of `config.Env` variables in order (values are never copied, they may be secrets). */
  readonly envNames: readonly string[];
  /**
   * Secrets in env values (path `config:Env`, line = 1-based index in `Env`) and in build history
   * commands (path `config:history`, line = 1-based index in `history`).
   */
  readonly secrets: readonly Secret[];
  /** Remarks for the report: running as root, odd entries. */
  readonly notes: readonly string[];
}

/** Env entries and history steps looked at; real configs have dozens. */
const MAX_ITEMS = 10_000;
/** Longest env entry or history command scanned. */
const MAX_ITEM_LENGTH = 1 << 20;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** True for users that mean uid 0. */
export function isRootUser(user: string): boolean {
  const name = user.trim().split(":")[0] ?? "";
  return name === "" || name === "root" || /^0+$/.test(name);
}

/**
 * Reads an image config: either the whole OCI config document (with its `config` object and
 * `history`) or just the `config` object. Untrusted input: wrong types are ignored with a note.
 */
export function analyzeImageConfig(config: Record<string, unknown>): ImageConfigFindings {
  const inner = isRecord(config.config) ? config.config : config;
  const notes: string[] = [];
  const secrets: Secret[] = [];

  const user = typeof inner.User === "string" ? inner.User : "";
  const runsAsRoot = isRootUser(user);
  if (runsAsRoot) {
    notes.push(user === "" ? "config: no User set, the image runs as root" : `config: User ${user} is root`);
  }

  const exposedPorts = isRecord(inner.ExposedPorts) ? Object.keys(inner.ExposedPorts).sort() : [];

  const envNames: string[] = [];
  const env = Array.isArray(inner.Env) ? inner.Env : [];
  if (env.length > MAX_ITEMS)
    notes.push(`config: ${env.length} Env entries, only the first ${MAX_ITEMS} scanned`);
  env.slice(0, MAX_ITEMS).forEach((entry, i) => {
    if (typeof entry !== "string") return;
    const eq = entry.indexOf("=");
    envNames.push(eq < 0 ? entry : entry.slice(0, eq));
    if (entry.length <= MAX_ITEM_LENGTH) {
      secrets.push(...scanText(entry, "config:Env").secrets.map((s) => ({ ...s, line: i + 1 })));
    }
  });

  const history = Array.isArray(config.history) ? config.history : [];
  history.slice(0, MAX_ITEMS).forEach((step, i) => {
    const cmd = isRecord(step) ? step.created_by : undefined;
    if (typeof cmd === "string" && cmd.length <= MAX_ITEM_LENGTH) {
      // A history command is one line of the Dockerfile, whatever newlines it contains.
      const found = scanText(cmd, "config:history").secrets.map((s) => ({ ...s, line: i + 1 }));
      secrets.push(...found);
    }
  });

  return { user, runsAsRoot, exposedPorts, envNames, secrets, notes };
}
