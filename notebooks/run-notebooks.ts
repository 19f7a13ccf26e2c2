// Executes every notebook headless with the tslab kernel against one results folder, writing the paper's figures and
// the report that shows them (index.html).
// Usage: node --import tsx notebooks/run-notebooks.ts --results DIR [--out paper-figures] [--jobs N] [--only figure-7,claims]
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { describeNoise, runNoise } from "./lib/claims.ts";
import { writeReport } from "./lib/report.ts";
import { readResults, type Results } from "./lib/results.ts";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..");
const jupyterPath = join(root, ".jupyter/share/jupyter");

const { values } = parseArgs({
  options: {
    results: { type: "string", default: "results/reference" },
    out: { type: "string", default: "paper-figures" },
    // Kernel start-up is most of a notebook's time and is CPU-bound, so run as many as there are cores.
    jobs: { type: "string", default: String(Math.min(4, availableParallelism())) },
    only: { type: "string" },
  },
});
const resultsDir = resolve(values.results!);
const outDir = resolve(values.out!);
const jobs = Math.max(1, Number(values.jobs));

if (!existsSync(join(resultsDir, "points.csv"))) {
  console.error(`run-notebooks: no points.csv in ${resultsDir} (choose a results folder with --results)`);
  process.exit(2);
}
if (!existsSync(join(jupyterPath, "kernels/tslab/kernel.json"))) {
  console.error(`run-notebooks: the tslab kernel is not registered under ${jupyterPath} (run make setup)`);
  process.exit(2);
}

const wanted = values.only?.split(",");
const notebooks = readdirSync(here)
  .filter((f) => f.endsWith(".ipynb") && (!wanted || wanted.includes(basename(f, ".ipynb"))))
  .sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
if (!notebooks.length) {
  console.error(`run-notebooks: no notebook matches --only ${values.only}`);
  process.exit(2);
}

const scratch = mkdtempSync(join(tmpdir(), "notebooks-"));
const env = { ...process.env, JUPYTER_PATH: jupyterPath, RESULTS_DIR: resultsDir, FIGURES_DIR: outDir };

/** Runs one notebook; resolves with its time, or the failing cell's report (printed by execute-notebook.py). */
function execute(notebook: string): Promise<{ seconds: number; error?: string }> {
  const started = Date.now();
  return new Promise((done) => {
    const child = spawn("/usr/bin/python3", [join(here, "execute-notebook.py"), join(here, notebook), join(scratch, notebook)], { env });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", (e) => done({ seconds: 0, error: `cannot start /usr/bin/python3: ${e.message}` }));
    child.on("close", (code) => done({ seconds: (Date.now() - started) / 1000, error: code === 0 ? undefined : stderr.trim() || `exit ${code}` }));
  });
}

console.log(`run-notebooks: ${notebooks.length} notebooks, results ${resultsDir} → ${outDir} (${jobs} at a time)`);
const started = Date.now();
const queue = [...notebooks];
const failed: string[] = [];
await Promise.all(
  Array.from({ length: jobs }, async () => {
    for (let nb = queue.shift(); nb; nb = queue.shift()) {
      const r = await execute(nb);
      if (r.error) {
        failed.push(nb);
        console.error(`✗ ${nb} (${r.seconds.toFixed(1)} s)\n${r.error}`);
      } else console.log(`✓ ${nb} (${r.seconds.toFixed(1)} s)`);
    }
  }),
);
rmSync(scratch, { recursive: true, force: true });
// A folder the notebooks could not read has no report and no noise to state: the failing notebook has reported why.
let results: Results | undefined;
try {
  results = readResults(resultsDir);
} catch { /* reported above */ }
// The report shows whatever figures the folder holds, marking those this run did not draw.
if (results) console.log(`run-notebooks: report: ${writeReport(results, outDir, started)}`);
// A notebook that failed leaves an earlier run's output in place: name such files so nobody takes them for this run's.
const stale = existsSync(outDir) ? readdirSync(outDir).filter((f) => statSync(join(outDir, f)).mtimeMs < started) : [];
if (stale.length) console.warn(`run-notebooks: not written by this run (older outputs): ${stale.join(", ")}`);
console.log(`run-notebooks: ${notebooks.length - failed.length} of ${notebooks.length} succeeded in ${((Date.now() - started) / 1000).toFixed(1)} s`);
// the run's noise, as the claims report's noise gate states it
if (results) console.log(`run-notebooks: noise: ${describeNoise(runNoise(results))}`);
process.exit(failed.length ? 1 : 0);
