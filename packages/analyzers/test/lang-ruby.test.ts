import { describe, expect, it } from "vitest";
import { parseGemspec, rubyPlugin } from "../src/lang/ruby.js";
import { compileNeeds } from "../src/needs.js";
import { memoryContext, memoryFile } from "./helpers/files.js";

const entry = (path: string) => ({ path, size: 1, mode: 0o100644 });

const RAKE = `# -*- encoding: utf-8 -*-
# stub: rake 13.1.0 ruby lib

Gem::Specification.new do |s|
  s.name = "rake".freeze
  s.version = "13.1.0".freeze

  s.required_rubygems_version = Gem::Requirement.new(">= 1.3.2".freeze) if s.respond_to? :required_rubygems_version=
  s.metadata = { "bug_tracker_uri" => "https://github.com/ruby/rake/issues", "changelog_uri" => "https://github.com/ruby/rake/blob/v13.1.0/History.rdoc" } if s.respond_to? :metadata=
  s.require_paths = ["lib".freeze]
  s.authors = ["Hiroshi SHIBATA".freeze, "Eric Hodel".freeze, "Jim Weirich".freeze]
  s.bindir = "exe".freeze
  s.date = "2023-11-10"
  s.licenses = ["MIT".freeze]
  s.required_ruby_version = Gem::Requirement.new(">= 2.3".freeze)
  s.rubygems_version = "3.5.3".freeze
  s.summary = "Rake is a Make-like program implemented in Ruby".freeze

  s.installed_by_version = "3.5.3" if s.respond_to? :installed_by_version
end
`;

describe("ruby needs", () => {
  const needs = compileNeeds(rubyPlugin.needs);
  it.each([
    "/usr/local/bundle/specifications/rake-13.1.0.gemspec",
    "/usr/lib/ruby/gems/3.2.0/specifications/json-2.6.3.gemspec",
  ])("matches %s", (path) => expect(needs.matches(entry(path))).toBe(true));
  it.each([
    "/app/rake.gemspec",
    "/usr/local/bundle/gems/rake-13.1.0/rake.gemspec",
    "/usr/local/bundle/specifications/.gemspec",
    "/usr/local/bundle/specifications/rake.gemspec.orig",
  ])("does not match %s", (path) => expect(needs.matches(entry(path))).toBe(false));
});

describe("parseGemspec", () => {
  it("reads the to_ruby form, ignoring look-alike attributes", () => {
    expect(parseGemspec(RAKE)).toEqual({ name: "rake", version: "13.1.0", licenses: ["MIT"] });
  });

  it("reads Gem::Version.new, %q{}, single quotes and `license =`", () => {
    const text = `Gem::Specification.new do |spec|
  spec.name = %q{json}
  spec.version = Gem::Version.new('2.6.3')
  spec.license = 'Ruby'
  other.name = "not this one"
end`;
    expect(parseGemspec(text)).toEqual({ name: "json", version: "2.6.3", licenses: ["Ruby"] });
  });

  it("keeps the first assignment and unescapes quotes", () => {
    const text =
      'Gem::Specification.new do |s|\n s.name = "a\\"b"\n s.name = "second"\n s.version = "1"\nend';
    expect(parseGemspec(text).name).toBe('a"b');
  });
});

describe("ruby plugin", () => {
  it("reports gems with purl and licences", async () => {
    const ctx = memoryContext();
    const path = "/usr/local/bundle/specifications/rake-13.1.0.gemspec";
    const found = await rubyPlugin.analyze([memoryFile(path, RAKE)], ctx);
    expect(found.packages).toEqual([
      {
        name: "rake",
        version: "13.1.0",
        ecosystem: "gem",
        purl: "pkg:gem/rake@13.1.0",
        source: path,
        licenses: ["MIT"],
      },
    ]);
    expect(ctx.warnings).toEqual([]);
  });

  it("warns for specs without a literal version; long hostile lines stay fast", async () => {
    const ctx = memoryContext();
    const files = [
      memoryFile(
        "/s/specifications/a.gemspec",
        'Gem::Specification.new do |s|\n  s.name = "a"\n  s.version = VERSION\nend',
      ),
      memoryFile(
        "/s/specifications/b.gemspec",
        `s.name = "${"\\".repeat(200_000)}\n s.version = '${"'".repeat(100_000)}`,
      ),
      memoryFile("/s/specifications/c.gemspec", new Uint8Array(50_000).fill(0xff)),
    ];
    const started = performance.now();
    const found = await rubyPlugin.analyze(files, ctx);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(found.packages).toEqual([]);
    expect(ctx.warnings.map((w) => w.path)).toEqual([
      "/s/specifications/a.gemspec",
      "/s/specifications/b.gemspec",
      "/s/specifications/c.gemspec",
    ]);
  });
});
