// Benchmark (not a test): knot-b, knot-nb and knot-c against userver-nb-1p at saturation, each on the server host's
// one core under the same CPU quota, profiled with perf; prints each one's peak throughput, user-level context
// switches per second and the share of CPU spent in the thread runtime (Table 1's "thread overhead").
//
// usage: node --import tsx harness/bench/knot-vs-userver.ts [ramp flags, see ramp.ts]
//   default labels: knot-b-20K-100w,knot-nb-15K-50w,knot-c-20K-100w-1000MB,userver-nb-30K-1p
// Rates are in paper units (the runner scales them and the thread counts by k). The default file set (20
// directories, ~95 MB) fits in memory, so the comparison is of CPU cost at saturation, not of disk behaviour.
import { rampFromArgs } from "./ramp.ts";

const BASELINE = "userver-nb-30K-1p";
const result = await rampFromArgs(["knot-b-20K-100w", "knot-nb-15K-50w", "knot-c-20K-100w-1000MB", BASELINE], { perf: true });
if (result) {
  const base = Number(result.peaks.find((p) => p.label === BASELINE)?.best?.row.reply_rate ?? NaN);
  const pct = (p: typeof result.peaks[number], category: string) =>
    p.best?.profile.find((r) => r.category === category)?.pct;
  const fmt = (x: unknown, digits = 0) => (x === null || x === undefined || Number.isNaN(Number(x)) ? "–" : Number(x).toFixed(digits));
  console.log(`\n| configuration | peak replies/s | at offered req/s | Mbit/s | vs ${BASELINE} | user ctx-sw/s | poll calls/s | mean poll set | thread overhead % | user space % | verdict |`);
  console.log("|---|---|---|---|---|---|---|---|---|---|---|");
  for (const p of result.peaks) {
    const r = p.best?.row;
    console.log(`| ${p.label} | ${fmt(r?.reply_rate)} | ${fmt(p.best?.offered)} | ${fmt(r?.throughput_mbps)} | ${fmt(Number(r?.reply_rate) / base, 2)} | ` +
      `${fmt(r?.user_ctx_switches_per_s)} | ${fmt(r?.event_calls_per_s)} | ${fmt(r?.mean_interest_set, 1)} | ${fmt(pct(p, "thread_overhead"), 1)} | ` +
      `${fmt(pct(p, "user_space_total"), 1)} | ${r?.verdict ?? "–"} |`);
  }
  console.log(`\n(paper units; testbed ${result.testbed}, quota ${result.quota ?? "none"}, k = ${result.k}; raw points in ${result.outDir})`);
}
