// The run loop: every point of the matrix in its run order (trial by trial, each trial in a random order drawn from a
// recorded seed), skipping finished ones, with correctness runs, idle, progress and Ctrl-C.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stopAll } from "../lib/proc.ts";
import { Rng } from "../workload/random.ts";
import { estimatePointS, type PointSpec, type Profile } from "./experiments.ts";
import type { RunResults } from "./results.ts";
import type { PointOutcome, PointRun } from "./point.ts";

export type Executor = (run: PointRun) => Promise<PointOutcome>;

export interface RunLoopOptions {
  results: RunResults;
  points: PointSpec[];
  profile: Profile;
  executor: Executor;
  signal: AbortSignal;
  /** check every reply's bytes on each configuration's first point (its correctness run) */
  correctness: boolean;
  log: (m: string) => void;
  /** seconds since the epoch; injectable for tests */
  now?: () => number;
}

export interface RunSummary { total: number; ran: number; skipped: number; interrupted: boolean }

/** Sleeps, waking early when the run is interrupted. */
export function pause(s: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted || s <= 0) return resolve();
    const t = setTimeout(done, s * 1000);
    function done() { clearTimeout(t); signal.removeEventListener("abort", done); resolve(); }
    signal.addEventListener("abort", done);
  });
}

const hms = (s: number) => {
  s = Math.max(0, Math.round(s));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
  return h ? `${h}h${String(m).padStart(2, "0")}m` : `${m}m${String(s % 60).padStart(2, "0")}s`;
};

/** "point 3/31 … elapsed 2m05s, ETA 20m10s", the ETA from the measured mean time of the points run so far. */
export function progressLine(n: number, total: number, elapsedS: number, ranS: number[], profile: Profile, what: string): string {
  const per = ranS.length ? ranS.reduce((a, b) => a + b, 0) / ranS.length : estimatePointS(profile);
  return `point ${n}/${total} ${what} — elapsed ${hms(elapsedS)}, ETA ${hms(per * (total - n + 1))}`;
}

/**
 * The order a run measures its points in (Randomized Multiple Interleaved Trials, Abedi & Brecht, ICPE 2017): trial
 * 1's points all, then trial 2's, …, each trial shuffled afresh (Fisher–Yates) by one generator seeded with `seed`,
 * so that no configuration is always measured at the same time of the run or after the same neighbour. `recorded`
 * (run.json's `order`, on a resume) is kept as it is; points it lacks (an experiment added to the run) are drawn
 * the same way and follow it, from the stream of `seed` numbered by how many were recorded.
 */
export function runOrder(points: PointSpec[], seed: number, recorded: string[] = []): PointSpec[] {
  const byId = new Map(points.map((p) => [p.id, p]));
  const kept = recorded.filter((id) => byId.has(id)).map((id) => byId.get(id)!);
  const known = new Set(recorded);
  const rest = points.filter((p) => !known.has(p.id));
  const rng = new Rng(seed >>> 0, recorded.length);
  const trials = [...new Set(rest.map((p) => p.trial ?? 1))].sort((a, b) => a - b);
  return [...kept, ...trials.flatMap((t) => rng.shuffled(rest.filter((p) => (p.trial ?? 1) === t)))];
}

interface CorrectnessResult { verdict: string; reason: string; point: string }

/** The correctness check of §3.4 rides on each configuration's first point to run: the load
 *  generators check every reply's bytes there, and the result, kept in raw/correctness__<label>.json, marks the
 *  configuration's later points too. */
function correctnessFile(results: RunResults, label: string): string {
  return join(results.dir, "raw", `correctness__${label}.json`);
}

function readCorrectness(results: RunResults, label: string): CorrectnessResult | null {
  const f = correctnessFile(results, label);
  return existsSync(f) ? (JSON.parse(readFileSync(f, "utf8")) as CorrectnessResult) : null;
}

/** Runs the points in the order given (see runOrder); returns when every point is recorded or the signal aborts (then
 *  nothing half-done is recorded). */
export async function runPoints(o: RunLoopOptions): Promise<RunSummary> {
  const now = o.now ?? (() => Date.now() / 1000);
  const t0 = now();
  const done = o.results.donePoints();
  const todo = o.points.filter((p) => !done.has(p.id));
  const summary: RunSummary = { total: o.points.length, ran: 0, skipped: o.points.length - todo.length, interrupted: false };
  if (summary.skipped) o.log(`resuming: ${summary.skipped} of ${summary.total} points already recorded`);
  const ranS: number[] = [];

  for (const [i, spec] of todo.entries()) {
    if (o.signal.aborted) break;
    const n = summary.skipped + i + 1;
    const started = now();
    const label = spec.config.label;
    o.log(progressLine(n, summary.total, started - t0, ranS, o.profile, `${spec.figure} ${label} @ ${spec.offeredRate} req/s, trial ${spec.trial ?? 1}`));
    const checked = o.correctness ? readCorrectness(o.results, label) : null;
    const verifyBytes = o.correctness && !checked;
    if (verifyBytes) o.log(`  this point is ${label}'s correctness run: every reply's bytes are checked`);
    const rawDir = o.results.freshRawDir(spec.id);
    const outcome = await o.executor({ spec, rawDir, warmupS: o.profile.warmupS, durationS: o.profile.durationS, verifyBytes,
      clientTimeoutS: o.profile.clientTimeoutS });
    if (o.signal.aborted) break; // the point was cut short: it is not recorded, a resume runs it again
    // the executor measures a point; which trial it belongs to is the run's
    outcome.row.trial = spec.trial ?? 1;
    for (const r of outcome.profile) r.trial = spec.trial ?? 1;
    if (checked?.verdict === "fail-bytes" && outcome.row.verdict !== "server-failed") {
      outcome.row.verdict = "fail-bytes";
      outcome.row.verdict_reason = [`correctness run (${checked.point}): ${checked.reason}`, outcome.row.verdict_reason].filter(Boolean).join("; ");
    }
    o.results.appendPoint(outcome.row, outcome.profile);
    if (verifyBytes && outcome.row.verdict !== "server-failed") {
      writeFileSync(correctnessFile(o.results, label),
        JSON.stringify({ verdict: outcome.row.verdict, reason: String(outcome.row.verdict_reason ?? ""), point: spec.id }) + "\n");
    }
    summary.ran++;
    o.log(`  → ${outcome.row.verdict}: ${fmtNum(outcome.row.reply_rate)} replies/s, ${fmtNum(outcome.row.throughput_mbps)} Mbps (paper units)` +
      (outcome.row.verdict_reason ? ` — ${outcome.row.verdict_reason}` : ""));
    if (i < todo.length - 1) await pause(o.profile.idleS, o.signal);
    ranS.push(now() - started);
  }
  summary.interrupted = o.signal.aborted;
  return summary;
}

const fmtNum = (x: unknown) => (typeof x === "number" && Number.isFinite(x) ? Math.round(x).toString() : "—");

/** Ctrl-C / SIGTERM: abort the run and end every process it started; a second Ctrl-C exits at once. */
export function installInterrupt(controller: AbortController, log: (m: string) => void): () => void {
  let count = 0;
  const handler = (sig: NodeJS.Signals) => {
    if (++count > 1) process.exit(130);
    log(`${sig}: stopping the run (servers, load generators, vmstat, perf); finished points are kept`);
    controller.abort();
    void stopAll();
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return () => { process.off("SIGINT", handler); process.off("SIGTERM", handler); };
}
