/**
 * The tree's rules, read from the code's own imports: worker/ (workerd) and aws-backend/ (AWS and
 * its local stand-in) never import each other or tools/; shared/ imports neither side; no route
 * imports another route; product code never reaches outside the repository (../shared is the
 * team kit, not product code).
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === "node_modules" || e.name === "cdk.out" ? [] : sourceFiles(path);
    return e.name.endsWith(".ts") ? [path] : [];
  });
}

/** Relative imports of a file, as paths from the repository root. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(root, file), "utf8");
  const specs = [...text.matchAll(/(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g)].map((m) => m[1]!);
  return specs.map((s) => relative(root, resolve(root, dirname(file), s)));
}

const edges = ["worker", "aws-backend", "shared", "tools"].flatMap(sourceFiles).flatMap((file) => importsOf(file).map((to) => ({ from: file, to })));
const crossing = (from: string, to: string[]) =>
  edges.filter((e) => e.from.startsWith(`${from}/`) && to.some((t) => e.to.startsWith(`${t}/`))).map((e) => `${e.from} -> ${e.to}`);

describe("the tree's import rules", () => {
  it("reads a real import graph", () => {
    expect(edges.length).toBeGreaterThan(100);
    expect(edges).toContainEqual({ from: "worker/app.ts", to: "worker/routes/analyze-sync.ts" });
  });

  it("keeps worker/ and aws-backend/ apart, and both out of tools/", () => {
    expect(crossing("worker", ["aws-backend", "tools"])).toEqual([]);
    expect(crossing("aws-backend", ["worker", "tools"])).toEqual([]);
  });

  it("keeps shared/ free of either side", () => {
    expect(crossing("shared", ["worker", "aws-backend", "tools"])).toEqual([]);
  });

  it("has no route importing another route", () => {
    const routeFiles = sourceFiles("worker/routes").filter((f) => !f.endsWith("/contract.ts"));
    const between = edges.filter((e) => routeFiles.includes(e.from) && routeFiles.includes(e.to));
    expect(between.map((e) => `${e.from} -> ${e.to}`)).toEqual([]);
  });

  it("never imports from outside the repository", () => {
    expect(edges.filter((e) => e.to.startsWith("..")).map((e) => `${e.from} -> ${e.to}`)).toEqual([]);
  });
});
