// What a CFS quota gives a busy process, window by window: a spinner in a private cgroup v1 cpu cgroup, pinned to
// one core, at a quota (fraction of the core) and several periods. For every 1 ms of wall time it reports the share of
// CPU the spinner got (mean, p5, p95, the share of windows with none), the longest stretch without CPU, and what the
// kernel's cpu.stat counted (nr_periods, nr_throttled, throttled_time); beside them the median stall and the spread of
// CPU over 10 ms windows, the time scale of a request. A quota is not a slower clock: this shows how far from one each
// period is. The cgroup gets the largest cpu.shares, so that other processes of the machine run on the core only while
// the spinner is throttled: what is measured is the quota, not the machine's other load. Needs root; takes the core for
// periods × seconds (run it under the measurement lock).
//
//   node --import tsx env/bench/cpu-quota.ts --quota 0.355 [--core 1] [--seconds 10] [--periods 1000,2000,3000,5000,10000]
import { spawn, execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const CGROUP = "/sys/fs/cgroup/cpu/webarch-cpubench";
const MIN_QUOTA_US = 1000;  // the kernel refuses a quota (or period) below 1 ms
const WINDOW_NS = 1_000_000;
const GAP_NS = 5_000;        // a clock read more than 5 µs after the last one: the spinner was not running
const ZERO_SHARE = 0.01;     // a window in which the spinner ran less than 1% of it counts as one without CPU

interface Gap { start: number; end: number }

interface WindowStats { mean: number; p5: number; p95: number; zeroShare: number; windows: number }

/** Per-window CPU shares of a spinner from the stretches it did not run (ns since its start, sorted), over `totalNs`. */
function windowStats(gaps: Gap[], totalNs: number, windowNs = WINDOW_NS): WindowStats {
  const n = Math.floor(totalNs / windowNs);
  const off = new Float64Array(n);
  for (const g of gaps) {
    for (let w = Math.floor(g.start / windowNs); w < n && w * windowNs < g.end; w++) {
      off[w] += Math.min(g.end, (w + 1) * windowNs) - Math.max(g.start, w * windowNs);
    }
  }
  const shares = [...off].map((o) => 1 - o / windowNs).sort((a, b) => a - b);
  const q = (p: number) => shares[Math.min(n - 1, Math.floor(p * n))];
  return {
    mean: shares.reduce((a, b) => a + b, 0) / n, p5: q(0.05), p95: q(0.95),
    zeroShare: shares.filter((s) => s < ZERO_SHARE).length / n, windows: n,
  };
}

/** The longest stretch without CPU and the median of those longer than 0.1 ms (the throttled stretches, not interrupts). */
function stalls(gaps: Gap[]): { longestMs: number; medianMs: number } {
  const long = gaps.map((g) => (g.end - g.start) / 1e6).filter((ms) => ms > 0.1).sort((a, b) => a - b);
  return { longestMs: long.at(-1) ?? 0, medianMs: long.length ? long[Math.floor(long.length / 2)] : 0 };
}

const cpuStat = () => Object.fromEntries(readFileSync(join(CGROUP, "cpu.stat"), "utf8").trim().split("\n")
  .map((l) => l.split(" ")).map(([k, v]) => [k, Number(v)])) as Record<string, number>;

/** Busy jiffies of one core (everything but idle and iowait) from /proc/stat, to see what else ran on it. */
function coreBusy(core: number): number {
  const f = readFileSync("/proc/stat", "utf8").match(new RegExp(`^cpu${core} (.*)$`, "m"))![1].split(" ").map(Number);
  return f.reduce((a, b) => a + b, 0) - f[3] - f[4];
}

async function measure(spin: string, core: number, seconds: number, periodUs: number, quotaUs: number) {
  writeFileSync(join(CGROUP, "cpu.cfs_quota_us"), "-1");  // lift the old quota first: it must fit the new period
  writeFileSync(join(CGROUP, "cpu.cfs_period_us"), String(periodUs));
  writeFileSync(join(CGROUP, "cpu.cfs_quota_us"), String(quotaUs));
  const s0 = cpuStat(), b0 = coreBusy(core);
  // the shell joins the cgroup, then becomes the pinned spinner: it never runs outside the quota
  const child = spawn("sh", ["-c", `echo $$ > ${CGROUP}/cgroup.procs && exec taskset -c ${core} ${spin} ${seconds} ${GAP_NS}`],
    { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  const code = await new Promise<number | null>((r) => child.on("exit", r));
  if (code !== 0) throw new Error(`spinner exited with ${code} at period ${periodUs} µs`);
  const s1 = cpuStat(), b1 = coreBusy(core);
  const lines = out.trim().split("\n").map((l) => l.split(" ").map(Number));
  const totalNs = lines[0][1];
  const gaps = lines.slice(1).map(([start, end]) => ({ start, end }));
  const w = windowStats(gaps, totalNs), w10 = windowStats(gaps, totalNs, 10 * WINDOW_NS);
  const ranNs = totalNs - gaps.reduce((a, g) => a + g.end - g.start, 0);
  return {
    ...w, ...stalls(gaps), p5Of10ms: w10.p5, p95Of10ms: w10.p95, nrPeriods: s1.nr_periods - s0.nr_periods, nrThrottled: s1.nr_throttled - s0.nr_throttled,
    throttledMsPerS: (s1.throttled_time - s0.throttled_time) / 1e6 / (totalNs / 1e9),
    // what else the core ran meanwhile (USER_HZ jiffies of 10 ms; a rough check that the core was ours)
    othersPct: Math.max(0, (100 * ((b1 - b0) * 1e7 - ranNs)) / totalNs),
  };
}

async function main() {
  const { values: v } = parseArgs({ options: { quota: { type: "string" }, core: { type: "string", default: "1" },
    seconds: { type: "string", default: "10" }, periods: { type: "string", default: "1000,2000,3000,4000,5000,7500,10000" } } });
  const quota = Number(v.quota), core = Number(v.core), seconds = Number(v.seconds);
  const periods = v.periods!.split(",").map(Number);
  if (!(quota > 0 && quota <= 1)) throw new Error(`--quota must be a fraction of one core in (0, 1], got ${v.quota}`);
  if (!Number.isInteger(core) || core < 0) throw new Error(`--core must be a core number, got ${v.core}`);
  if (!(seconds > 0 && seconds <= 120)) throw new Error(`--seconds must be in (0, 120], got ${v.seconds}`);
  if (periods.some((p) => !Number.isInteger(p) || p < 1000 || p > 1_000_000)) throw new Error(`--periods must be integers in [1000, 1000000] µs, got ${v.periods}`);
  if (!existsSync(dirname(CGROUP))) throw new Error("cgroup v1 cpu controller is not mounted at /sys/fs/cgroup/cpu");
  const build = mkdtempSync(join(tmpdir(), "cpubench-"));
  const spin = join(build, "spin");
  execFileSync("cc", ["-O2", "-o", spin, join(dirname(fileURLToPath(import.meta.url)), "spin.c")]);
  mkdirSync(CGROUP, { recursive: true });
  writeFileSync(join(CGROUP, "cpu.shares"), "262144");  // the kernel's maximum weight
  try {
    console.log(`quota ${quota} of core ${core}, ${seconds} s per period, 1 ms windows (a window "without CPU": the spinner ran < ${100 * ZERO_SHARE}% of it)\n`);
    console.log("| period (ms) | quota (µs) | mean CPU per 1 ms | p5 | p95 | 1 ms windows without CPU | longest stall (ms) | median stall (ms) | CPU per 10 ms, p5–p95 | nr_periods | nr_throttled | throttled (ms/s) | other load on the core |");
    console.log("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (const p of periods) {
      const quotaUs = Math.round(quota * p);
      if (quotaUs < MIN_QUOTA_US) {
        console.log(`| ${p / 1000} | ${quotaUs} | refused: the kernel's minimum quota is ${MIN_QUOTA_US} µs (this quota needs a period ≥ ${Math.ceil(MIN_QUOTA_US / quota)} µs) | | | | | | | | | | |`);
        continue;
      }
      const m = await measure(spin, core, seconds, p, quotaUs);
      const f = (x: number) => x.toFixed(3);
      console.log(`| ${p / 1000} | ${quotaUs} | ${f(m.mean)} | ${f(m.p5)} | ${f(m.p95)} | ${(100 * m.zeroShare).toFixed(1)}% | ${m.longestMs.toFixed(2)} | ` +
        `${m.medianMs.toFixed(2)} | ${f(m.p5Of10ms)}–${f(m.p95Of10ms)} | ` +
        `${m.nrPeriods} | ${m.nrThrottled} | ${m.throttledMsPerS.toFixed(0)} | ${m.othersPct.toFixed(1)}% |`);
    }
  } finally {
    rmdirSync(CGROUP);                                  // the spinner has exited: the cgroup is empty
    rmSync(build, { recursive: true, force: true });
  }
}

main().catch((e) => { console.error(`cpu-quota: ${(e as Error).message}`); process.exit(1); });
