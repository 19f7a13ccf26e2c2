// Whether a point's result depends on what ran before it: the same two points measured after different
// predecessors on one testbed, in one sequence (a benchmark of the instrument, not a test).
//
//   node --import tsx harness/bench/order-independence.ts [--warmup S] [--duration S] [--idle S] [--out DIR] [--quota F --k K]
//
// (times default to the standard profile's).
//
// The sequence starts right after set-up: userver-nb-30K-1p (first after set-up), knot-c-20K-100w-1000MB,
// userver-nb-30K-1p (after knot-c), userver-nb-30K-4p, userver-nb-30K-1p (after 4p), knot-c (after 1p), knot-c
// (after itself), all at 15,000 req/s (paper units). The testbed must be calibrated (`make calibrate`); --quota F
// takes that quota instead of a calibration's (the output says so).
import { parseArgs } from "node:util";
import { join } from "node:path";
import { CLIENT_TIMEOUT_S, PROFILES, knownLabels, type PointSpec } from "../runner/experiments.ts";
import { parseLabel } from "../runner/labels.ts";
import { RunResults } from "../runner/results.ts";
import { pause } from "../runner/run.ts";
import { REPO, openRunContext, requireCalibration, gitFacts } from "../runner/run-context.ts";

const { values: v } = parseArgs({ options: {
  warmup: { type: "string", default: String(PROFILES.standard.warmupS) }, duration: { type: "string", default: String(PROFILES.standard.durationS) },
  idle: { type: "string", default: String(PROFILES.standard.idleS) },
  rate: { type: "string", default: "15000" }, out: { type: "string" }, data: { type: "string" }, results: { type: "string" },
  quota: { type: "string" }, k: { type: "string", default: "0.6" },
} });
const log = (m: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${m}`);
const warmupS = Number(v.warmup), durationS = Number(v.duration), idleS = Number(v.idle), rate = Number(v.rate);

const SPED = "userver-nb-30K-1p", KNOTC = "knot-c-20K-100w-1000MB", SYMPED = "userver-nb-30K-4p";
/** [label, the name of its place in the sequence]; the bench's verdicts compare points of one label. */
const SEQUENCE: Array<[string, string]> = [
  [SPED, "first-after-setup"], [KNOTC, "after-setup-and-1p"], [SPED, "after-knot-c"], [SYMPED, "after-1p"],
  [SPED, "after-4p"], [KNOTC, "after-1p"], [KNOTC, "after-knot-c"],
];

const resultsRoot = v.results ?? join(REPO, "results");
const stamp = new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
const results = new RunResults(v.out ?? join(REPO, "work-data", `bench-order-${stamp}`), `bench-order-${stamp}`);
const session = await openRunContext({ resultsRoot, dataDir: v.data ?? join(REPO, "work-data"), dirs: 680, seed: 1,
  loadgensPerClient: 1, prewarm: true, keepPerf: false, log });
const rows: Array<Record<string, string | number | null>> = [];
try {
  const given = v.quota === undefined ? null : Number(v.quota);
  const cal = given === null ? requireCalibration(session.bed, resultsRoot, false)! : { quota: given, k: Number(v.k), given: true };
  if (given !== null) log(`quota ${given} given with --quota (not a calibration), k = ${cal.k}`);
  await session.bed.setQuota(cal.quota);
  await session.bed.scaleDisk(cal.k);
  results.writeRun({ bench: "order-independence", ...(await gitFacts()), k: cal.k, quota: cal.quota, warmupS, durationS, idleS, rate,
    sequence: SEQUENCE, page_cache: session.cacheRule });
  const env = session.pointEnv(results.runId, cal.k);
  const exec = session.executor(env);
  const never = new AbortController().signal;
  for (const [i, [label, place]] of SEQUENCE.entries()) {
    const spec: PointSpec = { id: `order__${label}__${rate}__${i + 1}-${place}`, figure: "order", config: parseLabel(label, knownLabels()),
      offeredRate: rate, perf: false };
    log(`point ${i + 1}/${SEQUENCE.length}: ${label} @ ${rate} (${place})`);
    const out = await exec({ spec, rawDir: results.freshRawDir(spec.id), warmupS, durationS, verifyBytes: false, clientTimeoutS: CLIENT_TIMEOUT_S });
    results.appendPoint(out.row);
    rows.push({ place, ...out.row });
    log(`  → ${out.row.verdict}: ${Math.round(Number(out.row.throughput_mbps))} Mbit/s, iowait ${Number(out.row.iowait_pct).toFixed(1)}%, ` +
      `disk ${Number(out.row.disk_util_pct).toFixed(0)}% busy`);
    if (i < SEQUENCE.length - 1) await pause(idleS, never);
  }
} finally {
  await session.close();
}

// One line per point, then the spread of each label's points (what the instrument must keep small).
const cols = ["series", "place", "verdict", "throughput_mbps", "reply_rate", "iowait_pct", "disk_util_pct", "disk_reads", "page_cache_kb",
  "misses_per_request", "misses_per_request_h1", "misses_per_request_h2", "distinct_files", "page_cache_prepared_kb"];
console.log(cols.join("\t"));
const cell = (x: unknown) => (typeof x === "number" ? Number(x.toPrecision(4)) : x ?? "");
for (const r of rows) console.log(cols.map((c) => cell(r[c])).join("\t"));
// a steady page cache misses as often in the window's second half as in its first
for (const r of rows) {
  const h1 = Number(r.misses_per_request_h1), h2 = Number(r.misses_per_request_h2);
  if (h1 > 0 && h2 > 0) console.log(`${r.series} ${r.place}: misses per request ${cell(h1)} then ${cell(h2)} (${(100 * (h2 / h1 - 1)).toFixed(0)}%)`);
}
for (const label of [SPED, KNOTC]) {
  const mine = rows.filter((r) => r.series === label);
  const tp = mine.map((r) => Number(r.throughput_mbps)), io = mine.map((r) => Number(r.iowait_pct));
  const spread = (xs: number[]) => Math.max(...xs) - Math.min(...xs);
  console.log(`${label}: throughput ${tp.map((x) => x.toFixed(0)).join(" / ")} Mbit/s (spread ${(100 * spread(tp) / Math.min(...tp)).toFixed(1)}% of the lowest), ` +
    `iowait ${io.map((x) => x.toFixed(1)).join(" / ")}% (spread ${spread(io).toFixed(1)} points)`);
}
console.log(`results: ${results.dir}`);
