// Whether a point's result depends on what ran before it: the same two points measured after different
// predecessors on one testbed, in one sequence (a benchmark of the instrument, not a test).
//
//   node --import tsx harness/bench/order-independence.ts [--warmup S] [--duration S] [--idle S] [--out DIR] [--quota F --k K]
//                                                          [--sequence LABEL,LABEL,…] [--trials N]
//
// (times default to the standard profile's; --sequence runs other labels in the given order instead). --trials N runs
// the whole sequence N times, each on a testbed brought up afresh, so that a place's points can be set against the
// noise of the same place: one point per place cannot tell an effect of order from chance.
//
// The sequence starts right after set-up: userver-nb-30K-1p (first after set-up), knot-c-20K-100w-1000MB,
// userver-nb-30K-1p (after knot-c), userver-nb-30K-4p, userver-nb-30K-1p (after 4p), knot-c (after 1p), knot-c
// (after itself), all at 15,000 req/s (paper units). The testbed must be calibrated (`make calibrate`); --quota F
// takes that quota instead of a calibration's (the output says so).
import { parseArgs } from "node:util";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CLIENT_TIMEOUT_S, PROFILES, knownLabels, type PointSpec } from "../runner/experiments.ts";
import { parseLabel } from "../runner/labels.ts";
import { RunResults } from "../runner/results.ts";
import { installInterrupt, pause } from "../runner/run.ts";
import { REPO, openRunContext, requireCalibration, gitFacts } from "../runner/run-context.ts";
import { machineIdentity } from "../lib/machine.ts";
import { sumBySecond } from "../lib/window.ts";

const { values: v } = parseArgs({ options: {
  warmup: { type: "string", default: String(PROFILES.standard.warmupS) }, duration: { type: "string", default: String(PROFILES.standard.durationS) },
  idle: { type: "string", default: String(PROFILES.standard.idleS) },
  rate: { type: "string", default: "15000" }, out: { type: "string" }, data: { type: "string" }, results: { type: "string" },
  quota: { type: "string" }, k: { type: "string", default: "0.6" }, sequence: { type: "string" },
  trials: { type: "string", default: "1" },
} });
const log = (m: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${m}`);
const warmupS = Number(v.warmup), durationS = Number(v.duration), idleS = Number(v.idle), rate = Number(v.rate);
const trials = Number(v.trials);
if (!Number.isInteger(trials) || trials < 1) throw new Error(`--trials must be a positive integer; got ${v.trials}`);

const SPED = "userver-nb-30K-1p", KNOTC = "knot-c-20K-100w-1000MB", SYMPED = "userver-nb-30K-4p";
/** [label, the name of its place in the sequence]; the bench's verdicts compare points of one label. */
const SEQUENCE: Array<[string, string]> = v.sequence
  ? v.sequence.split(",").map((label, i, all) => [label, i === 0 ? "first-after-setup" : `after-${all[i - 1]}`])
  : [[SPED, "first-after-setup"], [KNOTC, "after-setup-and-1p"], [SPED, "after-knot-c"], [SYMPED, "after-1p"],
     [SPED, "after-4p"], [KNOTC, "after-1p"], [KNOTC, "after-knot-c"]];
for (const [label] of SEQUENCE) parseLabel(label, knownLabels()); // an unknown label is refused before the testbed is touched

/** Replies completed in each second of the run, summed over the point's load generators (raw/<point>/window.json). */
function repliesPerSecond(windowJson: string): number[] {
  const gens = JSON.parse(readFileSync(windowJson, "utf8")) as Array<{ repliesPerSecond?: number[] }>;
  return sumBySecond(gens.map((g) => g.repliesPerSecond ?? []));
}

const resultsRoot = v.results ?? join(REPO, "results");
const stamp = new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
const results = new RunResults(v.out ?? join(REPO, "work-data", `bench-order-${stamp}`), `bench-order-${stamp}`);
const rows: Array<Record<string, string | number | null>> = [];
const interrupt = new AbortController();
const uninstall = installInterrupt(interrupt, log); // Ctrl-C ends the point's processes and brings the testbed down
try {
  for (let trial = 1; trial <= trials && !interrupt.signal.aborted; trial++) {
    // each trial brings the testbed up afresh: its first point is again the first after set-up
    const session = await openRunContext({ resultsRoot, dataDir: v.data ?? join(REPO, "work-data"), dirs: 680, seed: 1,
      loadgensPerClient: 1, prewarm: true, keepPerf: false, log });
    try {
      const given = v.quota === undefined ? null : Number(v.quota);
      const cal = given === null ? requireCalibration(session.bed, resultsRoot, false)! : { quota: given, k: Number(v.k), given: true };
      if (given !== null) log(`quota ${given} given with --quota (not a calibration), k = ${cal.k}`);
      await session.bed.setQuota(cal.quota);
      await session.bed.scaleDisk(cal.k);
      if (trial === 1) {
        results.writeRun({ bench: "order-independence", ...(await gitFacts()), machine: machineIdentity(), k: cal.k, quota: cal.quota,
          warmupS, durationS, idleS, rate, trials, sequence: SEQUENCE, page_cache: session.cacheRule });
      }
      const env = session.pointEnv(results.runId, cal.k);
      const exec = session.executor(env);
      for (const [i, [label, place]] of SEQUENCE.entries()) {
        if (interrupt.signal.aborted) break;
        const spec: PointSpec = { id: `order__${label}__${rate}__${i + 1}-${place}__t${trial}`, figure: "order",
          config: parseLabel(label, knownLabels()), offeredRate: rate, perf: false };
        log(`trial ${trial}/${trials}, point ${i + 1}/${SEQUENCE.length}: ${label} @ ${rate} (${place})`);
        const rawDir = results.freshRawDir(spec.id);
        const out = await exec({ spec, rawDir, warmupS, durationS, verifyBytes: false, clientTimeoutS: CLIENT_TIMEOUT_S });
        results.appendPoint({ ...out.row, trial });
        rows.push({ place, trial, ...out.row });
        log(`  replies/s (testbed) by second: ${repliesPerSecond(join(rawDir, "window.json")).join(" ")}`);
        log(`  → ${out.row.verdict}: ${Math.round(Number(out.row.throughput_mbps))} Mbit/s, iowait ${Number(out.row.iowait_pct).toFixed(1)}%, ` +
          `disk ${Number(out.row.disk_util_pct).toFixed(0)}% busy`);
        if (i < SEQUENCE.length - 1) await pause(idleS, interrupt.signal);
      }
    } finally {
      await session.close();
    }
  }
} finally {
  uninstall();
}

// One line per point, then each label's points by place (what the instrument must keep small) and in all.
const cols = ["series", "place", "trial", "verdict", "throughput_mbps", "reply_rate", "reply_rate_h1", "reply_rate_h2", "server_cpu_pct",
  "iowait_pct", "disk_util_pct", "disk_reads", "page_cache_kb", "misses_per_request", "misses_per_request_h1", "misses_per_request_h2",
  "distinct_files", "page_cache_prepared_kb"];
console.log(cols.join("\t"));
const cell = (x: unknown) => (typeof x === "number" ? Number(x.toPrecision(4)) : x ?? "");
for (const r of rows) console.log(cols.map((c) => cell(r[c])).join("\t"));
// a steady page cache misses as often in the window's second half as in its first
for (const r of rows) {
  const h1 = Number(r.misses_per_request_h1), h2 = Number(r.misses_per_request_h2);
  if (h1 > 0 && h2 > 0) console.log(`${r.series} ${r.place} t${r.trial}: misses per request ${cell(h1)} then ${cell(h2)} (${(100 * (h2 / h1 - 1)).toFixed(0)}%)`);
}
const spread = (xs: number[]) => Math.max(...xs) - Math.min(...xs);
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const describe = (mine: typeof rows) => {
  const tp = mine.map((r) => Number(r.throughput_mbps)), io = mine.map((r) => Number(r.iowait_pct));
  return `throughput ${tp.map((x) => x.toFixed(0)).join(" / ")} Mbit/s (median ${median(tp).toFixed(0)}, spread ${(100 * spread(tp) / Math.min(...tp)).toFixed(1)}% ` +
    `of the lowest), iowait ${io.map((x) => x.toFixed(1)).join(" / ")}% (median ${median(io).toFixed(1)}, spread ${spread(io).toFixed(1)} points)`;
};
for (const label of new Set(SEQUENCE.map(([l]) => l))) {
  const mine = rows.filter((r) => r.series === label);
  if (mine.length < 2) continue;
  for (const place of new Set(mine.map((r) => String(r.place)))) {
    if (trials > 1) console.log(`${label} ${place}: ${describe(mine.filter((r) => r.place === place))}`);
  }
  if (trials === 1) console.log(`${label}: ${describe(mine)}`);
  else {
    // the medians of the places: order matters only if they differ by more than a place's own spread
    const med = [...new Set(mine.map((r) => String(r.place)))].map((p) => median(mine.filter((r) => r.place === p).map((r) => Number(r.throughput_mbps))));
    console.log(`${label}: medians by place ${med.map((x) => x.toFixed(0)).join(" / ")} Mbit/s (spread ${(100 * spread(med) / Math.min(...med)).toFixed(1)}% of the lowest)`);
  }
}
console.log(`results: ${results.dir}`);
