// Shared by the servers' benchmark scripts (not tests): runs each configuration label at rising offered rates with
// the runner's own point executor until it is past saturation, on the testbed's one server core and CPU quota.
import { parseArgs } from "node:util";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { openRunContext, readCalibration, chooseK, REPO } from "../runner/run-context.ts";
import { parseLabel } from "../runner/labels.ts";
import { CLIENT_TIMEOUT_S, knownLabels, pointId } from "../runner/experiments.ts";
import { stopAll } from "../lib/proc.ts";
import { installInterrupt } from "../runner/run.ts";
import { loadConfig, status } from "../../env/lib/testbed.ts";
import type { PointRow, ProfileCsvRow } from "../runner/results.ts";

export const RAMP_USAGE = `[--hosts env/hosts/F.json] [--rates 5000,10000,…] [--duration 20] [--warmup 5] [--idle 5]
          [--dirs 20] [--k K] [--quota Q] [--uncalibrated] [--dry-run] [--labels L,…]`;

export interface RampPoint { offered: number; row: PointRow; profile: ProfileCsvRow[] }
export interface Peak { label: string; best: RampPoint | undefined; points: RampPoint[] }
export interface RampResult { runId: string; k: number; testbed: string; quota: number | null; outDir: string; peaks: Peak[] }

/** Parses the common flags, then ramps every label (default: `defaultLabels`); `perf` profiles every point. */
export async function rampFromArgs(defaultLabels: string[], opts: { perf: boolean }): Promise<RampResult | null> {
  const { values: v } = parseArgs({
    options: {
      hosts: { type: "string" }, rates: { type: "string" }, duration: { type: "string" }, warmup: { type: "string" },
      idle: { type: "string" }, dirs: { type: "string" }, k: { type: "string" }, quota: { type: "string" },
      uncalibrated: { type: "boolean" }, "dry-run": { type: "boolean" }, labels: { type: "string" },
    },
  });
  const labels = v.labels ? v.labels.split(",") : defaultLabels;
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
    console.log(`${labels.join(", ")} at ${rates.join(", ")} req/s (paper units), ${warmupS}+${durationS} s points`);
    console.log(`at most ${labels.length * rates.length} points ≈ ${Math.ceil((labels.length * rates.length * perPoint) / 60)} min (a ramp stops once past saturation)`);
    return null;
  }

  const resultsRoot = join(REPO, "results");
  const dataDir = join(REPO, "work-data");
  const cal = readCalibration(resultsRoot);
  if (!cal && !v.uncalibrated && v.quota === undefined) throw new Error("no results/calibration.json: run `make calibrate`, or pass --quota Q or --uncalibrated");
  const k = chooseK(v.k === undefined ? undefined : num("k", 0.5), cal);
  // A testbed that was already up (someone else's run) is left up afterwards.
  const wasUp = (await status(loadConfig(v.hosts))).up;
  const session = await openRunContext({ hosts: v.hosts, resultsRoot, dataDir, dirs, seed: 1, loadgensPerClient: 1, prewarm: false, keepPerf: false, log });
  const runId = `bench-${new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15)}`;
  const outDir = join(dataDir, "bench", runId);
  const peaks: Peak[] = [];
  let quota: number | null = null;
  const ctl = new AbortController(); // Ctrl-C: the point in progress is stopped, its processes ended, the testbed closed
  const uninstall = installInterrupt(ctl, log);
  try {
    if (session.bed.kind !== "loopback") {
      quota = v.quota !== undefined ? num("quota", 1) : (cal?.quota ?? session.bed.quota);
      await session.bed.setQuota(quota);
    }
    log(`testbed ${session.bed.kind}, quota ${quota ?? "none"} of a core, k = ${k}`);
    // the runner's executor: each point draws its own workload (the bare point environment has none) and page cache
    const execute = session.executor(session.pointEnv(runId, k));
    for (const label of labels) {
      const config = parseLabel(label, knownLabels());
      const peak: Peak = { label, best: undefined, points: [] };
      let below = 0;
      for (const rate of rates) {
        if (ctl.signal.aborted) break;
        const spec = { id: pointId("bench", label, rate), figure: "bench", config, offeredRate: rate, perf: opts.perf };
        const rawDir = join(outDir, spec.id);
        mkdirSync(rawDir, { recursive: true });
        const { row, profile } = await execute({ spec, rawDir, warmupS, durationS, verifyBytes: false, clientTimeoutS: CLIENT_TIMEOUT_S });
        const point = { offered: rate, row, profile };
        peak.points.push(point);
        log(`${label} @ ${rate}: ${Number(row.reply_rate).toFixed(0)} replies/s, ${Number(row.throughput_mbps).toFixed(0)} Mbit/s, ${row.verdict}`);
        if (!peak.best || Number(row.reply_rate) > Number(peak.best.row.reply_rate)) {
          peak.best = point;
          below = 0;
        } else if (++below === 2) {
          break; // two rates past the best: saturated
        }
        await new Promise((r) => setTimeout(r, idleS * 1000));
      }
      peaks.push(peak);
      if (ctl.signal.aborted) break;
    }
  } finally {
    uninstall();
    if (wasUp) await stopAll();
    else await session.close();
  }
  const result = { runId, k, testbed: session.bed.kind, quota, outDir, peaks };
  writeFileSync(join(outDir, "summary.json"), JSON.stringify(result, null, 2) + "\n");
  return result;
}
