// Reads one results folder (run.json, points.csv, profile.csv) written by the runner into typed rows.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "csv-parse/sync";

/** points.csv's columns, in the runner's order (rates and throughput in paper units: testbed value ÷ k). */
export const POINT_COLUMNS = [
  "run_id", "figure", "series", "server", "variant", "max_conns", "procs_or_workers", "offered_rate",
  "offered_rate_testbed", "k", "duration_s", "sessions", "requests", "replies", "reply_rate", "throughput_mbps",
  "mean_response_ms", "median_response_ms", "p90_response_ms", "errors_total", "client_timo", "socket_timo",
  "connrefused", "connreset", "fd_unavail", "other_errors", "timeout_pct", "max_file_timeout_pct", "iowait_pct",
  "server_cpu_pct", "ctx_switches_per_s", "user_ctx_switches_per_s", "page_cache_kb", "event_calls_per_s",
  "mean_interest_set", "client_cpu_pct", "start_lateness_ms", "verdict", "verdict_reason",
] as const;

/** Columns read as numbers when present and NaN in results folders written before the runner had them: the disk
 *  regime a point ran in (its disk's reads, page-cache misses per request over the window and each half of it, the
 *  distinct files and bytes its requests reached, the page cache it started with) and its reply rate in each half of
 *  the window (whether the point was steady) and the connections its listen queue dropped per second. */
export const OPTIONAL_COLUMNS = [
  "disk_reads", "disk_read_bytes", "disk_util_pct", "disk_seeks", "misses_per_request", "misses_per_request_h1",
  "misses_per_request_h2", "distinct_files", "distinct_bytes", "page_cache_prepared_kb", "reply_rate_h1", "reply_rate_h2", "listen_drops_per_s",
] as const;

const TEXT_COLUMNS = ["run_id", "figure", "series", "server", "variant", "verdict", "verdict_reason"] as const;
type TextColumn = (typeof TEXT_COLUMNS)[number];
type NumberColumn = Exclude<(typeof POINT_COLUMNS)[number], TextColumn>;

/** One measured point; a number the runner left empty is NaN. `trial`: 1, 2, … (older runs have no trial column:
 *  trial 1). */
export type Point = { [C in TextColumn]: string } & { [C in NumberColumn | (typeof OPTIONAL_COLUMNS)[number]]: number } & { trial: number };

export const VERDICTS = ["pass", "fail-timeouts", "fail-bytes", "fail-errors", "invalid-client", "server-failed"] as const;
export type Verdict = (typeof VERDICTS)[number];

export const PROFILE_SECTIONS = ["vmlinux", "nic", "user", "libc", "other"] as const;

export interface ProfileRow {
  run_id: string;
  series: string;
  /** the trial of the point profiled (older runs: 1) */
  trial: number;
  section: string;
  category: string;
  pct: number;
}

/** run.json; only the fields the notebooks read are typed, the rest is kept as written. */
export interface RunInfo {
  run_id?: string;
  commit?: string;
  status?: string;
  profile?: string;
  k: number;
  /** The calibration's record, or a word such as "uncalibrated". */
  calibration?: Record<string, unknown> | string;
  testbed?: Record<string, unknown>;
  /** experiment ("fig4") → the lines it draws, whichever experiment measured them (older runs lack it) */
  figure_lines?: Record<string, string[]>;
  /** what the runner warned of as the run (re)started: e.g. configurations the machine could not run as labelled */
  warnings?: string[];
  started?: string;
  ended?: string;
  [key: string]: unknown;
}

export interface Results {
  dir: string;
  run: RunInfo;
  points: Point[];
  profile: ProfileRow[];
}

function readCsv(path: string, required: readonly string[]): Record<string, string>[] {
  const rows = parse(readFileSync(path, "utf8"), { columns: true, skip_empty_lines: true, trim: true }) as Record<string, string>[];
  const header = rows.length ? Object.keys(rows[0]) : required;
  const missing = required.filter((c) => !header.includes(c));
  if (missing.length) throw new Error(`${path}: missing column(s) ${missing.join(", ")}`);
  return rows;
}

function toNumber(s: string | undefined): number {
  return s === undefined || s === "" ? NaN : Number(s);
}

/** Parses points.csv; throws naming the file and row on a missing column or an unknown verdict. */
export function readPoints(path: string): Point[] {
  const points = readCsv(path, POINT_COLUMNS).map((r, i) => {
    const p: Record<string, string | number> = {};
    for (const c of POINT_COLUMNS) p[c] = (TEXT_COLUMNS as readonly string[]).includes(c) ? r[c] : toNumber(r[c]);
    for (const c of OPTIONAL_COLUMNS) p[c] = toNumber(r[c]);
    p.trial = toNumber(r.trial) || 1;
    if (!(VERDICTS as readonly string[]).includes(r.verdict)) throw new Error(`${path} row ${i + 2}: unknown verdict "${r.verdict}"`);
    return p as Point;
  });
  return readRepeats(points);
}

/** Older runs measured Figure 7's lines again in a `repeat` experiment: each such row is read as the next trial of
 *  its line's unprofiled point at that rate. */
function readRepeats(points: Point[]): Point[] {
  const isRepeat = (p: Point) => /^repeats?$/i.test(p.figure);
  const out = points.filter((p) => !isRepeat(p));
  for (const p of points.filter(isRepeat)) {
    const same = out.filter((q) => q.series === p.series && q.offered_rate === p.offered_rate && unprofiled(q));
    out.push({ ...p, figure: "fig7", trial: Math.max(0, ...same.map((q) => q.trial)) + 1 });
  }
  return out;
}

export function readProfile(path: string): ProfileRow[] {
  return readCsv(path, ["run_id", "series", "section", "category", "pct"]).map((r) => ({
    run_id: r.run_id, series: r.series, trial: toNumber(r.trial) || 1, section: r.section, category: r.category, pct: toNumber(r.pct),
  }));
}

/** Reads a results folder; profile.csv is optional (a run without profiling has none). */
export function readResults(dir: string): Results {
  const run = JSON.parse(readFileSync(join(dir, "run.json"), "utf8")) as RunInfo;
  if (typeof run.k !== "number" || !(run.k > 0)) throw new Error(`${dir}/run.json: k must be a positive number`);
  let profile: ProfileRow[] = [];
  try {
    profile = readProfile(join(dir, "profile.csv"));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  return { dir, run, points: readPoints(join(dir, "points.csv")), profile };
}

type Experiment = number | "table1" | "poll" | "peers";

/** The experiments whose points are profiled with perf: Table 1's and C9's poll overhead at three rates. */
const PROFILED: Experiment[] = ["table1", "poll"];

/**
 * The experiments a point belongs to: the runner writes "fig7", "table1", "poll" or "peers"; numbers, "figure-7"
 * and lists ("3;7") are read too.
 */
export function figuresOf(p: Point): Experiment[] {
  return p.figure
    .split(/[;,|+\s]+/)
    .filter(Boolean)
    .flatMap((t): Experiment[] => {
      if (/^(table|t)[-_ ]?1$/i.test(t)) return ["table1"];
      if (/^peers?$/i.test(t)) return ["peers"];
      if (/^poll$/i.test(t)) return ["poll"];
      const m = /^(?:fig(?:ure)?[-_ ]?)?(\d+)$/i.exec(t);
      return m ? [Number(m[1])] : [];
    });
}

/**
 * Points drawn in Figure n: those run for it and, unprofiled, those of the lines run.json's `figure_lines` gives it
 * (a line in two figures is measured once per trial: Figure 7's lines are the best of the tuning figures'). Figure 8 shows
 * the response times of Figure 7's runs (§8); the peers (nginx, not in the paper) are drawn beside Figure 7's
 * configurations in both.
 */
export function figurePoints(r: Pick<Results, "points" | "run">, n: number): Point[] {
  const wanted: Experiment[] = n === 7 || n === 8 ? [7, 8, "peers"] : [n];
  const lines = new Set(wanted.flatMap((f) => r.run.figure_lines?.[typeof f === "number" ? `fig${f}` : f] ?? []));
  return r.points.filter((p) => figuresOf(p).some((f) => wanted.includes(f)) || (lines.has(p.series) && unprofiled(p)));
}

/** Points of the tuning and comparison experiments: profiled points (perf costs CPU) serve only their profiles
 *  (Table 1, C9). */
export function unprofiled(p: Point): boolean {
  return figuresOf(p).some((f) => !PROFILED.includes(f));
}

/** A point measures the server unless the client was the bottleneck or the server failed. */
export function measuresServer(p: Point): boolean {
  return p.verdict !== "invalid-client" && p.verdict !== "server-failed";
}

/** How close an offered rate must be to a named rate to count as measured at it (relative; the paper's grid steps by 2,500). */
export const RATE_TOLERANCE = 0.01;

export function nearRate(p: Point, rate: number): boolean {
  return Math.abs(p.offered_rate - rate) <= RATE_TOLERANCE * rate;
}

/** One configuration's points at one offered rate: its trials. */
export interface Trials {
  series: string;
  rate: number;
  points: Point[];
}

/** Points grouped by configuration and offered rate, in the order each group first appears. */
export function byTrials(points: Point[]): Trials[] {
  const groups = new Map<string, Trials>();
  for (const p of points) {
    const key = `${p.series} ${p.offered_rate}`;
    const g = groups.get(key) ?? { series: p.series, rate: p.offered_rate, points: [] };
    g.points.push(p);
    groups.set(key, g);
  }
  return [...groups.values()];
}
