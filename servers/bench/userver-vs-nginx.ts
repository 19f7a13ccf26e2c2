// Benchmark (not a test): userver-nb-1p (SPED, epoll, non-blocking sendfile) against nginx (1 worker, sendfile,
// epoll) on the same file set, session logs and testbed, the server on one core under the same CPU quota, at rising
// offered rates until each saturates; prints both peak throughputs and their ratio (target: userver ≥ 0.9 × nginx).
// Every point is a runner point (harness/runner/point.ts), verified the way the experiments' points are.
//
//   node --import tsx servers/bench/userver-vs-nginx.ts [--smoke] [--hosts env/hosts/FILE.json] [--quota F] [--k K]
//        [--rates 6000,9000,…] [--warmup S] [--duration S] [--dirs N] [--out FILE.json]
//
// Rates are in paper units (requests/s, scaled by k on the testbed). --dirs defaults to 100 directories (≈ 480 MB),
// which fits the server's memory, so that the comparison is of CPU cost, not of disk I/O. A server is driven to
// higher rates until its throughput has fallen below its best for two rates in a row. --smoke: the loopback
// testbed (no quota), one low rate, seconds-long points, 10 directories: checks that the script runs, measures nothing.
// Beside throughput it reports replies per CPU-second of the server (testbed units), which compares the two servers'
// cost per reply even at rates below saturation or where the client, not the server, limits the load.
import { parseArgs } from "node:util";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { openSession, readCalibration, chooseK, REPO } from "../../harness/runner/session.ts";
import { parseLabel } from "../../harness/runner/labels.ts";
import { CLIENT_TIMEOUT_S } from "../../harness/runner/experiments.ts";
import type { PointRow } from "../../harness/runner/results.ts";

const { values: v } = parseArgs({
  options: {
    smoke: { type: "boolean" }, hosts: { type: "string" }, quota: { type: "string" }, k: { type: "string" },
    rates: { type: "string" }, warmup: { type: "string" }, duration: { type: "string" }, dirs: { type: "string" },
    out: { type: "string" },
  },
});
const smoke = !!v.smoke;
const num = (x: string | undefined, dflt: number) => (x === undefined ? dflt : Number(x));
const LABELS = ["userver-nb-30K-1p-epoll", "nginx-1w"];
const rates = (v.rates ?? (smoke ? "3000" : "6000,9000,12000,15000,18000,21000,24000,27000,30000,33000,36000"))
  .split(",").map(Number);
const warmupS = num(v.warmup, smoke ? 2 : 10);
const durationS = num(v.duration, smoke ? 5 : 30);
const log = (m: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${m}`);

const dataDir = join(REPO, "work-data");
const session = await openSession({
  hosts: v.hosts ?? (smoke ? join(REPO, "env/hosts/loopback.json") : undefined),
  resultsRoot: join(REPO, "results"), dataDir, dirs: num(v.dirs, smoke ? 10 : 100), seed: 1,
  loadgensPerClient: 1, prewarm: false, keepPerf: false, log,
});

interface Point {
  label: string; offered: number; replyRate: number | null; mbps: number | null;
  repliesPerCpuS: number | null; // testbed replies/s ÷ server CPU (cores) used
  verdict: string; why: string;
}
const points: Point[] = [];
try {
  const cal = readCalibration(join(REPO, "results"));
  const k = chooseK(v.k === undefined ? undefined : Number(v.k), cal);
  const quota = num(v.quota, cal?.quota ?? 0.3);
  if (session.bed.kind === "loopback") log("loopback testbed: no CPU quota, the server only pinned to its core");
  else await session.bed.setQuota(quota);
  const env = session.pointEnv(`bench-${Date.now()}`, k);
  log(`k = ${k}, server quota = ${session.bed.kind === "loopback" ? "none" : quota}, rates ${rates.join(", ")} (paper units)`);

  for (const label of LABELS) {
    const config = parseLabel(label);
    let best = 0, worse = 0;
    for (const offered of rates) {
      const id = `bench__${label}__${offered}`;
      const rawDir = join(dataDir, "bench", env.runId, id);
      mkdirSync(rawDir, { recursive: true });
      const { row } = await session.executor(env)({
        spec: { id, figure: "bench", config, offeredRate: offered, perf: false }, rawDir, warmupS, durationS, verifyBytes: false,
        clientTimeoutS: CLIENT_TIMEOUT_S,
      });
      const p = summarise(label, offered, row, k, session.bed.quota);
      points.push(p);
      log(`${label} at ${offered}/s: ${p.replyRate?.toFixed(0)} replies/s, ${p.mbps?.toFixed(1)} Mbit/s, ` +
        `${p.repliesPerCpuS?.toFixed(0)} replies/CPU-s, ${p.verdict} ${p.why}`);
      const mbps = p.mbps ?? 0;
      worse = mbps < best ? worse + 1 : 0;
      best = Math.max(best, mbps);
      if (worse >= 2) break; // past its peak
    }
  }
} finally {
  await session.close();
}

function summarise(label: string, offered: number, row: PointRow, k: number, quota: number): Point {
  const n = (x: string | number | null) => (x === null || x === "" ? null : Number(x));
  const rate = n(row.reply_rate), cpuPct = n(row.server_cpu_pct); // cpu: % of the server's quota
  const cores = cpuPct === null ? null : (cpuPct / 100) * quota;
  return {
    label, offered, replyRate: rate, mbps: n(row.throughput_mbps),
    repliesPerCpuS: rate !== null && cores ? (rate * k) / cores : null,
    verdict: String(row.verdict), why: String(row.verdict_reason),
  };
}

// Peaks over the points that passed verification (a failing point's throughput is not a server's capacity).
const peak = (label: string) => Math.max(0, ...points.filter((p) => p.label === label && p.verdict === "pass").map((p) => p.mbps ?? 0));
const [u, n] = LABELS.map(peak);
console.log("label,offered_rate,reply_rate,throughput_mbps,replies_per_cpu_s,verdict");
for (const p of points) console.log([p.label, p.offered, p.replyRate?.toFixed(1), p.mbps?.toFixed(1), p.repliesPerCpuS?.toFixed(0), p.verdict].join(","));
console.log(`peak throughput (paper units): ${LABELS[0]} ${u.toFixed(1)} Mbit/s, ${LABELS[1]} ${n.toFixed(1)} Mbit/s, ratio ${n > 0 ? (u / n).toFixed(3) : "n/a"}`);
if (v.out) writeFileSync(v.out, JSON.stringify({ smoke, rates, warmupS, durationS, points, peak: { userver: u, nginx: n, ratio: n > 0 ? u / n : null } }, null, 2) + "\n");
