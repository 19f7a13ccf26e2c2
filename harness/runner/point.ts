// Runs one point: the server by its label on the server host, the load generators on the client hosts, and every
// measurement around them (server stats, vmstat, cgroup, /proc, perf); then stops everything and makes a points.csv row.
// Each point comes with its own session logs and a page cache prepared for it (run-context.ts, page-cache.ts), and starts
// with an unmeasured warm-up of its own load.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { start, stop, signal, waitForLine, run, type Proc } from "../lib/proc.ts";
import { parseVmstat, vmstatInterval, mean, treeCounters, coreTimes, tcpExtCounters, type TreeCounters, type CoreTimes } from "../../lib/procfs.ts";
import type { LoadgenSummary } from "../lib/loadgen-summary.ts";
import { halfRates, windowStats, type WindowStats } from "../lib/window.ts";
import { verifyPoint, type ClientResult, type Verification } from "../verifier/verify.ts";
import { parsePerfScript, reduce, PERF_RECORD_ARGS, PERF_SCRIPT_FIELDS, type SourceIndex } from "../profiler/reduce.ts";
import { UNATTRIBUTED_LIMIT_PCT } from "../profiler/categories.ts";
import { launchSpec, type ServerConfig } from "./labels.ts";
import { testbedRate, paperUnits, testbedConns } from "./scale.ts";
import type { PointRow, ProfileCsvRow } from "./results.ts";
import type { Bed, DiskCounters } from "./bed.ts";
import type { PointSpec } from "./experiments.ts";
import { pathSize } from "../../lib/specweb.ts";

const HERE = dirname(fileURLToPath(import.meta.url));
const CLK_TCK = 100;

export interface Workload {
  root: string;                  // file set (document root)
  logs: string[];                // one session log per load generator process
  meanRequestsPerSession: number;
}

export interface PointEnv {
  bed: Bed;
  k: number;
  runId: string;
  binDir: string;                // servers/bin
  loadgen: string;               // harness/loadgen/loadgen
  workload: Workload;
  loadgensPerClient: number;
  scratch: string;               // bulky temporaries (perf.data, nginx config): never under results/
  sourceIndex: SourceIndex;
  keepPerf?: boolean;            // keep perf.data and the per-request CSVs in scratch (debugging)
  preparedPageCacheBytes?: number | null; // the server's page cache once this point's was prepared (page-cache.ts)
  log: (m: string) => void;
}

export interface PointRun {
  spec: PointSpec;
  rawDir: string;
  warmupS: number;
  durationS: number;
  verifyBytes: boolean;          // a correctness run: the load generators check every reply's bytes
  clientTimeoutS: number;        // per-request timeout (the paper's 15 s)
}

export interface PointOutcome {
  row: PointRow;
  profile: ProfileCsvRow[];
  verification: Verification;
}

interface ServerStats { [k: string]: unknown; event_calls?: number; event_fds_total?: number; user_ctx_switches?: number }

/** Everything started for a point, so that it can be stopped whatever happens. */
class Started {
  procs: Proc[] = [];
  timers: NodeJS.Timeout[] = [];
  async stopAll() {
    for (const t of this.timers) clearInterval(t);
    await Promise.all(this.procs.map((p) => stop(p, 3000)));
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => { const a = s.address(); s.close(() => resolve(typeof a === "object" && a ? a.port : 0)); });
  });
}

// The measurement is over when the server is told to stop; the grace only has to tell a server that ignores SIGTERM
// from a slow one: 200 blocking processes sharing an overloaded 0.39 of a core take 5–6 s to exit.
const SERVER_STOP_GRACE_S = 30;

const num = (x: unknown) => (typeof x === "number" && Number.isFinite(x) ? x : NaN);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts the server and waits until it serves; returns its process, pid and port, or throws why it did not start. */
async function startServer(env: PointEnv, cfg: ServerConfig, rawDir: string, st: Started) {
  const port = env.bed.kind === "loopback" ? (cfg.server === "nginx" ? await freePort() : 0) : 8080;
  const workDir = join(env.scratch, "server");
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(join(workDir, "tmp"), { recursive: true });
  const root = await env.bed.serveRoot(env.workload.root, env.log);
  const spec = launchSpec(cfg, env.k, { root, port, binDir: env.binDir, workDir, fdLimit: await env.bed.serverFdLimit() });
  for (const [path, text] of Object.entries(spec.files)) writeFileSync(path, text);
  writeFileSync(join(rawDir, "server.argv.json"), JSON.stringify(spec.argv) + "\n");
  if (!existsSync(spec.argv[0])) throw new Error(`server binary ${spec.argv[0]} is missing (make -C servers)`);
  const proc = start(`server ${cfg.label}`, env.bed.hostCommand("server", spec.argv), {
    stdoutFile: join(rawDir, "server.stdout"), stderrFile: join(rawDir, "server.stderr"),
  });
  st.procs.push(proc);
  const stats: ServerStats[] = [];
  proc.onLine((l) => { try { const j = JSON.parse(l); if (j.event === "stats") stats.push(j); } catch { /* not JSON */ } });
  if (spec.readiness === "ready-line") {
    const ready = JSON.parse(await waitForLine(proc, (l) => l.includes('"ready"'), 30_000));
    return { proc, pid: Number(ready.pid), port: Number(ready.port), stats };
  }
  // nginx: ready when a client host can connect
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (proc.exitStatus !== null) throw new Error(`server exited (${proc.exitStatus}) before it was ready`);
    const probe = env.bed.hostCommand(env.bed.clientHosts[0], ["timeout", "1", "bash", "-c", `exec 3<>/dev/tcp/${env.bed.serverAddress(0)}/${port}`]);
    if ((await run(probe, 5000)).code === 0) return { proc, pid: proc.pid, port, stats };
    await sleep(200);
  }
  throw new Error("server did not accept connections within 30 s");
}

/** Asks the server for its counters (SIGUSR1) and waits for the stats line; null for servers without stats. */
async function serverStats(env: PointEnv, cfg: ServerConfig, srv: { proc: Proc; pid: number; stats: ServerStats[] }): Promise<ServerStats | null> {
  if (cfg.server === "nginx") return null;
  const before = srv.stats.length;
  if (env.bed.kind === "ssh") {
    // the pid is the server host's: signal it there
    if ((await run(env.bed.hostCommand("server", ["kill", "-USR1", String(srv.pid)]), 10_000)).code !== 0) return null;
  } else {
    try { process.kill(srv.pid, "SIGUSR1"); } catch { return null; }
  }
  const deadline = Date.now() + 5000;
  while (srv.stats.length === before && Date.now() < deadline && srv.proc.exitStatus === null) await sleep(20);
  return srv.stats.length > before ? srv.stats[srv.stats.length - 1] : null;
}

interface Generator { host: string; id: string; json: string; csv: string; p: Proc; expected: number }

/** Starts the load generators of every client host so that they begin together at `startAt` (ms since the epoch). */
function launchLoad(env: PointEnv, port: number, spec: PointSpec,
  o: { totalS: number; verify: boolean; rawDir: string; timeoutS: number },
  st: Started) {
  const hosts = env.bed.clientHosts;
  const n = hosts.length * env.loadgensPerClient;
  const perGen = testbedRate(spec.offeredRate, env.k) / env.workload.meanRequestsPerSession / n; // sessions/s each
  const startAt = Date.now() + 1500;
  const gens: Generator[] = hosts.flatMap((host, h) => Array.from({ length: env.loadgensPerClient }, (_, j) => {
    const id = `${host}-${j}`;
    const json = join(o.rawDir, `loadgen-${id}.json`);
    const csv = join(env.scratch, `requests-${id}.csv`); // bulky: read for the window, then deleted
    const argv = [env.loadgen, "--server", env.bed.serverAddress(h), "--port", String(port),
      "--wsesslog", env.workload.logs[(h * env.loadgensPerClient + j) % env.workload.logs.length],
      "--rate", perGen.toFixed(4), "--duration", String(o.totalS), "--timeout", String(o.timeoutS), "--drain",
      "--start-at", String(startAt), "--json", json, "--csv", csv, "--id", id, ...(o.verify ? ["--verify", env.workload.root] : [])];
    const p = start(`loadgen ${id}`, env.bed.hostCommand(host, argv), {
      stdoutFile: join(o.rawDir, `loadgen-${id}.txt`), stderrFile: join(o.rawDir, `loadgen-${id}.err`),
    });
    st.procs.push(p);
    return { host, id, json, csv, p, expected: perGen * o.totalS }; // sessions its schedule starts over the whole run
  }));
  return { gens, startAt };
}

/** Waits for the generators to end by themselves: with --drain, when the requests in flight at the window's end are
 *  answered (at once below saturation) or time out (at most the timeout and a grace period past it). */
async function finishLoad(gens: Generator[], totalS: number, timeoutS: number): Promise<string[]> {
  const limitMs = (totalS + timeoutS + 45) * 1000;
  let timer: NodeJS.Timeout | undefined;
  const late = await Promise.race([Promise.all(gens.map((g) => g.p.exited)).then(() => false),
    new Promise<boolean>((r) => { timer = setTimeout(() => r(true), limitMs); })]);
  clearTimeout(timer);
  if (late) await Promise.all(gens.map((g) => stop(g.p, 2000)));
  const problems = gens.filter((g) => !existsSync(g.json)).map((g) => `${g.id}: no summary (exit ${g.p.exitStatus})`);
  if (late) problems.push(`load generators still running ${limitMs / 1000} s after their start: stopped`);
  return problems;
}

/** The server host's TcpExt counters (its network namespace's /proc/net/netstat); null if they cannot be read. */
async function serverTcpExt(env: PointEnv): Promise<Record<string, number> | null> {
  const r = await run(env.bed.hostCommand("server", ["cat", "/proc/net/netstat"]), 10_000);
  return r.code === 0 ? tcpExtCounters(r.stdout) : null;
}

/** Sleeps until an instant, or until the server exits (then returns false). */
async function until(t: number, server: Proc): Promise<boolean> {
  if (server.exitStatus !== null) return false;
  await Promise.race([sleep(Math.max(0, t - Date.now())), server.exited]);
  return server.exitStatus === null;
}

/** Runs one point end to end. Never throws for a server problem: that is recorded in the row's verdict.
 *  One load run covers warm-up + measured window (+ the requests still in flight at its end); every measurement — server
 *  stats, /proc, cgroup, vmstat, perf, and the replies counted — covers the measured window only. */
export async function runPoint(env: PointEnv, r: PointRun): Promise<PointOutcome> {
  const { spec, rawDir } = r;
  const cfg = spec.config;
  const st = new Started();
  const failures: string[] = [];
  const clientFailures: string[] = []; // generators without a summary: the point is short of its load
  const clients: ClientResult[] = [];
  const windows: WindowStats[] = [];
  let measured: Measured | null = null;
  let profile: ProfileCsvRow[] = [];
  let gens: Generator[] = [];
  let perfRan = false;
  const perfData = join(env.scratch, "perf.data");
  try {
    let srv: Awaited<ReturnType<typeof startServer>>;
    try {
      srv = await startServer(env, cfg, rawDir, st);
    } catch (e) {
      failures.push(`server failed to start: ${(e as Error).message}`);
      throw e;
    }
    const totalS = r.warmupS + r.durationS;
    const load = launchLoad(env, srv.port, spec, { totalS, verify: r.verifyBytes, rawDir, timeoutS: r.clientTimeoutS }, st);
    gens = load.gens;
    const crashed = () => failures.push(`server crashed mid-point (exit ${srv.proc.exitStatus})`);
    if (await until(load.startAt + r.warmupS * 1000, srv.proc)) {
      const local = env.bed.kind !== "ssh";
      const s0 = await serverStats(env, cfg, srv);
      const t0 = local ? treeCounters(srv.pid) : null;
      const c0 = local && env.bed.serverCore !== null ? coreTimes(env.bed.serverCore) : null;
      const g0 = await env.bed.cgroupStats();
      const k0 = await env.bed.diskStats();
      const n0 = await serverTcpExt(env);
      const time0 = performance.now();
      const vm = start("vmstat", env.bed.hostCommand("server", ["vmstat", "-n", "5"]), { stdoutFile: join(rawDir, "vmstat.txt") });
      st.procs.push(vm);
      const pageCache: number[] = [];
      st.timers.push(setInterval(() => { env.bed.cgroupStats().then((g) => g && pageCache.push(g.pageCacheBytes / 1024)).catch(() => {}); }, 5000));
      // the disk's counters at the window's middle: misses per request in each half show whether the cache is steady
      let kMid: DiskCounters | null = null;
      st.timers.push(setTimeout(() => { env.bed.diskStats().then((d) => { kMid = d; }).catch(() => {}); }, (r.durationS * 1000) / 2));
      let perf: Proc | null = null;
      if (spec.perf && local) {
        const target = env.bed.serverCore !== null ? ["-C", String(env.bed.serverCore)] : ["-p", String(srv.pid)];
        perf = start("perf", ["perf", "record", ...PERF_RECORD_ARGS, ...target, "-o", perfData], { stderrFile: join(rawDir, "perf.stderr") });
        st.procs.push(perf);
        perfRan = true;
      }
      if (await until(load.startAt + totalS * 1000, srv.proc)) {
        const s1 = await serverStats(env, cfg, srv);
        const t1 = local ? treeCounters(srv.pid) : null;
        const c1 = local && env.bed.serverCore !== null ? coreTimes(env.bed.serverCore) : null;
        const g1 = await env.bed.cgroupStats();
        const k1 = await env.bed.diskStats();
        const n1 = await serverTcpExt(env);
        measured = { dt: (performance.now() - time0) / 1000, s0, s1, t0, t1, c0, c1, g0, g1, k0, kMid, k1, n0, n1, pageCache };
      } else crashed();
      if (perf) { signal(perf, "SIGINT"); await perf.exited; }
      await stop(vm, 2000);
    } else crashed();
    clientFailures.push(...await finishLoad(gens, totalS, r.clientTimeoutS));
    for (const p of clientFailures) env.log(p);
    if (!failures.length && srv.proc.exitStatus !== null) crashed();
    if (!failures.length) {
      const stopped = await stop(srv.proc, SERVER_STOP_GRACE_S * 1000);
      if (stopped.killed) failures.push(`server did not stop within ${SERVER_STOP_GRACE_S} s of SIGTERM (killed; its processes waited in: ${stopped.waits})`);
      else if (stopped.status !== 0) failures.push(`server exited with status ${stopped.status} on SIGTERM`);
    }
    for (const g of gens) {
      if (!existsSync(g.json)) continue;
      const summary = JSON.parse(readFileSync(g.json, "utf8")) as LoadgenSummary;
      const w = existsSync(g.csv) ? await windowStats(g.csv, r.warmupS * 1000, totalS * 1000) : null;
      if (w) windows.push(w);
      // timeouts are judged over the measured window; whether the client kept its schedule, over the whole run
      clients.push({ host: g.id, expectedSessions: g.expected, summary: w ? { ...summary, by_file: w.byFile } : summary });
    }
    if (perfRan && existsSync(perfData)) {
      // the server host's threads: the server's process tree (seen at both ends of the window) and its vmstat
      const tids = new Set([...(measured?.t0?.tids ?? []), ...(measured?.t1?.tids ?? [])]);
      profile = await profilePoint(env, spec, perfData, rawDir, tids.size ? tids : null);
    }
  } catch (e) {
    if (!failures.length) failures.push(`point failed: ${(e as Error).message}`);
  } finally {
    await st.stopAll();
    if (!env.keepPerf) {
      rmSync(perfData, { force: true });
      for (const g of gens) rmSync(g.csv, { force: true });
    }
  }
  const verification = verifyPoint(clients, failures.length ? failures.join("; ") : undefined, env.bed.clientCores, clientFailures);
  writeFileSync(join(rawDir, "window.json"), JSON.stringify(windows.map((w) => ({ ...w, byFile: undefined, files: w.files.size })), null, 2) + "\n");
  const row = makeRow(env, r, clients, windows, verification, measured);
  writeFileSync(join(rawDir, "point.json"), JSON.stringify({ spec: { ...spec }, row, verification, failures }, null, 2) + "\n");
  return { row, profile, verification };
}

async function profilePoint(env: PointEnv, spec: PointSpec, perfData: string, rawDir: string, tids: Set<number> | null): Promise<ProfileCsvRow[]> {
  const out = await run(["perf", "script", "-i", perfData, "-F", PERF_SCRIPT_FIELDS], 300_000);
  const samples = parsePerfScript(out.stdout);
  // Known by name: vmstat runs in the server host too, and its threads come and go; the server host's receive threads
  // (napi/…, the testbed's NIC interrupt work) are the only ones on its core, the clients' being on theirs.
  const namedTids = new Set(samples.filter((s) => s.comm === "vmstat" || s.comm.startsWith("napi/")).map((s) => s.tid));
  const red = reduce(samples, [spec.config.server], env.sourceIndex, tids ? (t) => tids.has(t) || namedTids.has(t) : undefined);
  const unmatched = red.unmatchedKernel.slice(0, 40);
  writeFileSync(join(rawDir, "profile.json"), JSON.stringify({ samples: red.samples, idleSamples: red.idleSamples,
    foreignSamples: red.foreignSamples, sinkSamples: red.sinkSamples, unattributedPct: red.unattributedPct, reliable: red.reliable,
    unattributedLimitPct: UNATTRIBUTED_LIMIT_PCT, rows: red.rows, unmatchedKernel: unmatched }, null, 2) + "\n");
  // Table 1's rows are named by label; a profile at other rates (C9's) by label@rate
  const series = spec.figure === "table1" ? spec.config.label : `${spec.config.label}@${spec.offeredRate}`;
  if (!red.reliable) {
    env.log(`profile of ${series} UNRELIABLE: ${red.unattributedPct.toFixed(1)}% of ${red.samples} non-idle samples unattributed ` +
      `(limit ${UNATTRIBUTED_LIMIT_PCT}%); missing symbols: ${unmatched.slice(0, 12).map((u) => `${u.symbol} ${u.samples}`).join(", ") || "none (no samples)"}`);
  }
  // the profile's quality travels with it: two rows of section "quality"
  const quality = [{ section: "quality", category: "unattributed_pct", pct: red.unattributedPct },
    { section: "quality", category: "reliable", pct: red.reliable ? 1 : 0 }];
  return [...red.rows, ...quality].map((x) => ({ run_id: env.runId, series, section: x.section, category: x.category, pct: x.pct }));
}

type CgroupCounters = Awaited<ReturnType<Bed["cgroupStats"]>>;

/** Counters read before (…0) and after (…1) the measured load, dt seconds apart. */
interface Measured {
  dt: number; s0: ServerStats | null; s1: ServerStats | null; t0: TreeCounters | null; t1: TreeCounters | null;
  c0: CoreTimes | null; c1: CoreTimes | null; g0: CgroupCounters; g1: CgroupCounters;
  k0: DiskCounters | null; kMid: DiskCounters | null; k1: DiskCounters | null; pageCache: number[];
  n0: Record<string, number> | null; n1: Record<string, number> | null; // the server host's TcpExt counters
}

/** The server-side columns: its core's iowait, its CPU (share of its quota), context switches, page cache, the disk's
 *  reads and utilisation (its busy time over the window), events, and the CFS quota's throttling (cpu.stat). */
function serverColumns(m: Measured, env: PointEnv, rawDir: string) {
  const d = (a: unknown, b: unknown) => num(b) - num(a);
  const vm = vmstatInterval(parseVmstat(existsSync(join(rawDir, "vmstat.txt")) ? readFileSync(join(rawDir, "vmstat.txt"), "utf8") : ""));
  const iowait = m.c0 && m.c1 && m.c1.total > m.c0.total ? (100 * (m.c1.iowait - m.c0.iowait)) / (m.c1.total - m.c0.total) : mean(vm.map((v) => v.wa));
  const cpu = m.g0 && m.g1 ? (100 * (m.g1.cpuUsageNs - m.g0.cpuUsageNs)) / 1e9 / m.dt / env.bed.quota
    : m.t0 && m.t1 ? (100 * (m.t1.cpuTicks - m.t0.cpuTicks)) / CLK_TCK / m.dt : NaN;
  const calls = d(m.s0?.event_calls, m.s1?.event_calls);
  return {
    iowait_pct: iowait,
    server_cpu_pct: cpu,
    ctx_switches_per_s: m.t0 && m.t1 ? (m.t1.ctxSwitches - m.t0.ctxSwitches) / m.dt : NaN,
    user_ctx_switches_per_s: d(m.s0?.user_ctx_switches, m.s1?.user_ctx_switches) / m.dt,
    page_cache_kb: m.pageCache.length ? mean(m.pageCache) : mean(vm.map((v) => v.cache_kb)),
    disk_reads: m.k0 && m.k1 ? m.k1.reads - m.k0.reads : null,
    disk_read_bytes: m.k0 && m.k1 ? m.k1.readBytes - m.k0.readBytes : null,
    disk_util_pct: m.k0?.busyNs != null && m.k1?.busyNs != null ? (100 * (m.k1.busyNs - m.k0.busyNs)) / 1e9 / m.dt : null,
    event_calls_per_s: calls / m.dt,
    mean_interest_set: calls > 0 ? d(m.s0?.event_fds_total, m.s1?.event_fds_total) / calls : NaN,
    cpu_nr_periods: m.g0 && m.g1 ? m.g1.periods - m.g0.periods : null,
    cpu_nr_throttled: m.g0 && m.g1 ? m.g1.throttledPeriods - m.g0.throttledPeriods : null,
    cpu_throttled_ms: m.g0 && m.g1 ? (m.g1.throttledNs - m.g0.throttledNs) / 1e6 : null,
    listen_drops_per_s: m.n0?.ListenDrops != null && m.n1?.ListenDrops != null ? (m.n1.ListenDrops - m.n0.ListenDrops) / m.dt : null,
  };
}

/** The disk regime a point ran in: the disk's reads (page-cache misses, in readahead-sized requests) per request
 *  started, over the window and each half of it; the distinct files the window's requests asked for, and their bytes. */
function cacheColumns(windows: WindowStats[], m: Measured | null) {
  const requests = windows.reduce((a, w) => a + w.requests, 0);
  const firstHalf = windows.reduce((a, w) => a + w.requestsFirstHalf, 0);
  const files = new Set(windows.flatMap((w) => [...w.files]));
  const bytes = [...files].reduce((a, uri) => a + (pathSize(uri) ?? 0), 0);
  const per = (a: DiskCounters | null | undefined, b: DiskCounters | null | undefined, n: number) => (a && b && n > 0 ? (b.reads - a.reads) / n : null);
  return {
    disk_seeks: m?.k0?.seeks != null && m?.k1?.seeks != null ? m.k1.seeks - m.k0.seeks : null,
    misses_per_request: per(m?.k0, m?.k1, requests),
    misses_per_request_h1: per(m?.k0, m?.kMid, firstHalf),
    misses_per_request_h2: per(m?.kMid, m?.k1, requests - firstHalf),
    distinct_files: files.size, distinct_bytes: bytes,
  };
}

/** The points.csv row: rates and throughput in paper units (testbed value ÷ k), counted over the measured window. */
function makeRow(env: PointEnv, r: PointRun, clients: ClientResult[], windows: WindowStats[], v: Verification, m: Measured | null): PointRow {
  const cfg = r.spec.config;
  const has = windows.length > 0;
  const sum = (f: (w: WindowStats) => number) => windows.reduce((a, w) => a + f(w), 0);
  const err = (cls: string) => sum((w) => w.errors[cls] ?? 0);
  const replies = sum((w) => w.replies);
  const byReplies = (f: (w: WindowStats) => number) => (replies ? sum((w) => f(w) * w.replies) / replies : NaN);
  const extra = m ? serverColumns(m, env, r.rawDir) : null;
  const cache = has ? cacheColumns(windows, m) : null;
  const halves = has ? halfRates(windows.map((w) => w.repliesPerSecond), r.warmupS, r.warmupS + r.durationS) : null;
  const known = ["client-timo", "socket-timo", "connrefused", "connreset", "fd-unavail"];
  return {
    run_id: env.runId, figure: r.spec.figure, series: cfg.label, server: cfg.server, variant: cfg.variant,
    max_conns: cfg.maxConns, procs_or_workers: cfg.procsOrWorkers,
    offered_rate: r.spec.offeredRate, offered_rate_testbed: testbedRate(r.spec.offeredRate, env.k), k: env.k,
    duration_s: r.durationS,
    sessions: has ? sum((w) => w.sessions) : null,
    requests: has ? sum((w) => w.requests) : null,
    replies: has ? replies : null,
    reply_rate: has ? paperUnits(replies / r.durationS, env.k) : null,
    throughput_mbps: has ? paperUnits((sum((w) => w.bytes) * 8) / 1e6 / r.durationS, env.k) : null,
    mean_response_ms: has ? byReplies((w) => w.responseMs.mean) : null,
    median_response_ms: has ? byReplies((w) => w.responseMs.median) : null, // replies-weighted mean of the generators' medians
    p90_response_ms: has ? byReplies((w) => w.responseMs.p90) : null,
    errors_total: has ? sum((w) => Object.values(w.errors).reduce((a, b) => a + b, 0)) : null,
    client_timo: has ? err("client-timo") : null, socket_timo: has ? err("socket-timo") : null,
    connrefused: has ? err("connrefused") : null, connreset: has ? err("connreset") : null,
    fd_unavail: has ? err("fd-unavail") : null,
    other_errors: has ? sum((w) => Object.entries(w.errors).filter(([c]) => !known.includes(c)).reduce((a, [, n]) => a + n, 0)) : null,
    timeout_pct: has ? v.timeoutPct : null, max_file_timeout_pct: has ? v.maxFileTimeoutPct : null,
    iowait_pct: extra?.iowait_pct ?? null, server_cpu_pct: extra?.server_cpu_pct ?? null,
    ctx_switches_per_s: extra?.ctx_switches_per_s ?? null, user_ctx_switches_per_s: extra?.user_ctx_switches_per_s ?? null,
    page_cache_kb: extra?.page_cache_kb ?? null, disk_reads: extra?.disk_reads ?? null,
    disk_read_bytes: extra?.disk_read_bytes ?? null, disk_util_pct: extra?.disk_util_pct ?? null, event_calls_per_s: extra?.event_calls_per_s ?? null,
    mean_interest_set: extra?.mean_interest_set ?? null,
    disk_seeks: cache?.disk_seeks ?? null, misses_per_request: cache?.misses_per_request ?? null,
    misses_per_request_h1: cache?.misses_per_request_h1 ?? null, misses_per_request_h2: cache?.misses_per_request_h2 ?? null,
    distinct_files: cache?.distinct_files ?? null, distinct_bytes: cache?.distinct_bytes ?? null,
    page_cache_prepared_kb: env.preparedPageCacheBytes == null ? null : env.preparedPageCacheBytes / 1024,
    reply_rate_h1: halves ? paperUnits(halves[0], env.k) : null, reply_rate_h2: halves ? paperUnits(halves[1], env.k) : null,
    listen_drops_per_s: extra?.listen_drops_per_s ?? null,
    client_cpu_pct: clients.length ? v.clientCpuPct : null, start_lateness_ms: clients.length ? v.latenessMs : null,
    cpu_nr_periods: extra?.cpu_nr_periods ?? null, cpu_nr_throttled: extra?.cpu_nr_throttled ?? null,
    cpu_throttled_ms: extra?.cpu_throttled_ms ?? null,
    verdict: v.verdict, verdict_reason: v.reasons.join("; "),
  };
}

/** Connection cap a configuration gets on the testbed (for logs). */
export function describePoint(spec: PointSpec, k: number): string {
  return `${spec.figure} ${spec.config.label} @ ${spec.offeredRate} req/s (testbed ${Math.round(testbedRate(spec.offeredRate, k))} req/s, ` +
    `${testbedConns(spec.config.maxConns, k)} conns)`;
}
