// Benchmark (not a test): watpipe with 5, 25 and 50 writers against userver-nb-1p at saturation, each on the
// server host's one core under the same CPU quota (harness/bench/ramp.ts, the runner's own point executor).
//
// usage: node --import tsx harness/bench/watpipe-vs-userver.ts RAMP_FLAGS (see ramp.ts; --dry-run prints the plan)
// Prints each configuration's peak reply rate (paper units), its ratio to userver-nb-30K-1p, and how evenly the
// writers shared the jobs at the peak (the paper blames an uneven distribution for needing 25 writers, §7).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pointId } from "../runner/experiments.ts";
import { rampFromArgs } from "./ramp.ts";

const BASELINE = "userver-nb-30K-1p";
const result = await rampFromArgs(["watpipe-20K-5p", "watpipe-20K-25p", "watpipe-20K-50p", BASELINE], { perf: false });

/** Coefficient of variation of the per-writer job counts in the last stats line of a point's server, or null. */
function writerSpread(rawDir: string): number | null {
  const out = join(rawDir, "server.stdout");
  if (!existsSync(out)) return null;
  const stats = readFileSync(out, "utf8").split("\n").filter((l) => l.includes('"writer_jobs"')).map((l) => JSON.parse(l));
  const jobs: number[] | undefined = stats.at(-1)?.writer_jobs;
  if (!jobs?.length) return null;
  const mean = jobs.reduce((a, b) => a + b, 0) / jobs.length;
  const sd = Math.sqrt(jobs.reduce((a, b) => a + (b - mean) ** 2, 0) / jobs.length);
  return mean > 0 ? sd / mean : null;
}

if (result) {
  const rate = (p: (typeof result.peaks)[number]) => Number(p.best?.row.reply_rate ?? NaN);
  const baseline = result.peaks.find((p) => p.label === BASELINE);
  const base = baseline ? rate(baseline) : NaN;
  console.log(`\n| configuration | peak replies/s | at offered req/s | Mbit/s | vs ${BASELINE} | writer jobs CV | verdict |`);
  console.log("|---|---|---|---|---|---|---|");
  for (const p of result.peaks) {
    const b = p.best;
    const cv = b && p.label.startsWith("watpipe") ? writerSpread(join(result.outDir, pointId("bench", p.label, b.offered))) : null;
    console.log(`| ${p.label} | ${rate(p).toFixed(0)} | ${b?.offered ?? "-"} | ${Number(b?.row.throughput_mbps ?? NaN).toFixed(0)} | ` +
      `${(rate(p) / base).toFixed(2)} | ${cv === null ? "-" : cv.toFixed(2)} | ${b?.row.verdict ?? "-"} |`);
  }
  console.log(`\n(paper units; testbed ${result.testbed}, quota ${result.quota ?? "none"}, k = ${result.k}; raw points in ${result.outDir})`);
}
