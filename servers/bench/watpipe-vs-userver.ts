// Benchmark (not a test): watpipe with 5, 25 and 50 writers against userver-nb-1p at saturation, each on the
// server host's one core under the same CPU quota, driven by the runner's own point executor; prints peak rates.
//
// usage: node --import tsx servers/bench/watpipe-vs-userver.ts [--hosts env/hosts/F.json] [--rates 5000,10000,…]
//          [--duration 20] [--warmup 5] [--idle 5] [--dirs 20] [--k K] [--quota Q] [--uncalibrated] [--dry-run]
//          [--labels L,…]  (default: watpipe-20K-5p,watpipe-20K-25p,watpipe-20K-50p,userver-nb-30K-1p)
// Rates are in paper units (the runner scales them by k). The default file set (20 directories, ~95 MB) fits in
// memory, so the comparison is of CPU cost at saturation, not of disk behaviour. The quota is the calibration's
// (results/calibration.json) unless --quota is given; the loopback testbed has no quota (its results say so).
import { parseArgs } from "node:util";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { openSession, readCalibration, chooseK, REPO } from "../../harness/runner/session.ts";
import { runPoint } from "../../harness/runner/point.ts";
import { parseLabel } from "../../harness/runner/labels.ts";
import { CLIENT_TIMEOUT_S, knownLabels, pointId } from "../../harness/runner/experiments.ts";
import { stopAll } from "../../harness/lib/proc.ts";
import { loadConfig, status } from "../../env/lib/testbed.ts";

const BASELINE = "userver-nb-30K-1p";

const { values: v } = parseArgs({
  options: {
    hosts: { type: "string" }, rates: { type: "string" }, duration: { type: "string" }, warmup: { type: "string" },
    idle: { type: "string" }, dirs: { type: "string" }, k: { type: "string" }, quota: { type: "string" },
    uncalibrated: { type: "boolean" }, "dry-run": { type: "boolean" }, labels: { type: "string" },
  },
});
const LABELS = (v.labels ?? `watpipe-20K-5p,watpipe-20K-25p,watpipe-20K-50p,${BASELINE}`).split(",");
const num = (name: keyof typeof v, fallback: number) => {
  const x = v[name];
  if (x === undefined) return fallback;
  const n = Number(x);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got "${x}"`);
  return n;
};
const rates = (v.rates ?? "5000,10000,12500,15000,17500,20000,25000,30000").split(",").map(Number).sort((a, b) => a - b);
const durationS = num("duration", 20), warmupS = num("warmup", 5), idleS = num("idle", 5), dirs = num("dirs", 20);
const log = (m: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${m}`);

if (v["dry-run"]) {
  const perPoint = warmupS + durationS + idleS + 5;
  console.log(`${LABELS.join(", ")} at ${rates.join(", ")} req/s (paper units), ${warmupS}+${durationS} s points`);
  console.log(`at most ${LABELS.length * rates.length} points ≈ ${Math.ceil((LABELS.length * rates.length * perPoint) / 60)} min (a ramp stops once past saturation)`);
  process.exit(0);
}

const resultsRoot = join(REPO, "results");
const dataDir = join(REPO, "work-data");
const cal = readCalibration(resultsRoot);
if (!cal && !v.uncalibrated && v.quota === undefined) throw new Error("no results/calibration.json: run `make calibrate`, or pass --quota Q or --uncalibrated");
const k = chooseK(v.k === undefined ? undefined : num("k", 0.5), cal);
// A testbed that was already up (someone else's run) is left up afterwards.
const wasUp = (await status(loadConfig(v.hosts))).up;
const session = await openSession({ hosts: v.hosts, resultsRoot, dataDir, dirs, seed: 1, loadgensPerClient: 1, evictCache: false, keepPerf: false, log });
const runId = `bench-${new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15)}`;
const outDir = join(dataDir, "bench", runId);

interface Peak { label: string; replyRate: number; offered: number; mbps: number; verdict: string; points: Array<Record<string, unknown>> }
const peaks: Peak[] = [];
try {
  const quota = session.bed.kind === "loopback" ? 1 : v.quota !== undefined ? num("quota", 1) : (cal?.quota ?? session.bed.quota);
  if (session.bed.kind !== "loopback") await session.bed.setQuota(quota);
  log(`testbed ${session.bed.kind}, quota ${session.bed.kind === "loopback" ? "none" : quota} of a core, k = ${k}`);
  const env = session.pointEnv(runId, k);
  for (const label of LABELS) {
    const config = parseLabel(label, knownLabels());
    const peak: Peak = { label, replyRate: 0, offered: 0, mbps: 0, verdict: "", points: [] };
    let below = 0;
    for (const rate of rates) {
      const spec = { id: pointId("bench", label, rate), figure: "bench", config, offeredRate: rate, perf: false };
      const rawDir = join(outDir, spec.id);
      mkdirSync(rawDir, { recursive: true });
      const { row } = await runPoint(env, { spec, rawDir, warmupS, durationS, verifyBytes: false, clientTimeoutS: CLIENT_TIMEOUT_S });
      const replyRate = Number(row.reply_rate);
      peak.points.push({ offered: rate, reply_rate: replyRate, mbps: Number(row.throughput_mbps), verdict: row.verdict, reason: row.verdict_reason });
      log(`${label} @ ${rate}: ${replyRate.toFixed(0)} replies/s, ${Number(row.throughput_mbps).toFixed(0)} Mbit/s, ${row.verdict}`);
      if (replyRate > peak.replyRate) {
        Object.assign(peak, { replyRate, offered: rate, mbps: Number(row.throughput_mbps), verdict: String(row.verdict) });
        below = 0;
      } else if (++below === 2) {
        break; // two rates past the best: saturated
      }
      await new Promise((r) => setTimeout(r, idleS * 1000));
    }
    peaks.push(peak);
  }
} finally {
  if (wasUp) await stopAll();
  else await session.close();
}

const base = peaks.find((p) => p.label === BASELINE)?.replyRate ?? NaN;
console.log(`\n| configuration | peak replies/s | at offered req/s | Mbit/s | vs ${BASELINE} | verdict at peak |`);
console.log("|---|---|---|---|---|---|");
for (const p of peaks) {
  console.log(`| ${p.label} | ${p.replyRate.toFixed(0)} | ${p.offered} | ${p.mbps.toFixed(0)} | ${(p.replyRate / base).toFixed(2)} | ${p.verdict} |`);
}
console.log(`\n(paper units; testbed ${session.bed.kind}, k = ${k}; raw points in ${outDir})`);
writeFileSync(join(outDir, "summary.json"), JSON.stringify({ runId, k, testbed: session.bed.kind, peaks }, null, 2) + "\n");
