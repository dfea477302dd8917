import { describe, expect, it } from "vitest";
import { phpPlugin } from "../src/lang/php.js";
import { compileNeeds } from "../src/needs.js";
import { memoryContext, memoryFile } from "./helpers/files.js";

const entry = (path: string) => ({ path, size: 1, mode: 0o100644 });
const PATH = "/var/www/html/vendor/composer/installed.json";

const COMPOSER2 = {
  packages: [
    {
      name: "symfony/console",
      version: "v6.4.4",
      version_normalized: "6.4.4.0",
      source: { type: "git", url: "https://github.com/symfony/console.git", reference: "0d9e4eb5" },
      type: "library",
      license: ["MIT"],
      "install-path": "../symfony/console",
    },
    { name: "monolog/monolog", version: "3.5.0", license: ["MIT", "MIT"] },
    { name: "phpunit/phpunit", version: "10.5.11", license: ["BSD-3-Clause"] },
  ],
  dev: true,
  "dev-package-names": ["phpunit/phpunit"],
};

describe("php needs", () => {
  const needs = compileNeeds(phpPlugin.needs);
  it("matches installed.json under vendor/composer only", () => {
    expect(needs.matches(entry(PATH))).toBe(true);
    expect(needs.matches(entry("/app/composer.json"))).toBe(false);
    expect(needs.matches(entry("/app/vendor/installed.json"))).toBe(false);
    expect(needs.matches(entry("/app/vendor/composer/installed.php"))).toBe(false);
  });
});

describe("php plugin", () => {
  it("reads Composer 2 form with vendor as namespace, licences deduplicated", async () => {
    const ctx = memoryContext();
    const found = await phpPlugin.analyze([memoryFile(PATH, JSON.stringify(COMPOSER2))], ctx);
    expect(found.packages?.map((p) => [p.name, p.purl, p.licenses])).toEqual([
      ["symfony/console", "pkg:composer/symfony/console@v6.4.4", ["MIT"]],
      ["monolog/monolog", "pkg:composer/monolog/monolog@3.5.0", ["MIT"]],
      ["phpunit/phpunit", "pkg:composer/phpunit/phpunit@10.5.11", ["BSD-3-Clause"]],
    ]);
    expect(ctx.warnings).toEqual([]);
  });

  it("reads Composer 1 array form and collapses duplicates", async () => {
    const ctx = memoryContext();
    const list = [
      { name: "guzzlehttp/guzzle", version: "7.8.1" },
      { name: "guzzlehttp/guzzle", version: "7.8.1" },
    ];
    const found = await phpPlugin.analyze([memoryFile(PATH, JSON.stringify(list))], ctx);
    expect(found.packages?.map((p) => p.purl)).toEqual(["pkg:composer/guzzlehttp/guzzle@7.8.1"]);
  });

  it("warns for bad entries and bad files, keeps the rest", async () => {
    const ctx = memoryContext();
    const files = [
      memoryFile("/a/vendor/composer/installed.json", '{"packages": 5}'),
      memoryFile("/b/vendor/composer/installed.json", '{"packages":[{"name":"a/b","version":"1"'),
      memoryFile(
        "/c/vendor/composer/installed.json",
        JSON.stringify([
          null,
          { name: "noslash", version: "1" },
          { name: "x/y", version: 12 },
          { name: "ok/ok", version: "2" },
        ]),
      ),
    ];
    const found = await phpPlugin.analyze(files, ctx);
    expect(found.packages?.map((p) => p.purl)).toEqual(["pkg:composer/ok/ok@2"]);
    expect(ctx.warnings.map((w) => [w.path, w.message])).toEqual([
      ["/a/vendor/composer/installed.json", expect.stringMatching(/packages/)],
      ["/b/vendor/composer/installed.json", expect.stringMatching(/invalid JSON/)],
      ["/c/vendor/composer/installed.json", "skipped 3 entries without a usable name and version"],
    ]);
  });
});
