// Benchmark (not a test): userver-nb-1p (SPED, epoll, non-blocking sendfile) against nginx (1 worker, sendfile,
// epoll) on the same file set, session logs and testbed, the server on one core under the same CPU quota, at rising
// offered rates until each saturates; prints both peak throughputs and their ratio (target: userver ≥ 0.9 × nginx).
//
// usage: node --import tsx harness/bench/userver-vs-nginx.ts [ramp flags, see ramp.ts]
//   default labels: userver-nb-30K-1p-epoll,nginx-1w
// Rates are in paper units. Beside throughput it prints replies per CPU-second of the server (testbed units), which
// compares the two servers' cost per reply even below saturation or where the client, not the server, limits the
// load (e.g. on the loopback testbed, which has no quota).
import { rampFromArgs, type RampPoint } from "./ramp.ts";

const [USERVER, NGINX] = ["userver-nb-30K-1p-epoll", "nginx-1w"];
const result = await rampFromArgs([USERVER, NGINX], { perf: false });
if (result) {
  const quota = result.quota ?? 1;
  /** Testbed replies/s ÷ server cores used (server_cpu_pct is a share of the quota). */
  const perCpu = (p: RampPoint) => (Number(p.row.reply_rate) * result.k) / ((Number(p.row.server_cpu_pct) / 100) * quota);
  const fmt = (x: number, digits = 0) => (Number.isFinite(x) ? x.toFixed(digits) : "–");
  console.log("\n| configuration | offered req/s | replies/s | Mbit/s | replies per server CPU-s | verdict |");
  console.log("|---|---|---|---|---|---|");
  for (const peak of result.peaks)
    for (const p of peak.points)
      console.log(`| ${peak.label} | ${p.offered} | ${fmt(Number(p.row.reply_rate))} | ${fmt(Number(p.row.throughput_mbps), 1)} | ${fmt(perCpu(p))} | ${p.row.verdict} |`);
  // A peak counts only from points that passed verification: a failing point's throughput is not a capacity.
  const peakMbps = (label: string) =>
    Math.max(0, ...(result.peaks.find((p) => p.label === label)?.points ?? []).filter((p) => p.row.verdict === "pass").map((p) => Number(p.row.throughput_mbps)));
  const [u, n] = [peakMbps(USERVER), peakMbps(NGINX)];
  console.log(`\npeak throughput: ${USERVER} ${fmt(u, 1)} Mbit/s, ${NGINX} ${fmt(n, 1)} Mbit/s, ratio ${fmt(u / n, 3)}`);
  console.log(`(paper units; testbed ${result.testbed}, quota ${result.quota ?? "none"}, k = ${result.k}; raw points in ${result.outDir})`);
}
