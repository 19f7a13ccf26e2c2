// Where a notebook reads results and writes its outputs; the notebooks import this and the modules they show.
// Relative imports in notebooks/ end in ".js" (resolved to the .ts file by tsc, tsx and tslab alike): tslab's
// bundled TypeScript 5.0 rejects ".ts" import paths, so the house's ".ts" convention cannot hold in this folder.
// Notebooks import only the modules they need: tslab type-checks every imported file in every kernel, at seconds each.
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

/** The results folder: $RESULTS_DIR, else the committed reference run (paths relative to notebooks/, the kernel's cwd). */
export function resultsDir(): string {
  return resolve(process.env.RESULTS_DIR ?? "../results/reference");
}

/** Where outputs go: $FIGURES_DIR, else paper-figures/ at the top of the project. */
export function outputDir(): string {
  return resolve(process.env.FIGURES_DIR ?? "../paper-figures");
}

/** Writes a text output (Markdown, CSV) into the output folder and returns its path. */
export function writeText(outDir: string, name: string, text: string): string {
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, name), text);
  return join(outDir, name);
}
