// Command line of the experiment runner: run, replicate, calibrate, tune (each with --dry-run where it makes sense).
import { parseArgs } from "node:util";
import { join } from "node:path";
import { cpus, totalmem, hostname } from "node:os";
import { randomInt } from "node:crypto";
import {
  EXPERIMENTS, PROFILES, getProfile, runMatrix, figureLines, estimatePointS, pointId, trialsOf, CLIENT_TIMEOUT_S, knownLabels, type MatrixOptions, type PointSpec, type Profile,
} from "./experiments.ts";
import { RunResults } from "./results.ts";
import { runPoints, runOrder, installInterrupt } from "./run.ts";
import { describePoint } from "./point.ts";
import { REFERENCE, QUOTA_TOLERANCE, searchQuota, searchK, refineQuota, K_CANDIDATES } from "./calibrate.ts";
import { getFamily, coarseMatrix, fineMatrix, best, score, FAMILIES } from "./tune.ts";
import { parseLabel, connsPerFdTable } from "./labels.ts";
import { openBed } from "./bed.ts";
import { hardFdLimit, ownRlimits } from "../../env/lib/report.ts";
import { MAX_K } from "./scale.ts";
import { Rng } from "../workload/random.ts";
import { guestUnchecked, machineDifferences, machineIdentity, type MachineIdentity } from "../lib/machine.ts";
import { PERF_RECORD_ARGS } from "../profiler/reduce.ts";
import {
  REPO, openRunContext, requireCalibration, calibrationMismatch, thisMachine, readCalibration, writeCalibration, gitFacts, chooseK, calibrationPath,
  type RunContextOptions, type RunContext,
} from "./run-context.ts";

const USAGE = `usage: cli.ts <command> [options]
  run        --experiment fig7[,table1…] --profile quick|standard|full [--series L,…] [--rates R,…]
             [--dry-run] [--resume RUN_ID [--redo-server-failed] [--redo-series L,…]]
  replicate  --profile quick|standard|full [--run-id ID] [--dry-run]   (calibrates first when the testbed is not;
             an existing run's id resumes it, given its own profile)
  calibrate  [--k K] [--duration S] [--warmup S]               (quota for ${REFERENCE.label}; largest k)
  tune       --family ${Object.keys(FAMILIES).join("|")} [--rates 15000,30000] [--profile quick] [--dry-run]
common: [--k K] [--quota F] [--uncalibrated] [--run-id ID] [--hosts env/hosts/FILE.json] [--results DIR] [--data DIR] [--dirs 680] [--seed 1] [--order-seed N] [--loadgens-per-client 1]
        [--duration S] [--warmup S] [--idle S] [--client-timeout S (smoke tests only)] [--no-prewarm (page cache left as found: smoke tests)] [--keep-scratch] [--no-correctness]
experiments: ${EXPERIMENTS.map((e) => e.id).join(", ")}; profiles: ${Object.keys(PROFILES).join(", ")}`;

const log = (m: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${m}`);

const { positionals, values: v } = parseArgs({
  allowPositionals: true,
  options: {
    experiment: { type: "string" }, profile: { type: "string" }, series: { type: "string" }, rates: { type: "string" },
    "dry-run": { type: "boolean" }, resume: { type: "string" }, "redo-server-failed": { type: "boolean" }, "redo-series": { type: "string" },
    "run-id": { type: "string" }, k: { type: "string" },
    uncalibrated: { type: "boolean" }, hosts: { type: "string" }, results: { type: "string" }, data: { type: "string" },
    dirs: { type: "string" }, seed: { type: "string" }, "order-seed": { type: "string" }, "loadgens-per-client": { type: "string" },
    duration: { type: "string" }, warmup: { type: "string" }, idle: { type: "string" }, "client-timeout": { type: "string" },
    "no-prewarm": { type: "boolean" }, "keep-scratch": { type: "boolean" }, "no-correctness": { type: "boolean" },
    family: { type: "string" }, quota: { type: "string" }, help: { type: "boolean" },
  },
});

function numberOpt(name: string, fallback?: number): number | undefined {
  const x = (v as Record<string, unknown>)[name];
  if (x === undefined) return fallback;
  const n = Number(x);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number, got "${x}"`);
  return n;
}
const listOpt = (x: string | undefined) => (x ? x.split(",").map((s) => s.trim()).filter(Boolean) : undefined);

/** The profile with any per-run overrides of its times (recorded in run.json). */
function profileWithOverrides(name: string): Profile {
  const p = getProfile(name);
  return {
    ...p,
    durationS: numberOpt("duration", p.durationS)!, warmupS: numberOpt("warmup", p.warmupS)!,
    idleS: numberOpt("idle", p.idleS)!, clientTimeoutS: numberOpt("client-timeout", p.clientTimeoutS)!,
  };
}

const resultsRoot = () => v.results ?? join(REPO, "results");

function contextOptions(): RunContextOptions {
  return {
    hosts: v.hosts, resultsRoot: resultsRoot(), dataDir: v.data ?? join(REPO, "work-data"),
    dirs: numberOpt("dirs", 680)!, seed: numberOpt("seed", 1)!, loadgensPerClient: numberOpt("loadgens-per-client", 1)!,
    prewarm: !v["no-prewarm"], keepPerf: !!v["keep-scratch"], log,
  };
}

function runId(profile: string): string {
  return `${new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15)}-${profile}`;
}

/** Configurations whose connection cap at k does not fit in one descriptor table here: they run capped below their
 *  label (e.g. Knot's 40K-thread lines at k = 0.6 need 24,000 descriptors), given the server host's hard limit. */
function fdCappedWarnings(points: PointSpec[], k: number, limit: number): string[] {
  const over = new Map(points.map((p) => [p.config.label, connsPerFdTable(p.config, k)] as const).filter(([, n]) => n > limit));
  return [...over].map(([label, n]) => `${label} needs ${n} descriptors in one process at k = ${k}, ` +
    `over the server's limit of ${limit}: it runs capped below its label, its connections can fill the table and a ` +
    `file opened then gets a 503 (a smaller --k keeps its cap)`);
}

function printDryRun(points: PointSpec[], profile: Profile, k: number, correctness: boolean): void {
  // no testbed is up in a dry run: this machine's limit stands for the server's
  for (const w of fdCappedWarnings(points, k, hardFdLimit(ownRlimits()))) console.log(`warning: ${w}`);
  // each line's rates, a rate run in several trials as rate×n
  const bySeries = new Map<string, Map<number, number>>();
  for (const p of points) {
    const key = `${p.figure}  ${p.config.label}${p.perf ? " (perf)" : ""}`;
    const rates = bySeries.get(key) ?? new Map<number, number>();
    rates.set(p.offeredRate, (rates.get(p.offeredRate) ?? 0) + 1);
    bySeries.set(key, rates);
  }
  console.log(`profile ${profile.name}: warm-up ${profile.warmupS} s, ${profile.durationS} s measured, ${profile.idleS} s idle per point; k = ${k}`);
  console.log(`  ${profile.description}`);
  for (const [s, rates] of bySeries) {
    console.log(`  ${s.padEnd(48)} ${[...rates].sort(([a], [b]) => a - b).map(([r, n]) => (n > 1 ? `${r}×${n}` : `${r}`)).join(", ")}`);
  }
  const trials = Math.max(0, ...points.map((p) => p.trial ?? 1));
  const perTrial = Array.from({ length: trials }, (_, i) => points.filter((p) => (p.trial ?? 1) === i + 1).length);
  const configs = new Set(points.map((p) => p.config.label)).size;
  const secs = points.length * estimatePointS(profile);
  console.log(`${trials} trial(s) of ${perTrial.join(", ")} points, each in its own random order; ` +
    `${points.length} points, ${configs} configurations${correctness ? " (bytes checked on each one's first point to run)" : ""}; ` +
    `estimated ${(secs / 3600).toFixed(1)} h (${Math.ceil(secs / 60)} min at ${Math.round(estimatePointS(profile))} s a point)`);
}

/** Runs a matrix into results/<run-id>/, resuming if asked; the testbed is brought down at the end and on Ctrl-C. */
async function runMatrixCommand(points: PointSpec[], profile: Profile, meta: Record<string, unknown>,
  o: { id?: string; resume?: boolean; redo?: Redo[]; extended?: { experiments: string[]; trials: string[] } } = {}): Promise<number> {
  const so = contextOptions();
  const id = o.id ?? v["run-id"] ?? runId(profile.name);
  const results = RunResults.open(so.resultsRoot, id);
  const previous = results.readRun();
  if (o.resume && !previous) throw new Error(`no run ${id} in ${so.resultsRoot} to resume`);
  if (previous && !o.resume) throw new Error(`run ${id} exists in ${so.resultsRoot}: resume it (run --resume ${id}), or choose another --run-id`);
  if (previous) results.checkColumns();
  const machine = machineIdentity();
  if (previous?.machine) {
    const was = previous.machine as Partial<MachineIdentity>;
    const diff = machineDifferences(was, machine);
    if (diff.length) throw new Error(`run ${id} was measured on another kind of machine (${diff.join("; ")}): its points and this machine's would not be comparable; start a new run here`);
    if (guestUnchecked(was, machine)) log(`the kernel's boot messages are no longer in dmesg: the hypervisor (${was.hypervisor ?? "unknown"} ` +
      `when the run began) is not checked; CPU, processor count and kernel release are the same`);
  }
  const ctl = new AbortController();
  const uninstall = installInterrupt(ctl, log);
  let session: RunContext | null = null;
  let status = "failed";
  let segmentWritten = false; // a run refused before its segment began keeps its status
  try {
    session = await openRunContext(so);
    const cal = requireCalibration(session.bed, so.resultsRoot, !!v.uncalibrated);
    const k = previous?.k !== undefined ? Number(previous.k) : chooseK(numberOpt("k"), cal);
    // A resumed run's points must stay comparable with its first ones: the same kind of machine (above), the run's own quota.
    const runQuota = (previous?.testbed as { quota?: number } | undefined)?.quota;
    const keepRunQuota = numberOpt("quota") === undefined && o.resume && typeof runQuota === "number";
    const quota = keepRunQuota ? runQuota : (numberOpt("quota") ?? cal?.quota);
    if (keepRunQuota && quota !== cal?.quota) log(`quota ${quota} of a core: the run's own (this testbed's calibration says ${cal?.quota ?? "nothing"})`);
    if (quota !== undefined) await session.bed.setQuota(quota);
    const warnings = fdCappedWarnings(points, k, await session.bed.serverFdLimit());
    for (const w of warnings) log(`warning: ${w}`);
    const disk = await session.bed.scaleDisk(k);
    const git = await gitFacts();
    // Points redone (redoRules) keep their old rows and raw files under superseded/; the segment names them.
    const segmentNo = ((previous?.segments as unknown[] | undefined)?.length ?? 0) + 1;
    const redo = o.redo ?? [];
    const redone = redo.flatMap((r) => results.supersede(r.which, `${r.why}; measured again in segment ${segmentNo} (${git.commit})`));
    if (redo.length) log(`measuring again ${redone.length} point(s)${redone.length ? `: ${redone.join(", ")}` : ""}`);
    // A resumed run's points may come from several commits: each start or resume is recorded with the points before it.
    const done = results.donePoints();
    const segment = { started: new Date().toISOString(), ...git, points_before: done.size, quota: session.bed.quota, machine,
      ...(redo.length ? { redone } : {}),
      ...(o.extended && (o.extended.experiments.length || o.extended.trials.length) ? { extended: o.extended } : {}) };
    // the order is drawn once and recorded: a resume runs the recorded order on (and draws only for points added since)
    const orderSeed = previous?.order_seed !== undefined ? Number(previous.order_seed) : (numberOpt("order-seed") ?? randomInt(2 ** 31));
    const ordered = runOrder(points, orderSeed, previous?.order as string[] | undefined);
    results.writeRun({
      ...(previous ?? {}), run_id: id, status: "running", profile: profile.name, profile_settings: profile, k,
      calibration: cal ?? "uncalibrated", ...git, ...meta, points: points.length, warnings,
      order_seed: orderSeed, order: ordered.map((p) => p.id),
      testbed: { kind: session.bed.kind, source: session.bed.cfg.source, quota: session.bed.quota, disk_scaled: disk,
        report: await session.bed.report() },
      host: { hostname: hostname(), cpus: cpus().length, cpu_model: cpus()[0]?.model, memory_bytes: totalmem(), node: process.version },
      // the run's machine is the one it began on (a resume checked this one against it); each segment records its own
      machine: previous?.machine ?? { ...machine, perfRecord: ["perf", "record", ...PERF_RECORD_ARGS].join(" ") },
      workload: { root: session.workload.root, dirs: so.dirs, seed: so.seed, generators: session.workload.generators,
        loadgens_per_client: so.loadgensPerClient, ...session.workload.describe },
      page_cache: session.cacheRule,
      started: previous?.started ?? segment.started,
      segments: [...((previous?.segments as unknown[] | undefined) ?? []), segment],
    });
    segmentWritten = true;
    log(`run ${id}: ${points.length} points, k = ${k}, results in ${results.dir}`);
    const env = session.pointEnv(id, k);
    for (const p of ordered.filter((q) => !done.has(q.id)).slice(0, 1)) log(`first point: ${describePoint(p, k)}`);
    const s = await runPoints({ results, points: ordered, profile, executor: session.executor(env), signal: ctl.signal,
      correctness: !v["no-correctness"], log });
    status = s.interrupted ? "interrupted" : "finished";
    log(`${status}: ${s.ran} points run, ${s.skipped} already there; ${results.pointsCsv}`);
    return s.interrupted ? 130 : 0;
  } finally {
    if (session) await session.close();
    const now = results.readRun();
    if (now && segmentWritten) results.writeRun({ ...now, status, ended: new Date().toISOString() });
    uninstall();
  }
}

/** A figure run's matrix and what run.json records about it: the matrix options and the lines each figure draws. */
function matrixRun(profile: Profile, matrix: MatrixOptions) {
  return { points: runMatrix(profile, matrix), meta: { matrix, figure_lines: figureLines(profile, matrix) } };
}

/** Recorded points a resume takes out of the run (to superseded/) and measures again, and why. */
interface Redo { which: (row: Record<string, string>) => boolean; why: string }

/** A point whose server failed measured nothing (--redo-server-failed), and a series launched with a configuration
 *  since fixed measured something else (--redo-series): after the fix, a resume may measure them again. Other
 *  verdicts are results: never redone. */
function redoRules(points: PointSpec[]): Redo[] {
  const series = listOpt(v["redo-series"]) ?? [];
  const unknown = series.filter((l) => !points.some((p) => p.config.label === l));
  if (unknown.length) throw new Error(`--redo-series: ${unknown.join(", ")} not among the run's series`);
  return [
    ...(v["redo-server-failed"] ? [{ which: (r: Record<string, string>) => r.verdict === "server-failed", why: "server-failed" }] : []),
    ...(series.length ? [{ which: (r: Record<string, string>) => series.includes(r.series), why: `launch of ${series.join(", ")} changed` }] : []),
  ];
}

/** Resumes run `id` with its own profile, k, quota and order (--experiment may add experiments or trials). */
async function resumeRun(id: string): Promise<number> {
  const results = RunResults.open(resultsRoot(), id);
  const prev = results.readRun();
  if (!prev) throw new Error(`no run ${id} to resume`);
  const o = prev.matrix as MatrixOptions;
  const stored = prev.profile_settings as Profile;
  // --experiment extends a run with more of its profile's experiments: one results folder holds every figure. One
  // added to the profile since the run began comes with the profile's present rates for it (run.json records them);
  // one the run has takes the trials the profile has added to it since (never fewer: recorded points stay).
  const requested = listOpt(v.experiment) ?? [];
  const added = requested.filter((e) => !o.experiments?.includes(e));
  const presentProfile = PROFILES[stored.name];
  const present = presentProfile?.plan ?? {};
  for (const e of added) if (!stored.plan[e] && !present[e]) throw new Error(`${e} is not in profile ${stored.name}'s plan`);
  const fresh = added.filter((e) => !stored.plan[e]);
  const presentTrials = presentProfile?.trials ?? {};
  const moreTrials = requested.filter((e) => !added.includes(e) && (stored.plan[e] ?? []).some((r) => trialsOf(presentProfile, e, r) !== trialsOf(stored, e, r)));
  for (const e of moreTrials) {
    if (stored.plan[e].some((r) => trialsOf(presentProfile, e, r) < trialsOf(stored, e, r))) {
      throw new Error(`profile ${stored.name} now runs fewer trials of ${e} than run ${id} began with: a resume only adds trials`);
    }
  }
  const adopt = [...fresh, ...moreTrials].filter((e) => presentTrials[e] !== undefined);
  const profile: Profile = { ...stored, plan: { ...stored.plan, ...Object.fromEntries(fresh.map((e) => [e, present[e]])) },
    trials: { ...stored.trials, ...Object.fromEntries(adopt.map((e) => [e, presentTrials[e]])) } };
  if (added.length && (o.series || o.rates)) throw new Error(`run ${id} is restricted to some series or rates: it cannot take more experiments`);
  const matrix = { ...o, experiments: [...(o.experiments ?? Object.keys(profile.plan)), ...added] };
  log(`resuming ${id} with its own settings (profile ${profile.name}, k ${prev.k})${added.length ? `, adding ${added.join(", ")}` : ""}` +
    `${moreTrials.length ? `, with the profile's present trials of ${moreTrials.join(", ")}` : ""}`);
  const run = matrixRun(profile, matrix);
  const redo = redoRules(run.points);
  if (v["dry-run"]) {
    const done = results.donePoints((row) => redo.some((r) => r.which(row)));
    const todo = run.points.filter((p) => !done.has(p.id));
    printDryRun(todo, profile, Number(prev.k), !v["no-correctness"]);
    console.log(`(${run.points.length - todo.length} of the run's ${run.points.length} points are already there)`);
    return 0;
  }
  return runMatrixCommand(run.points, profile, run.meta, { id, resume: true, redo, extended: { experiments: added, trials: moreTrials } });
}

async function cmdRun(): Promise<number> {
  if (v.resume) {
    if (v.profile || v.series || v.rates) throw new Error("--resume keeps the run's own profile, series and rates (only --experiment may be added)");
    return resumeRun(v.resume);
  }
  if (v["redo-server-failed"] || v["redo-series"]) throw new Error("--redo-server-failed and --redo-series go with --resume RUN_ID");
  if (!v.profile) throw new Error(`--profile is required; valid: ${Object.keys(PROFILES).join(", ")}`);
  const profile = profileWithOverrides(v.profile);
  const run = matrixRun(profile, { experiments: listOpt(v.experiment) ?? Object.keys(profile.plan), series: listOpt(v.series),
    rates: listOpt(v.rates)?.map(Number) });
  if (v["dry-run"]) { printDryRun(run.points, profile, chooseK(numberOpt("k"), readCalibration(resultsRoot())), !v["no-correctness"]); return 0; }
  return runMatrixCommand(run.points, profile, run.meta);
}

async function cmdReplicate(): Promise<number> {
  if (!v.profile) throw new Error(`--profile is required; valid: ${Object.keys(PROFILES).join(", ")}`);
  // an existing run id is a resume: the run's own profile, quota and machine checks, not a second matrix in its folder
  const existing = v["run-id"] ? RunResults.open(resultsRoot(), v["run-id"]).readRun() : null;
  if (existing) {
    if (existing.profile !== v.profile) throw new Error(`run ${v["run-id"]} is a ${existing.profile} run: resume it with PROFILE=${existing.profile} (--profile ${existing.profile})`);
    return resumeRun(v["run-id"]!);
  }
  const profile = profileWithOverrides(v.profile);
  const run = matrixRun(profile, { experiments: Object.keys(profile.plan) });
  if (v["dry-run"]) { printDryRun(run.points, profile, chooseK(numberOpt("k"), readCalibration(resultsRoot())), !v["no-correctness"]); return 0; }
  const why = calibrationMismatch(readCalibration(resultsRoot()), openBed(v.hosts), resultsRoot());
  if (!v.uncalibrated && why !== null) {
    log(`the testbed is not calibrated (${why}): calibrating first`);
    const rc = await cmdCalibrate();
    if (rc !== 0) return rc;
  }
  return runMatrixCommand(run.points, profile, run.meta);
}

/** Warm-up and window of a calibration probe (shorter than a standard point: a calibration runs ~10 of them). */
const calibrationTimes = () => ({ warmupS: numberOpt("warmup", 15)!, durationS: numberOpt("duration", 30)! });

/** One measurement of the reference configuration at quota q and scale k: testbed replies/s and its verification. */
async function measureReference(session: RunContext, k: number, quota: number, paperRate: number, results: RunResults, tag: string, signal: AbortSignal) {
  if (signal.aborted) throw new Error("interrupted");
  await session.bed.setQuota(quota);
  await session.bed.scaleDisk(k);
  const spec: PointSpec = { id: pointId("calibrate", REFERENCE.label, paperRate) + `__${tag}`, figure: "calibrate",
    config: parseLabel(REFERENCE.label, knownLabels()), offeredRate: paperRate, perf: false };
  const out = await session.executor(session.pointEnv(results.runId, k))({
    spec, rawDir: results.freshRawDir(spec.id), ...calibrationTimes(), verifyBytes: false,
    clientTimeoutS: CLIENT_TIMEOUT_S,
  });
  if (signal.aborted) throw new Error("interrupted");
  results.appendPoint(out.row);
  if (out.row.verdict === "server-failed" || typeof out.row.reply_rate !== "number") {
    throw new Error(`the reference point failed (${out.row.verdict}: ${out.row.verdict_reason}); see ${results.rawDir(spec.id)}`);
  }
  return { replies: out.row.reply_rate * k, verdict: out.row.verdict, reason: out.row.verdict_reason }; // testbed units
}

async function cmdCalibrate(): Promise<number> {
  const t = calibrationTimes();
  const so = contextOptions();
  const started = Date.now();
  const results = RunResults.open(so.resultsRoot, `calibration-${runId("cal").slice(0, 15)}`);
  const ctl = new AbortController();
  const uninstall = installInterrupt(ctl, log);
  let session: RunContext | null = null;
  try {
    session = await openRunContext(so);
    if (session.bed.kind === "loopback") throw new Error("the loopback testbed has no CPU quota to calibrate; use the emulated testbed (root)");
    const s = session;
    let k = numberOpt("k");
    let kSearch: unknown = "given with --k";
    if (k === undefined) {
      // The clients must keep up with the axis' top rate with the server unthrottled (one whole core).
      const r = await searchK(async (kk) => {
        const m = await measureReference(s, kk, 1, 30000, results, `k${kk}`, ctl.signal);
        return m.verdict !== "invalid-client";
      }, K_CANDIDATES.filter((x) => x <= MAX_K), log);
      if (r.k === null) throw new Error(`the clients are the bottleneck even at k = ${K_CANDIDATES[K_CANDIDATES.length - 1]}`);
      k = r.k;
      kSearch = r.tried;
    }
    const kk = k;
    const target = REFERENCE.replies * kk;
    log(`calibrating the quota at k = ${kk}: ${REFERENCE.label} offered ${REFERENCE.offered * kk} req/s must reply at ${target} ± 3%`);
    let n = 0;
    const probe = async (quota: number) => (await measureReference(s, kk, quota, REFERENCE.offered, results, `q${++n}`, ctl.signal)).replies;
    const q = await searchQuota(probe, target, { log, lo: s.bed.minQuota }); // the period's kernel minimum bounds the search
    // Then the fit: rounds of probes around the search's answer, in a random order (its seed recorded), and a line.
    const reachable = q.probes[0].error >= -REFERENCE.tolerance; // a whole core reached the target
    const orderSeed = randomInt(2 ** 31);
    const refined = reachable
      ? await refineQuota(probe, q.quota, target, { earlier: q.probes, rng: new Rng(orderSeed), min: s.bed.minQuota, log })
      : null;
    const fit = refined?.fit ?? null;
    const converged = fit?.ok ?? false;
    const quota = fit?.ok ? fit.quota : q.quota;
    const cal = {
      quota, k: kk, converged, method: fit?.ok ? "fit" : "search", quota_ci95: fit?.ok ? fit.ci95 : null,
      fit: fit && { intercept: fit.intercept, slope: fit.slope, probes: fit.probes, order_seed: orderSeed, centres: refined!.centres },
      search: { quota: q.quota, converged: q.converged, bracketed: !!q.bracketed },
      target_replies_testbed: target, probes: [...q.probes, ...(refined?.probes ?? [])], k_search: kSearch,
      testbed: { kind: s.bed.kind, source: s.bed.cfg.source, config: s.bed.cfg }, machine: thisMachine(), report: await s.bed.report(), ...(await gitFacts()), page_cache: s.cacheRule,
      took_s: Math.round((Date.now() - started) / 1000), date: new Date().toISOString(), raw: results.dir,
    };
    writeCalibration(so.resultsRoot, cal);
    const ci = cal.quota_ci95 ? ` (95% interval ${cal.quota_ci95.map((x) => x.toFixed(4)).join("–")})`
      : fit?.ok ? " (95% interval unbounded: the reference point pins the quota only loosely here)" : "";
    log(`${converged ? "calibrated" : "did NOT converge"}: quota ${quota.toFixed(4)} of a core${ci}, k = ${kk}, ` +
      `${fit?.ok ? `fitted through ${fit.probes.length} probes` : `search only${q.bracketed ? ` (bracketed within ${100 * QUOTA_TOLERANCE}%)` : ""}`}, ` +
      `${cal.took_s} s; written to ${calibrationPath(so.resultsRoot)}`);
    return converged ? 0 : 1;
  } catch (e) {
    if (ctl.signal.aborted) return 130;
    throw e;
  } finally {
    if (session) await session.close();
    uninstall();
  }
}

async function cmdTune(): Promise<number> {
  if (!v.family) throw new Error(`--family is required; valid: ${Object.keys(FAMILIES).join(", ")}`);
  const fam = getFamily(v.family);
  const profile = profileWithOverrides(v.profile ?? "quick");
  const rates = listOpt(v.rates)?.map(Number) ?? [15000, 30000];
  for (const r of rates) if (!(r > 0 && r <= 30000)) throw new Error(`rate ${r} is outside the paper's axis (0, 30000]`);
  const pts = (stage: string, configs: ReturnType<typeof coarseMatrix>): PointSpec[] => configs.flatMap((config) =>
    rates.map((offeredRate) => ({ id: pointId(`tune-${stage}`, config.label, offeredRate), figure: `tune-${stage}`, config, offeredRate, perf: false })));
  const coarse = coarseMatrix(fam);
  if (v["dry-run"]) {
    printDryRun(pts("coarse", coarse), profile, chooseK(numberOpt("k"), readCalibration(resultsRoot())), false);
    console.log("then a finer matrix (up to 8 configurations) around the best");
    return 0;
  }
  const id = v["run-id"] ?? `${runId(profile.name)}-tune-${v.family}`;
  let rc = await runMatrixCommand(pts("coarse", coarse), profile, { tune: { family: v.family, stage: "coarse", rates } }, { id });
  if (rc !== 0) return rc;
  const results = RunResults.open(resultsRoot(), id);
  const rows = () => results.readPoints();
  const bestCoarse = best(coarse.map((c) => score(c.label, rows())));
  if (!bestCoarse) return 1;
  log(`coarse best: ${bestCoarse.label} (${bestCoarse.meanMbps.toFixed(0)} Mbps${bestCoarse.allPass ? "" : ", NOT all points passed"})`);
  const fine = fineMatrix(fam, parseLabel(bestCoarse.label), new Set(coarse.map((c) => c.label)));
  rc = await runMatrixCommand([...pts("coarse", coarse), ...pts("fine", fine)], profile, { tune: { family: v.family, stage: "fine", rates } },
    { id, resume: true });
  const all = [...coarse, ...fine].map((c) => score(c.label, rows()));
  const b = best(all);
  for (const s of all.sort((a, z) => z.meanMbps - a.meanMbps)) console.log(`${s.label.padEnd(32)} ${s.meanMbps.toFixed(0).padStart(6)} Mbps ${s.allPass ? "pass" : "fail"}`);
  console.log(`best tuning: ${b?.label}`);
  return rc;
}

async function main(): Promise<number> {
  const cmd = positionals[0];
  if (v.help || !cmd) { console.log(USAGE); return cmd ? 0 : 2; }
  switch (cmd) {
    case "run": return cmdRun();
    case "replicate": return cmdReplicate();
    case "calibrate": return cmdCalibrate();
    case "tune": return cmdTune();
    default: throw new Error(`unknown command "${cmd}"\n${USAGE}`);
  }
}

main().then((rc) => process.exit(rc), (e) => { console.error(`error: ${(e as Error).message}`); process.exit(1); });
