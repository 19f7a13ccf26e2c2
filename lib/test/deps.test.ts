// The project's imports run one way: no forbidden import anywhere, no import cycle among the files of servers/,
// lib/ and harness/; and the cycle finder itself on small graphs.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { cycles, forbiddenImports, tsImportGraph, type Graph } from "../deps.ts";

const graph = (edges: Record<string, string[]>): Graph => new Map(Object.entries(edges).map(([k, v]) => [k, new Set(v)]));

test("cycles: none in a chain, one per strongly connected component", () => {
  assert.equal(cycles(graph({ a: ["b"], b: ["c"], c: [] })), []);
  assert.equal(cycles(graph({ a: ["b"], b: ["a", "c"], c: ["d"], d: ["c"], e: ["a"] })), [["c", "d"], ["a", "b"]]);
  assert.equal(cycles(graph({ a: ["x"] })), []); // an edge out of the graph is no cycle
});

test("forbiddenImports names a servers → harness import and lets harness → lib pass", () => {
  const g = graph({ "servers/test/lib.ts": ["harness/lib/procfs.ts"], "harness/a.ts": ["lib/procfs.ts"] });
  assert.equal(forbiddenImports(g), ["servers/test/lib.ts → harness/lib/procfs.ts"]);
});

const project = tsImportGraph();

test("no file imports from a part it must not know (servers: harness, env; lib: any part)", () => {
  assert.ok(project.has("servers/test/conformance.ts") && project.has("lib/fileset.ts"), "the graph read the tree");
  assert.equal(forbiddenImports(project), []);
});

test("no import cycle among the files of servers/, lib/ and harness/", () => {
  const own = new Map([...project].filter(([f]) => /^(servers|lib|harness)\//.test(f)));
  assert.equal(cycles(own), []);
});

test.run();
