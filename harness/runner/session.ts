// What every command shares: the testbed brought up and limited, the workload built, a results folder, the executor.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir, hostname, cpus } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { buildFileSet } from "../../lib/fileset.ts";
import { PAPER_SESSION_MODEL, expectedStats, generateSessionLogs } from "../workload/sessions.ts";
import { HTTPERF_MAX_SESSIONS } from "../workload/wsesslog.ts";
import { indexSources } from "../profiler/reduce.ts";
import { run as runCmd, stopAll } from "../lib/proc.ts";
import { openBed, type Bed } from "./bed.ts";
import { writeAtomic } from "./results.ts";
import { runPoint, type PointEnv, type Workload, type PointRun, type PointOutcome } from "./point.ts";
import { MAX_K, checkK } from "./scale.ts";
import { AXIS_TOP } from "./experiments.ts";
import { pageCache } from "./cache.ts";

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

export interface SessionOptions {
  hosts?: string;              // env hosts file (default: the emulated testbed)
  resultsRoot: string;         // results/
  dataDir: string;             // file set, session logs, scratch (git-ignored work-data/)
  dirs: number;                // file-set directories (680 = the paper's 3.2 GiB)
  seed: number;
  loadgensPerClient: number;
  pointSeconds: number;        // warm-up + window of this command's longest point (sizes the session logs)
  prewarm: boolean;            // evict the file set and read its most-requested files at the start (cache.ts)
  keepPerf: boolean;           // keep perf.data and the per-request CSVs (--keep-scratch)
  log: (m: string) => void;
}

export interface Calibration {
  quota: number;               // fraction of one core
  k: number;
  converged: boolean;
  testbed: { kind: string; source: string; config?: unknown };
  machine?: Machine;
  [key: string]: unknown;
}

export function calibrationPath(resultsRoot: string): string {
  return join(resultsRoot, "calibration.json");
}

export function readCalibration(resultsRoot: string): Calibration | null {
  const p = calibrationPath(resultsRoot);
  return existsSync(p) ? (JSON.parse(readFileSync(p, "utf8")) as Calibration) : null;
}

export function writeCalibration(resultsRoot: string, c: Calibration): void {
  writeAtomic(calibrationPath(resultsRoot), JSON.stringify(c, null, 2) + "\n");
}

export interface Machine { hostname: string; cpuModel: string; cpus: number }

/** The machine a calibration belongs to: another machine (or a changed one) needs its own. */
export function thisMachine(): Machine {
  return { hostname: hostname(), cpuModel: cpus()[0]?.model ?? "unknown", cpus: cpus().length };
}

/** The calibration that applies to this testbed, or an error saying how to get one (or to pass --uncalibrated). */
/** Why the stored calibration does not hold for this testbed, or null when it does. A calibration belongs to one
 *  machine and one testbed configuration (the hosts file's every setting: quota period, memory, disk model, …). */
export function calibrationMismatch(c: Calibration | null, bed: Bed, resultsRoot: string): string | null {
  if (!c) return `no ${calibrationPath(resultsRoot)}`;
  if (!c.converged) return "the last calibration did not converge";
  if (!c.machine || JSON.stringify(c.machine) !== JSON.stringify(thisMachine())) return `the calibration was made on another machine (${JSON.stringify(c.machine ?? "unknown")})`;
  if (c.testbed.kind !== bed.kind || resolve(c.testbed.source) !== resolve(bed.cfg.source)) return `the calibration was made on ${c.testbed.kind} testbed ${c.testbed.source}`;
  if (JSON.stringify(c.testbed.config ?? null) !== JSON.stringify(bed.cfg)) return `the testbed's configuration (${bed.cfg.source}) changed since the calibration`;
  return null;
}

export function requireCalibration(bed: Bed, resultsRoot: string, uncalibrated: boolean): Calibration | null {
  const c = readCalibration(resultsRoot);
  const why = calibrationMismatch(c, bed, resultsRoot);
  if (why === null) return c;
  if (uncalibrated) return null;
  throw new Error(`uncalibrated testbed (${why}): run \`make calibrate\` first, or pass --uncalibrated (results then say so)`);
}

/** Sessions each load generator's log holds: enough that none repeats within a point of `pointSeconds` at the
 *  axis' top rate and the largest k (a log's templates are replayed round-robin). With a few thousand sessions
 *  in all, every point would request the same 7,400 files (207 MB of the 3.2 GiB set, measured): a working set
 *  that fits in memory, unlike the paper's. Rounded up to thousands so that nearby durations share logs. */
export function sessionsPerLog(pointSeconds: number, generators: number): number {
  const sessionsPerS = (AXIS_TOP * MAX_K) / expectedStats(PAPER_SESSION_MODEL).meanRequestsPerSession;
  const need = (sessionsPerS * pointSeconds) / generators;
  return Math.max(HTTPERF_MAX_SESSIONS, Math.ceil(need / 1000) * 1000);
}

/** Builds (or reuses) the file set and one session log per load generator process. */
export function prepareWorkload(o: SessionOptions, generators: number): Workload & { sessions: Record<string, unknown> } {
  const root = join(o.dataDir, `fileset-${o.dirs}d-seed${o.seed}`);
  if (!existsSync(join(root, "MANIFEST.tsv"))) o.log(`building the file set (${o.dirs} directories) in ${root}`);
  buildFileSet({ root, dirs: o.dirs, seed: o.seed });
  const perLog = sessionsPerLog(o.pointSeconds, generators);
  const outDir = join(o.dataDir, `sessions-${o.dirs}d-seed${o.seed}-${generators}f-${perLog}s`);
  const meta = join(outDir, "sessions.json");
  let info: { stats: { meanRequestsPerSession: number } } & Record<string, unknown>;
  let logs: string[];
  if (existsSync(meta)) {
    info = JSON.parse(readFileSync(meta, "utf8"));
    logs = Array.from({ length: generators }, (_, f) => join(outDir, `sessions-${String(f).padStart(3, "0")}.wsesslog`));
  } else {
    o.log(`writing ${generators} session logs of ${perLog} sessions each in ${outDir}`);
    const r = generateSessionLogs({ outDir, files: generators, sessionsPerFile: perLog, dirs: o.dirs, seed: o.seed });
    logs = r.paths;
    info = JSON.parse(readFileSync(meta, "utf8"));
  }
  return { root, logs, meanRequestsPerSession: info.stats.meanRequestsPerSession, sessions: info };
}

export interface Session {
  bed: Bed;
  workload: ReturnType<typeof prepareWorkload>;
  pointEnv: (runId: string, k: number) => PointEnv;
  executor: (env: PointEnv) => (r: PointRun) => Promise<PointOutcome>;
  /** brings the page cache to the run's starting state (or records that it was left as found); from then on each
   *  point starts by topping it up when it has fallen well below that state (cache.ts) */
  prepareCache: () => Promise<Record<string, unknown>>;
  close: () => Promise<void>;
}

/** One user of a testbed at a time: a second runner (or a bench using this module) would tear the first one's
 *  testbed down under it. The lock names the holder's PID; a lock whose holder is gone is taken over. */
export function lockTestbed(bed: Bed): () => void {
  const file = join(tmpdir(), `webarch-testbed-${bed.cfg.prefix}${bed.cfg.cgroupParent.replace(/\//g, "_")}.lock`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: "wx" });
      return () => rmSync(file, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const holder = Number(readFileSync(file, "utf8"));
      let alive = holder > 0;
      try { if (alive) process.kill(holder, 0); } catch { alive = false; }
      if (alive && holder !== process.pid) throw new Error(`testbed ${bed.cfg.source} is in use by process ${holder} (lock ${file})`);
      rmSync(file, { force: true });
    }
  }
  throw new Error(`could not lock testbed ${bed.cfg.source}`);
}

/** Opens the testbed (up), builds the workload, and returns what a command needs; close() stops and tears down. */
export async function openSession(o: SessionOptions): Promise<Session> {
  const bed = openBed(o.hosts);
  const loadgen = join(REPO, "harness/loadgen/loadgen");
  if (!existsSync(loadgen)) throw new Error(`${loadgen} is missing: make -C harness/loadgen`);
  const unlock = lockTestbed(bed);
  let workload: ReturnType<typeof prepareWorkload>;
  try {
    workload = prepareWorkload(o, bed.clientHosts.length * o.loadgensPerClient);
    o.log(`testbed ${bed.kind} (${bed.cfg.source}): ${await bed.up(o.log)}`);
  } catch (e) {
    unlock();
    throw e;
  }
  // this process's own scratch: another runner on the same data folder never touches its files
  const scratch = join(o.dataDir, "scratch", String(process.pid));
  mkdirSync(scratch, { recursive: true });
  const sourceIndex = indexSources(REPO, "servers");
  const cache = o.prewarm ? pageCache(bed, workload.root, o.dirs, scratch, o.log) : null;
  return {
    bed, workload,
    pointEnv: (runId, k) => ({
      bed, k: checkK(k), runId, binDir: join(REPO, "servers/bin"), loadgen, workload, loadgensPerClient: o.loadgensPerClient,
      scratch, sourceIndex, keepPerf: o.keepPerf, log: o.log,
    }),
    executor: (env) => async (r) => {
      const topUp = await cache?.topUp(env.k);
      if (topUp) writeFileSync(join(r.rawDir, "page-cache-top-up.json"), JSON.stringify(topUp) + "\n");
      return runPoint(env, r);
    },
    prepareCache: async () => (cache ? cache.prepare() : { state: "left as found (--no-prewarm)" }),
    close: async () => {
      await stopAll();
      try {
        o.log(`testbed: ${await bed.down(o.log)}`);
      } finally {
        unlock();
        if (!o.keepPerf) rmSync(scratch, { recursive: true, force: true });
      }
    },
  };
}

/** Commit and whether the tree had changes, for run.json. */
export async function gitFacts(): Promise<{ commit: string; commit_dirty: boolean }> {
  const head = await runCmd(["git", "-C", REPO, "rev-parse", "HEAD"]);
  const st = await runCmd(["git", "-C", REPO, "status", "--porcelain", "--untracked-files=no"]);
  return { commit: String(head.stdout).trim(), commit_dirty: String(st.stdout).trim().length > 0 };
}

/** k for a run: --k if given, else the calibration's, else (uncalibrated) the fd-limit bound. */
export function chooseK(flag: number | undefined, cal: Calibration | null): number {
  return checkK(flag ?? cal?.k ?? Math.min(0.5, MAX_K));
}
