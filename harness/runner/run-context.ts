// What every command shares: the testbed brought up and limited, the workload built, a results folder, the executor.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir, hostname, cpus } from "node:os";
import { join, resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { buildFileSet, fileSetBytes } from "../../lib/fileset.ts";
import { MAX_SESSIONS_PER_FILE, PAPER_SESSION_MODEL, expectedStats, generateSessionLogs, type SessionLogStats } from "../workload/sessions.ts";
import { indexSources } from "../profiler/reduce.ts";
import { run as runCmd, stopAll } from "../lib/proc.ts";
import { openBed, type Bed } from "./bed.ts";
import { writeAtomic } from "./results.ts";
import { runPoint, type PointEnv, type Workload, type PointRun, type PointOutcome } from "./point.ts";
import { MAX_K, checkK, testbedRate } from "./scale.ts";
import { pageCache } from "./page-cache.ts";

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

export interface RunContextOptions {
  hosts?: string;              // env hosts file (default: the emulated testbed)
  resultsRoot: string;         // results/
  dataDir: string;             // file set, session logs, scratch (git-ignored work-data/)
  dirs: number;                // file-set directories (680 = the paper's 3.2 GiB)
  seed: number;
  loadgensPerClient: number;
  prewarm: boolean;            // prepare each point's page cache (page-cache.ts); false: leave it as found (smoke tests)
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

/** A point's seed: its id hashed with the run's seed (FNV-1a), so that a point draws the same session logs and
 *  page-cache prefix whenever it runs, and other ones than every other point. */
export function pointSeed(seed: number, pointId: string): number {
  let h = 0x811c9dc5;
  for (const c of Buffer.from(`${seed}:${pointId}`)) h = Math.imul(h ^ c, 0x01000193) >>> 0;
  return h;
}

/** Margin over the sessions a point's schedule starts (its rate is met exactly; this covers rounding and drift). */
const SESSION_MARGIN = 1.05;

/** Sessions each of a point's logs holds: what its schedule starts over warm-up and window at its testbed rate, with
 *  a margin, so that no session repeats within the point (a log's sessions are replayed round-robin). */
export function sessionsPerLog(testbedRate: number, seconds: number, generators: number): number {
  const perS = testbedRate / expectedStats(PAPER_SESSION_MODEL).meanRequestsPerSession / generators;
  return Math.min(MAX_SESSIONS_PER_FILE, Math.ceil(perS * seconds * SESSION_MARGIN) + 100);
}

/** Builds (or reuses) the file set. A file set that fits in the server's memory removes the paper's regime (a
 *  server that blocks on disk misses): that is an error unless the page cache is left as found (smoke tests). */
export function prepareFileSet(o: RunContextOptions, memoryBytes: number | null): string {
  const bytes = fileSetBytes(o.dirs);
  if (o.prewarm && memoryBytes !== null && bytes <= memoryBytes) {
    throw new Error(`the file set (--dirs ${o.dirs}: ${(bytes / 2 ** 30).toFixed(2)} GiB) fits in the server's memory ` +
      `(server.memoryLimitBytes ${(memoryBytes / 2 ** 30).toFixed(2)} GiB): use more directories (680 is the paper's 3.2 GB), ` +
      `or --no-prewarm for a smoke test`);
  }
  const root = join(o.dataDir, `fileset-${o.dirs}d-seed${o.seed}`);
  if (!existsSync(join(root, "MANIFEST.tsv"))) o.log(`building the file set (${o.dirs} directories) in ${root}`);
  buildFileSet({ root, dirs: o.dirs, seed: o.seed });
  return root;
}

/** Writes one point's session logs (one per load generator, drawn from the point's seed) into `dir`. */
export function pointWorkload(root: string, dirs: number, seed: number, generators: number, perLog: number, dir: string):
  Workload & { stats: SessionLogStats } {
  rmSync(dir, { recursive: true, force: true });
  const r = generateSessionLogs({ outDir: dir, files: generators, sessionsPerFile: perLog, dirs, seed });
  return { root, logs: r.paths, meanRequestsPerSession: r.stats.meanRequestsPerSession, stats: r.stats };
}

export interface RunContext {
  bed: Bed;
  /** the file set, and how each point's logs are drawn (for run.json) */
  workload: { root: string; generators: number; describe: Record<string, unknown> };
  pointEnv: (runId: string, k: number) => PointEnv;
  executor: (env: PointEnv) => (r: PointRun) => Promise<PointOutcome>;
  /** how each point's page cache is prepared (page-cache.ts), for run.json */
  cacheRule: Record<string, unknown>;
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
export async function openRunContext(o: RunContextOptions): Promise<RunContext> {
  const bed = openBed(o.hosts);
  const loadgen = join(REPO, "harness/loadgen/loadgen");
  if (!existsSync(loadgen)) throw new Error(`${loadgen} is missing: make -C harness/loadgen`);
  const unlock = lockTestbed(bed);
  const memory = bed.cfg.kind === "loopback" ? null : bed.cfg.server.memoryLimitBytes;
  const generators = bed.clientHosts.length * o.loadgensPerClient;
  let root: string;
  try {
    root = prepareFileSet(o, memory);
    o.log(`testbed ${bed.kind} (${bed.cfg.source}): ${await bed.up(o.log)}`);
  } catch (e) {
    unlock();
    throw e;
  }
  // this process's own scratch: another runner on the same data folder never touches its files
  const scratch = join(o.dataDir, "scratch", String(process.pid));
  mkdirSync(scratch, { recursive: true });
  const sourceIndex = indexSources(REPO, "servers");
  const cache = o.prewarm ? pageCache(bed, root, o.dirs, scratch, o.log) : null;
  const logsDir = join(scratch, "point-logs");
  return {
    bed,
    workload: { root, generators, describe: { rule: "per point: session logs drawn afresh from the point's seed (its id hashed " +
      "with the run's seed), sized so that no session repeats within it", model: PAPER_SESSION_MODEL, expected: expectedStats(PAPER_SESSION_MODEL) } },
    cacheRule: cache ? cache.describe() : { state: "left as found (--no-prewarm)" },
    pointEnv: (runId, k) => ({
      bed, k: checkK(k), runId, binDir: join(REPO, "servers/bin"), loadgen, workload: { root, logs: [], meanRequestsPerSession: NaN },
      loadgensPerClient: o.loadgensPerClient, scratch, sourceIndex, keepPerf: o.keepPerf, log: o.log,
    }),
    // Each point draws its own logs, then starts from a page cache its own kind of stream prepared (both from its seed).
    executor: (env) => async (r) => {
      const seed = pointSeed(o.seed, r.spec.id);
      const perLog = sessionsPerLog(testbedRate(r.spec.offeredRate, env.k), r.warmupS + r.durationS, generators);
      const workload = pointWorkload(root, o.dirs, seed, generators, perLog, logsDir);
      writeFileSync(join(r.rawDir, "workload.json"), JSON.stringify({ seed, sessions_per_log: perLog, stats: workload.stats }) + "\n");
      try {
        const prepared = cache ? await cache.prepare(seed, env.k) : null;
        if (prepared) writeFileSync(join(r.rawDir, "page-cache.json"), JSON.stringify(prepared) + "\n");
        return await runPoint({ ...env, workload, preparedPageCacheBytes: prepared?.page_cache_bytes ?? null }, r);
      } finally {
        rmSync(logsDir, { recursive: true, force: true });
      }
    },
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

/**
 * Commit and whether the tree's code differed from it, for run.json. Changes under results/ are data, not code: a
 * resumed run's own points.csv and run.json differ from the commit until the segment is committed.
 */
export async function gitFacts(repo = REPO): Promise<{ commit: string; commit_dirty: boolean }> {
  const head = await runCmd(["git", "-C", repo, "rev-parse", "HEAD"]);
  const st = await runCmd(["git", "-C", repo, "status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)results"]);
  return { commit: String(head.stdout).trim(), commit_dirty: String(st.stdout).trim().length > 0 };
}

/** k for a run: --k if given, else the calibration's, else (uncalibrated) the fd-limit bound. */
export function chooseK(flag: number | undefined, cal: Calibration | null): number {
  return checkK(flag ?? cal?.k ?? Math.min(0.5, MAX_K));
}
