// Option values from the environment (RAFSCAN_*) and the config file, applied after the command line
// is parsed to options the command line left unset. Precedence: flag > env > config > default.
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { Command, Option } from "commander";
import { REPEATABLE } from "./option-groups.js";
import { parseBoolean } from "./parse-values.js";
import { UsageError } from "./usage-error.js";

/** Options that name one run's inputs or outputs, or the CLI itself: no env or config form. */
const NOT_SETTINGS = new Set(["help", "version", "config", "output"]);

/** The option's flag name without dashes (`cache-dir`, `no-verify`): its config key. */
export function settingKey(option: Option): string | undefined {
  const key = option.long?.replace(/^--/, "");
  return key === undefined || NOT_SETTINGS.has(key) ? undefined : key;
}

/** The option's environment variable: `RAFSCAN_` + the flag name upper-cased, `-` as `_`. */
export function envName(key: string): string {
  return `RAFSCAN_${key.toUpperCase().replaceAll("-", "_")}`;
}

/** Where the config file is looked for when neither `--config` nor `RAFSCAN_CONFIG` names one. */
export function defaultConfigPath(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_CONFIG_HOME || join(homedir(), ".config");
  return join(base, "rafscan", "config.json");
}

/** One value taken from the environment or the config file (printed by `--debug`). */
export interface AppliedSetting {
  readonly key: string;
  readonly source: string;
  readonly value: unknown;
}

type ConfigObject = Record<string, unknown>;

function loadConfig(path: string, explicit: boolean): ConfigObject {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if (!explicit && (err as { code?: string }).code === "ENOENT") return {};
    throw new UsageError(`config file ${path}: ${(err as Error).message}`, "CONFIG_INVALID");
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`config file ${path}: not JSON: ${(err as Error).message}`, "CONFIG_INVALID");
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed))
    throw new UsageError(`config file ${path}: must hold a JSON object`, "CONFIG_INVALID");
  return parsed as ConfigObject;
}

function keysOf(cmd: Command): Set<string> {
  return new Set(cmd.options.map(settingKey).filter((k): k is string => k !== undefined));
}

/** Refuses keys that name no option (typos would otherwise be ignored silently). */
function checkConfigKeys(config: ConfigObject, program: Command, path: string): void {
  const global = keysOf(program);
  const anyCommand = new Set(global);
  const commands = new Map(program.commands.map((c) => [c.name(), c]));
  for (const c of program.commands) for (const k of keysOf(c)) anyCommand.add(k);
  for (const [key, value] of Object.entries(config)) {
    const sub = commands.get(key);
    if (sub !== undefined) {
      if (value === null || typeof value !== "object" || Array.isArray(value))
        throw new UsageError(
          `config file ${path}: "${key}" must be an object of ${key}'s options`,
          "CONFIG_INVALID",
        );
      const own = keysOf(sub);
      for (const k of Object.keys(value))
        if (!own.has(k) && !global.has(k))
          throw new UsageError(
            `config file ${path}: "${key}.${k}" is not an option of ${key}`,
            "CONFIG_INVALID",
          );
    } else if (!anyCommand.has(key)) {
      throw new UsageError(`config file ${path}: unknown key "${key}"`, "CONFIG_INVALID");
    }
  }
}

/** Converts an env string or config value to what the command line would have produced. */
function toValue(option: Option, raw: unknown, what: string): unknown {
  const bad = (want: string) =>
    new UsageError(`${what} must be ${want}`, what.startsWith("config") ? "CONFIG_INVALID" : "USAGE");
  if (option.isBoolean()) {
    const on = typeof raw === "boolean" ? raw : typeof raw === "string" ? parseBoolean(raw, what) : undefined;
    if (on === undefined) throw bad("true or false");
    return option.negate ? !on : on;
  }
  const parse = (v: string, prev: unknown): unknown => (option.parseArg ? option.parseArg(v, prev) : v);
  if (REPEATABLE.has(option)) {
    const list =
      typeof raw === "string"
        ? raw
            .split(",")
            .map((s) => s.trim())
            .filter((s) => s !== "")
        : Array.isArray(raw) && raw.every((v) => typeof v === "string")
          ? (raw as string[])
          : undefined;
    if (list === undefined) throw bad("a list of strings");
    let acc: unknown;
    for (const v of list) acc = parse(v, acc);
    return acc;
  }
  if (typeof raw === "string") return parse(raw, undefined);
  if (typeof raw === "number" && Number.isFinite(raw)) return parse(String(raw), undefined);
  throw bad("a string");
}

/**
 * Fills options the command line left unset from `RAFSCAN_*` variables, then from the config file
 * (top-level keys, then the command's own section overriding them). Also honours `NO_COLOR`.
 */
export function applySettings(program: Command, command: Command, env: NodeJS.ProcessEnv): AppliedSetting[] {
  const explicit = (program.opts().config as string | undefined) ?? (env.RAFSCAN_CONFIG || undefined);
  const path = explicit ?? defaultConfigPath(env);
  const config = loadConfig(path, explicit !== undefined);
  checkConfigKeys(config, program, path);
  const section = (config[command.name()] ?? {}) as ConfigObject;
  const applied: AppliedSetting[] = [];
  for (const cmd of command === program ? [program] : [program, command]) {
    for (const option of cmd.options) {
      const key = settingKey(option);
      if (key === undefined) continue;
      const attr = option.attributeName();
      if (cmd.getOptionValueSource(attr) === "cli") continue;
      const name = envName(key);
      let source: "env" | "config";
      let value: unknown;
      if (env[name] !== undefined) {
        source = "env";
        value = toValue(option, env[name], name);
      } else if (key in section || key in config) {
        source = "config";
        const raw = key in section ? section[key] : config[key];
        value = toValue(option, raw, `config file ${path}: "${key}"`);
      } else if (key === "no-color" && env.NO_COLOR) {
        // https://no-color.org: present and not empty means no colour.
        source = "env";
        value = false;
      } else continue;
      cmd.setOptionValueWithSource(attr, value, source);
      applied.push({ key, source: source === "env" ? name : `config ${path}`, value });
    }
  }
  return applied;
}
