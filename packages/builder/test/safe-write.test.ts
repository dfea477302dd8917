// SafeRoot: writes under a root never go through a symlink or a non-directory, whoever made it.
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SafeRoot } from "../src/index.js";

let dir = "";
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "rafscan-safe-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("SafeRoot", () => {
  it("creates nested directories, files, symlinks and hardlinks inside the root", async () => {
    const root = await SafeRoot.open(join(dir, "root"));
    const { handle } = await root.createFile("/a/b/c.txt", 0o644);
    await handle.writeFile("hi");
    await handle.close();
    await root.symlink("/etc/passwd", "a/link");
    await root.link("a/b/c.txt", "a/hard");
    expect(readFileSync(join(dir, "root/a/b/c.txt"), "utf8")).toBe("hi");
    expect(lstatSync(join(dir, "root/a/link")).isSymbolicLink()).toBe(true);
    expect(lstatSync(join(dir, "root/a/hard")).ino).toBe(lstatSync(join(dir, "root/a/b/c.txt")).ino);
  });

  it("refuses a symlink in the way, wherever it points, and writes nothing through it", async () => {
    const outside = join(dir, "outside");
    mkdirSync(outside);
    const root = await SafeRoot.open(join(dir, "root"));
    symlinkSync(outside, join(root.path, "k"));
    for (const attempt of [
      () => root.createFile("k/pwned"),
      () => root.mkdirs("k/sub"),
      () => root.symlink("x", "k/l"),
      () => root.link("k", "other"),
    ]) {
      await expect(attempt()).rejects.toMatchObject({ code: "BUILD_UNSAFE_PATH" });
    }
    // A symlink inside the root is refused too: the guarantee does not depend on the target.
    symlinkSync(".", join(root.path, "self"));
    await expect(root.createFile("self/x")).rejects.toMatchObject({ code: "BUILD_UNSAFE_PATH" });
    expect(existsSync(join(outside, "pwned"))).toBe(false);
    expect(existsSync(join(outside, "sub"))).toBe(false);
  });

  it("refuses a file in the way, '..' components and an existing last component", async () => {
    const root = await SafeRoot.open(join(dir, "root"));
    writeFileSync(join(root.path, "f"), "");
    await expect(root.mkdirs("f/g")).rejects.toMatchObject({ code: "BUILD_UNSAFE_PATH" });
    await expect(root.createFile("a/../../x")).rejects.toMatchObject({ code: "BUILD_UNSAFE_PATH" });
    await expect(root.createFile("f")).rejects.toMatchObject({ code: "EEXIST" });
    // The last component is never followed: a symlink there is EEXIST, not a write through it.
    symlinkSync(join(dir, "elsewhere"), join(root.path, "s"));
    await expect(root.createFile("s")).rejects.toMatchObject({ code: "EEXIST" });
    expect(existsSync(join(dir, "elsewhere"))).toBe(false);
  });
});
