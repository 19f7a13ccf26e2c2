// Benchmark (not a test): the highest request rate at which a load generator on core 0 holds >= 8,000
// think-time connections open against nginx on core 1 and keeps to its schedule, for our loadgen and for
// Debian's httperf (several processes of <= 1,000 connections each). Reports CPU use at that rate and at
// 10,000 req/s. Run on a quiet machine:   node --import tsx harness/bench/loadgen-capacity.ts [--smoke]
//
// Workload: sessions of N requests drawn with the paper's file mix (SessionSampler), every request its own burst,
// a fixed think time T between requests chosen per rate so that the steady-state number of open connections,
// (R/N)·(N−1)·T, is 10% above the target. A point passes when every session completes without error, the run
// ends on time (start + D + session life + 3 s; a generator that falls behind starts sessions late and ends
// late), at least the target number of connections were open at once, and — for loadgen, which measures it —
// sessions started on average within 5 ms of their schedule (--max-lateness-ms).
// --client-quota Q confines each generator (all its processes together) to Q of a core with a CFS quota in its own
// cgroup v1 cpu folder. Without it both tools may use all of core 0 and the ladder ends at the machine's ceiling
// (core 0 also carries the loopback's kernel work: both tools stopped near 21,000 req/s here); with it the tools
// are compared on equal CPU, which is what "sustains N× httperf's rate" asks of a generator.
// Options: --smoke, --conns N, --steady S, --rates a,b,… (loadgen), --httperf-rates a,b,…, --refine N (bisection
// steps after the first failing rate), --max-lateness-ms M, --client-quota Q, --out FILE.json
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { argv } from "node:process";
import { buildFileSet } from "../../lib/fileset.ts";
import { Rng } from "../workload/random.ts";
import { PAPER_SESSION_MODEL, SessionSampler } from "../workload/sessions.ts";
import { formatSessionLog, type LogSession } from "../workload/wsesslog.ts";
import { controllerMounts } from "../../env/lib/cgroups.ts";
import { loadConfig } from "../../env/lib/config.ts";
import { build, runLoadgen, startNginx, tempDir } from "../loadgen/launch.ts";
import { statFields } from "../../lib/procfs.ts";

const opt = (name: string, dflt: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const smoke = argv.includes("--smoke");
const TARGET_CONNS = Number(opt("conns", smoke ? "400" : "8000"));
const REQS_PER_SESSION = 5;
const STEADY_S = Number(opt("steady", smoke ? "4" : "10"));
const HTTPERF_MAX_CONNS = 1000;
const MAX_MEAN_LATENESS_MS = Number(opt("max-lateness-ms", "5"));
const rates = (s: string) => s.split(",").filter((x) => x !== "").map(Number);
const ours = rates(opt("rates", smoke ? "1000" : "4000,6000,8000,10000,12000,14000,16000,20000,24000,28000,32000"));
const theirs = rates(opt("httperf-rates", smoke ? "500" : "2000,4000,6000,8000,10000,12000,14000,16000,20000,24000,28000"));
const out = opt("out", "");
const REFINE = Number(opt("refine", smoke ? "0" : "2"));
const quotaOpt = opt("client-quota", "");
const CLIENT_QUOTA = quotaOpt === "" ? null : Number(quotaOpt);
if (CLIENT_QUOTA !== null && !(CLIENT_QUOTA > 0 && CLIENT_QUOTA <= 1)) throw new Error("--client-quota: expected a share of one core in (0, 1]");

interface Point {
  tool: "loadgen" | "httperf";
  rate: number;            // offered requests/s
  procs: number;
  thinkS: number;
  durationS: number;       // session-start window D
  pass: boolean;
  why: string;
  replies: number;
  maxConns: number;        // loadgen: exact; httperf: sum of each process's maximum
  clientCpuPct: number;    // % of one core, summed over processes
  clientUserS: number;     // CPU seconds in user space and in the kernel (system calls and the softirq work they carry)
  clientSysS: number;
  serverCpuPct: number;    // nginx, % of one core
  latenessMeanMs: number | null;
  latenessP99Ms: number | null;
  elapsedS: number;
}

const tmp = tempDir("loadgen-bench-");
const root = join(tmp.path, "root");
build();
buildFileSet({ root, dirs: 10 });
const nginx = await startNginx({ dir: tmp.path, root, cpu: 1 });
const clientCgroup = CLIENT_QUOTA === null ? null : quotaCgroup(CLIENT_QUOTA);
/** The command prefix that starts a generator on core 0, inside the quota cgroup when there is one. */
const onClientCore = clientCgroup === null ? ["taskset", "-c", "0"]
  : ["sh", "-c", 'echo $$ > "$0/tasks" && exec taskset -c 0 "$@"', clientCgroup];

/** A cgroup v1 cpu folder limited to `share` of a core (period 100 ms), named after this process. */
function quotaCgroup(share: number): string {
  const dir = join(controllerMounts(loadConfig()).cpu, `loadgen-bench-${process.pid}`);
  mkdirSync(dir);
  writeFileSync(join(dir, "cpu.cfs_period_us"), "100000");
  writeFileSync(join(dir, "cpu.cfs_quota_us"), String(Math.round(share * 100000)));
  return dir;
}

/** CPU seconds used so far by a process (utime + stime from /proc). */
function cpuSeconds(pid: number): number {
  const fields = statFields(readFileSync(`/proc/${pid}/stat`, "utf8"));
  return (Number(fields[11]) + Number(fields[12])) / 100; // clock ticks; USER_HZ is 100 on Linux
}

/** A log of `sessions` templates, N requests each, think time T after every request but the last. */
function writeLog(path: string, thinkS: number, sessions: number): void {
  const model = { ...PAPER_SESSION_MODEL, singleRequestFraction: 0, minRequests: REQS_PER_SESSION, maxRequests: REQS_PER_SESSION };
  const sampler = new SessionSampler(10, model, new Rng(5));
  const logSessions: LogSession[] = Array.from({ length: sessions }, () => {
    const reqs = sampler.session().requests;
    return { bursts: reqs.map((r, i) => ({ requests: [{ uri: r.uri, method: "GET" }], thinkS: i < reqs.length - 1 ? thinkS : null })) };
  });
  writeFileSync(path, formatSessionLog([`capacity benchmark: ${REQS_PER_SESSION} requests/session, think ${thinkS} s`], logSessions));
}

function plan(rate: number) {
  const sessionRate = rate / REQS_PER_SESSION;
  const thinkS = Math.round(((1.1 * TARGET_CONNS) / (sessionRate * (REQS_PER_SESSION - 1))) * 1000) / 1000;
  const lifeS = thinkS * (REQS_PER_SESSION - 1);
  const durationS = lifeS + STEADY_S;
  return { sessionRate, thinkS, lifeS, durationS, sessions: Math.ceil(sessionRate * durationS) };
}

function run(cmd: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd[0], cmd.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "", stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

async function measureLoadgen(rate: number): Promise<Point> {
  const p = plan(rate);
  const log = join(tmp.path, `ours-${rate}.wsesslog`);
  writeLog(log, p.thinkS, 1000);
  const cpu0 = cpuSeconds(nginx.proc.pid!), t0 = Date.now();
  const r = await runLoadgen(
    ["--server", "127.0.0.1", "--port", String(nginx.port), "--wsesslog", log, "--rate", String(p.sessionRate),
      "--duration", String(p.durationS), "--timeout", "15", "--grace", String(p.lifeS + 5)],
    { dir: tmp.path, asan: false, tag: `ours-${rate}`, bin: onClientCore },
  );
  const elapsedS = (Date.now() - t0) / 1000;
  const j = r.json;
  if (!j) throw new Error(`loadgen failed: ${r.stderr}`);
  const why = [
    j.sessions.completed < p.sessions && `${p.sessions - j.sessions.completed} sessions not completed`,
    j.errors.total > 0 && `${j.errors.total} errors`,
    j.connections.max_concurrent < TARGET_CONNS && `only ${j.connections.max_concurrent} connections`,
    j.duration_s > p.durationS + p.lifeS + 3 && `ended late (${j.duration_s.toFixed(1)} s)`,
    j.lateness_ms.mean > MAX_MEAN_LATENESS_MS && `mean lateness ${j.lateness_ms.mean.toFixed(1)} ms`,
  ].filter(Boolean).join(", ");
  return {
    tool: "loadgen", rate, procs: 1, thinkS: p.thinkS, durationS: p.durationS, pass: !why, why: why || "ok",
    replies: j.replies, maxConns: j.connections.max_concurrent, clientCpuPct: j.cpu.pct, clientUserS: j.cpu.user_s, clientSysS: j.cpu.sys_s,
    serverCpuPct: (100 * (cpuSeconds(nginx.proc.pid!) - cpu0)) / elapsedS, latenessMeanMs: j.lateness_ms.mean, latenessP99Ms: j.lateness_ms.p99, elapsedS,
  };
}

async function measureHttperf(rate: number): Promise<Point> {
  const p = plan(rate);
  const procs = Math.ceil((1.1 * TARGET_CONNS * 1.05) / HTTPERF_MAX_CONNS);
  const log = join(tmp.path, `httperf-${rate}.wsesslog`);
  writeLog(log, p.thinkS, 1000);
  const perProc = Math.ceil(p.sessions / procs);
  const cpu0 = cpuSeconds(nginx.proc.pid!), t0 = Date.now();
  const runs = await Promise.all(
    Array.from({ length: procs }, () =>
      run([...onClientCore, "httperf", "--server", "127.0.0.1", "--port", String(nginx.port), "--wsesslog",
        `${perProc},0,${log}`, "--rate", String(p.sessionRate / procs), "--timeout", "15"]),
    ),
  );
  const elapsedS = (Date.now() - t0) / 1000;
  const num = (s: string, re: RegExp) => Number(re.exec(s)?.[1] ?? NaN);
  let completed = 0, errors = 0, maxConns = 0, replies = 0, cpu = 0, longest = 0, userS = 0, sysS = 0;
  for (const r of runs) {
    completed += num(r.stdout, /Session rate .*\((\d+)\/\d+\)/);
    errors += num(r.stdout, /Errors: total (\d+)/);
    maxConns += num(r.stdout, /<=(\d+) concurrent/);
    replies += num(r.stdout, /Total: .* replies (\d+)/);
    cpu += num(r.stdout, /total ([\d.]+)%\)/);
    userS += num(r.stdout, /CPU time \[s\]: user ([\d.]+)/);
    sysS += num(r.stdout, /CPU time \[s\]: user [\d.]+ system ([\d.]+)/);
    longest = Math.max(longest, num(r.stdout, /test-duration ([\d.]+) s/));
  }
  const why = [
    !(completed >= perProc * procs) && `${perProc * procs - completed} sessions not completed`,
    !(errors === 0) && `${errors} errors`,
    !(maxConns >= TARGET_CONNS) && `only ${maxConns} connections`,
    !(longest <= p.durationS + p.lifeS + 3) && `ended late (${longest.toFixed(1)} s)`,
  ].filter(Boolean).join(", ");
  return {
    tool: "httperf", rate, procs, thinkS: p.thinkS, durationS: p.durationS, pass: !why, why: why || "ok", replies,
    maxConns, clientCpuPct: cpu, clientUserS: userS, clientSysS: sysS, serverCpuPct: (100 * (cpuSeconds(nginx.proc.pid!) - cpu0)) / elapsedS,
    latenessMeanMs: null, latenessP99Ms: null, elapsedS,
  };
}

/** The client's CPU per reply, in user space and in the kernel: what a faster generator could save is the first. */
function usPerReply(pt: Point): string {
  const us = (s: number) => ((s * 1e6) / Math.max(1, pt.replies)).toFixed(1);
  return `${us(pt.clientUserS + pt.clientSysS)} µs/reply: user ${us(pt.clientUserS)}, kernel ${us(pt.clientSysS)}`;
}

async function measureAndLog(rate: number, measure: (r: number) => Promise<Point>): Promise<Point> {
  const pt = await measure(rate);
  console.log(`${pt.tool} ${pt.rate} req/s x${pt.procs}: ${pt.pass ? "PASS" : "FAIL"} (${pt.why}); ` +
    `conns ${pt.maxConns}, client CPU ${pt.clientCpuPct.toFixed(1)}% (${usPerReply(pt)}), nginx CPU ${pt.serverCpuPct.toFixed(1)}%` +
    (pt.latenessMeanMs === null ? "" : `, lateness mean ${pt.latenessMeanMs.toFixed(2)} p99 ${pt.latenessP99Ms!.toFixed(2)} ms`) + `, ${pt.elapsedS.toFixed(0)} s`);
  return pt;
}

/** Rates in increasing order until the first failure, then `REFINE` bisection steps between the last pass and it. */
async function ladder(rates: number[], measure: (r: number) => Promise<Point>): Promise<Point[]> {
  const points: Point[] = [];
  let pass = 0, fail = 0;
  for (const rate of rates) {
    const pt = await measureAndLog(rate, measure);
    points.push(pt);
    if (!pt.pass) {
      fail = rate;
      break;
    }
    pass = rate;
  }
  for (let i = 0; i < REFINE && pass > 0 && fail > 0; i++) {
    const mid = Math.round((pass + fail) / 2 / 100) * 100;
    if (mid <= pass || mid >= fail) break;
    const pt = await measureAndLog(mid, measure);
    points.push(pt);
    if (pt.pass) pass = mid;
    else fail = mid;
  }
  return points;
}

try {
  console.log(`target ${TARGET_CONNS} open connections, ${REQS_PER_SESSION} requests/session, nginx on core 1, clients on core 0` +
    (CLIENT_QUOTA === null ? "" : ` limited to ${CLIENT_QUOTA} of it per tool`));
  const oursPoints = await ladder(ours, measureLoadgen);
  if (!smoke && !oursPoints.some((p) => p.rate === 10000)) oursPoints.push(await measureAndLog(10000, measureLoadgen));
  const theirPoints = await ladder(theirs, measureHttperf);
  const best = (pts: Point[]) => pts.filter((p) => p.pass).sort((a, b) => b.rate - a.rate)[0];
  const summary = {
    targetConns: TARGET_CONNS,
    clientQuota: CLIENT_QUOTA,
    loadgen: { best: best(oursPoints) ?? null, at10k: oursPoints.find((p) => p.rate === 10000) ?? null },
    httperf: { best: best(theirPoints) ?? null },
    points: [...oursPoints, ...theirPoints],
  };
  const b1 = summary.loadgen.best, b2 = summary.httperf.best;
  console.log(`\nloadgen: highest passing rate ${b1?.rate ?? "none"} req/s (CPU ${b1?.clientCpuPct.toFixed(1) ?? "-"}%${b1 ? `, ${usPerReply(b1)}` : ""})` +
    (summary.loadgen.at10k ? `; at 10,000 req/s CPU ${summary.loadgen.at10k.clientCpuPct.toFixed(1)}%` : ""));
  console.log(`httperf: highest passing rate ${b2?.rate ?? "none"} req/s with ${b2?.procs ?? "-"} processes (CPU ${b2?.clientCpuPct.toFixed(1) ?? "-"}%${b2 ? `, ${usPerReply(b2)}` : ""})`);
  if (b1 && b2) console.log(`ratio: ${(b1.rate / b2.rate).toFixed(2)}x`);
  if (out) writeFileSync(out, JSON.stringify(summary, null, 2) + "\n");
} finally {
  await nginx.stop();
  tmp.remove();
  if (clientCgroup) rmdirSync(clientCgroup);
}
