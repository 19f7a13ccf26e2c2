// What the notebooks import: the library's public API and where a notebook reads results and writes its outputs.
// Relative imports in notebooks/lib end in ".js" (resolved to the .ts file by tsc, tsx and tslab alike): tslab's
// bundled TypeScript 5.0 rejects ".ts" import paths, so the house's ".ts" convention cannot hold in this folder.
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

export { claimsMarkdown, evaluateClaims, type ClaimResult } from "./claims.js";
export { figure, captionLines, type Figure } from "./figures.js";
export { PAPER_VALUES, TABLE1, CLAIMS } from "./paper.js";
export { renderSvg, writeFigure } from "./render.js";
export { readResults, type Results } from "./results.js";
export { table1Comparison, table1Csv, table1Markdown } from "./table1.js";

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
