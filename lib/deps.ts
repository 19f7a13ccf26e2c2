// The dependency graph between the project's files, to check that it runs one way: TypeScript imports (static and
// dynamic, relative specifiers) and, for C, which object file calls a function another one defines (from `nm`).
// Usage: node --import tsx lib/deps.ts [OBJ_DIR...]   prints the import rules broken and every cycle; exit 1 if any.
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** file → the files it depends on (paths relative to the root the graph was read from). */
export type Graph = Map<string, Set<string>>;

const SKIP = new Set(["node_modules", ".git", ".jupyter", "results"]);

function tsFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (SKIP.has(name)) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) tsFiles(p, out);
    else if (name.endsWith(".ts")) out.push(p);
  }
  return out;
}

/** Every relative import of every .ts file below `root`: `import … from "./x.ts"`, `export … from`, `import("…")`. */
export function tsImportGraph(root = REPO): Graph {
  const graph: Graph = new Map();
  const spec = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)["'](\.{1,2}\/[^"']+)["']/gm;
  for (const file of tsFiles(root)) {
    const deps = new Set<string>();
    for (const m of readFileSync(file, "utf8").matchAll(spec)) deps.add(relative(root, resolve(dirname(file), m[1])));
    graph.set(relative(root, file), deps);
  }
  return graph;
}

/** For the object files in `objDir` (one program's): which file calls a function or uses a variable that another
 *  one defines. Objects named like the build's (`userver_loop.o`) stand for their sources. */
export function cObjectGraph(objDir: string): Graph {
  const objs = readdirSync(objDir).filter((f) => f.endsWith(".o"));
  const defines = new Map<string, string>(), uses = new Map<string, string[]>();
  for (const o of objs) {
    const used: string[] = [];
    for (const line of execFileSync("nm", ["-P", join(objDir, o)], { encoding: "utf8" }).split("\n")) {
      const [sym, type] = line.split(" ");
      if (!sym || !type) continue;
      if (type === "U") used.push(sym);
      else if (/^[TDBRVW]$/.test(type)) defines.set(sym, o);
    }
    uses.set(o, used);
  }
  const graph: Graph = new Map();
  for (const [o, used] of uses) {
    const deps = new Set<string>();
    for (const sym of used) {
      const d = defines.get(sym);
      if (d && d !== o) deps.add(d);
    }
    graph.set(o, deps);
  }
  return graph;
}

/** The cycles of a graph, one per strongly connected component of more than one file (Tarjan's algorithm). */
export function cycles(graph: Graph): string[][] {
  let next = 0;
  const index = new Map<string, number>(), low = new Map<string, number>(), stack: string[] = [], on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue; // an import of a file outside the graph (a missing one fails elsewhere)
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

/** The folders a top-level folder may not import from: servers know nothing of the harness or the testbed, lib/
 *  (shared by all) of no part, and env → harness → results → notebooks run one way. */
export const FORBIDDEN: Record<string, string[]> = {
  servers: ["harness", "env", "results", "notebooks"],
  lib: ["servers", "harness", "env", "results", "notebooks"],
  env: ["harness", "results", "notebooks"],
  harness: ["results", "notebooks"],
};

/** "a.ts → b.ts" for every import that breaks FORBIDDEN. */
export function forbiddenImports(graph: Graph): string[] {
  const top = (p: string) => p.split("/")[0];
  const bad: string[] = [];
  for (const [file, deps] of graph)
    for (const d of deps) if (FORBIDDEN[top(file)]?.includes(top(d))) bad.push(`${file} → ${d}`);
  return bad;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const ts = tsImportGraph();
  const problems = [...forbiddenImports(ts).map((b) => `forbidden import: ${b}`),
    ...cycles(ts).map((c) => `import cycle: ${c.join(" ↔ ")}`)];
  for (const dir of process.argv.slice(2))
    problems.push(...cycles(cObjectGraph(dir)).map((c) => `call cycle in ${dir}: ${c.join(" ↔ ")}`));
  console.log(problems.length ? problems.join("\n") : `no forbidden imports, no cycles (${ts.size} TypeScript files)`);
  process.exit(problems.length ? 1 : 0);
}
