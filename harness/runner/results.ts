// The results folder of a run (results/<run-id>/): run.json, points.csv, profile.csv and raw/, written as the run goes.
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync, truncateSync, statSync, rmSync } from "node:fs";
import { join, dirname } from "node:path";
import { stringify } from "csv-stringify/sync";
import { parse } from "csv-parse/sync";
import { pointId } from "./experiments.ts";

/** points.csv columns, in this order (a run's file keeps it: see columnMismatch); rates and throughput in paper units. */
export const POINT_COLUMNS = [
  "run_id", "figure", "series", "server", "variant", "max_conns", "procs_or_workers", "offered_rate", "offered_rate_testbed",
  "trial", "k", "duration_s", "sessions", "requests", "replies", "reply_rate", "throughput_mbps", "mean_response_ms",
  "median_response_ms", "p90_response_ms", "errors_total", "client_timo", "socket_timo", "connrefused", "connreset",
  "fd_unavail", "other_errors", "timeout_pct", "max_file_timeout_pct", "iowait_pct", "server_cpu_pct",
  "ctx_switches_per_s", "user_ctx_switches_per_s", "page_cache_kb", "disk_reads", "disk_read_bytes", "disk_util_pct", "event_calls_per_s", "mean_interest_set",
  "disk_seeks", "misses_per_request", "misses_per_request_h1", "misses_per_request_h2", "distinct_files", "distinct_bytes",
  "page_cache_prepared_kb", "reply_rate_h1", "reply_rate_h2", "listen_drops_per_s",
  "client_cpu_pct", "start_lateness_ms", "cpu_nr_periods", "cpu_nr_throttled", "cpu_throttled_ms", "verdict", "verdict_reason",
] as const;
/** A points.csv row; `trial` is the run loop's to set (the executor measures a point, the run knows its trial). */
export type PointRow = Record<Exclude<(typeof POINT_COLUMNS)[number], "trial">, string | number | null> & { trial?: number };

/** profile.csv columns; `trial` as in points.csv (empty in older runs: trial 1). */
export const PROFILE_COLUMNS = ["run_id", "series", "trial", "section", "category", "pct"] as const;
export type ProfileCsvRow = Record<Exclude<(typeof PROFILE_COLUMNS)[number], "trial">, string | number> & { trial?: number };

/** Writes a file so that readers never see half of it: temp file, then rename. */
export function writeAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

const fmt = (v: string | number | null | undefined) =>
  v === null || v === undefined || (typeof v === "number" && !Number.isFinite(v)) ? "" : typeof v === "number" ? Number(v.toFixed(4)) : v;

/** How a CSV's header differs from `columns` (null: it is the same, or the file is new). A row appended under another
 *  header would land in the wrong columns. */
function columnMismatch(path: string, columns: readonly string[]): string | null {
  if (!existsSync(path)) return null;
  const have = readFileSync(path, "utf8").split("\n", 1)[0].split(",");
  if (have.join(",") === columns.join(",")) return null;
  const lacks = columns.filter((c) => !have.includes(c)), extra = have.filter((c) => !columns.includes(c));
  return `${path}'s columns are not this runner's (${lacks.length ? `it lacks ${lacks.join(", ")}` : ""}` +
    `${lacks.length && extra.length ? "; " : ""}${extra.length ? `it has ${extra.join(", ")}` : ""}` +
    `${lacks.length || extra.length ? "" : "their order differs"}): another version of the runner made it, and rows ` +
    `appended now would not line up; the notebooks still read it`;
}

/** Appends rows to a CSV with one write (O_APPEND), writing the header first if the file is new. */
function appendCsv(path: string, columns: readonly string[], rows: Record<string, unknown>[]): void {
  dropPartialLine(path);
  const mismatch = columnMismatch(path, columns);
  if (mismatch) throw new Error(mismatch);
  const header = existsSync(path) ? "" : stringify([columns as string[]]);
  const body = stringify(rows.map((r) => columns.map((c) => fmt(r[c] as string | number | null))));
  appendFileSync(path, header + body);
}

/** A run killed mid-write can leave a last line without its newline: cut it so the file stays valid CSV. */
function dropPartialLine(path: string): void {
  if (!existsSync(path)) return;
  const text = readFileSync(path, "utf8");
  if (text.length && !text.endsWith("\n")) truncateSync(path, Buffer.byteLength(text.slice(0, text.lastIndexOf("\n") + 1)));
}

/** The point id of a points.csv row; a row without a trial (older runs) is trial 1. */
const rowId = (r: Record<string, string>) => pointId(r.figure, r.series, Number(r.offered_rate), Number(r.trial) || 1);

export class RunResults {
  constructor(readonly dir: string, readonly runId: string) {
    mkdirSync(join(dir, "raw"), { recursive: true });
  }

  static open(resultsRoot: string, runId: string): RunResults {
    return new RunResults(join(resultsRoot, runId), runId);
  }

  get pointsCsv() { return join(this.dir, "points.csv"); }
  get profileCsv() { return join(this.dir, "profile.csv"); }
  get runJson() { return join(this.dir, "run.json"); }
  rawDir(pointId: string) { return join(this.dir, "raw", pointId); }

  readRun(): Record<string, unknown> | null {
    return existsSync(this.runJson) ? JSON.parse(readFileSync(this.runJson, "utf8")) : null;
  }

  writeRun(meta: Record<string, unknown>): void {
    writeAtomic(this.runJson, JSON.stringify(meta, null, 2) + "\n");
  }

  /** Ids (figure__series__rate__tN) of the points already in points.csv, less the rows `except` picks (those a resume
   *  will measure again); a row without a trial (older runs) is trial 1. */
  donePoints(except: (row: Record<string, string>) => boolean = () => false): Set<string> {
    dropPartialLine(this.pointsCsv);
    return new Set(this.readPoints().filter((r) => !except(r)).map(rowId));
  }

  readPoints(): Record<string, string>[] {
    if (!existsSync(this.pointsCsv)) return [];
    return parse(readFileSync(this.pointsCsv, "utf8"), { columns: true }) as Record<string, string>[];
  }

  /** Records a finished point: its raw files are already in raw/<id>/, then its profile rows, then its points.csv row
   *  last — the row is what marks the point done, so a point interrupted before it is simply run again. */
  appendPoint(row: PointRow, profile: ProfileCsvRow[] = []): void {
    if (profile.length) {
      // rewritten whole (atomically): a series' trial re-run after an interruption replaces its earlier rows
      const key = (r: { series?: unknown; trial?: unknown }) => `${r.series} ${Number(r.trial) || 1}`;
      const series = new Set(profile.map(key));
      const others = this.readProfile().filter((r) => !series.has(key(r)));
      writeAtomic(this.profileCsv, stringify([PROFILE_COLUMNS as unknown as string[], ...[...others, ...profile]
        .map((r) => PROFILE_COLUMNS.map((c) => fmt((r as Record<string, string | number>)[c])))]));
    }
    appendCsv(this.pointsCsv, POINT_COLUMNS, [row]);
  }

  /** Refuses a run whose points.csv another version of the runner wrote (before a resume measures anything). */
  checkColumns(): void {
    const mismatch = columnMismatch(this.pointsCsv, POINT_COLUMNS);
    if (mismatch) throw new Error(`run ${this.runId} cannot be resumed: ${mismatch}`);
  }

  readProfile(): Record<string, string>[] {
    if (!existsSync(this.profileCsv)) return [];
    dropPartialLine(this.profileCsv);
    return parse(readFileSync(this.profileCsv, "utf8"), { columns: true }) as Record<string, string>[];
  }

  /** Takes the points whose rows match out of the run so that a resume measures them again, keeping them for the
   *  record: their rows go to superseded/points.csv with `because`, their raw files to superseded/raw/<id>[-N].
   *  Returns their ids. */
  supersede(which: (row: Record<string, string>) => boolean, because: string): string[] {
    dropPartialLine(this.pointsCsv);
    const rows = this.readPoints();
    const out = rows.filter(which);
    if (!out.length) return [];
    const ids = out.map(rowId);
    const dir = join(this.dir, "superseded");
    const columns = [...POINT_COLUMNS, "superseded_because"];
    const mismatch = columnMismatch(join(dir, "points.csv"), columns); // refused before anything moves
    if (mismatch) throw new Error(mismatch);
    for (const id of ids) {
      if (!existsSync(this.rawDir(id))) continue;
      let to = join(dir, "raw", id);
      for (let n = 2; existsSync(to); n++) to = join(dir, "raw", `${id}-${n}`);
      mkdirSync(dirname(to), { recursive: true });
      renameSync(this.rawDir(id), to);
    }
    appendCsv(join(dir, "points.csv"), columns, out.map((r) => ({ ...r, superseded_because: because })));
    const kept = rows.filter((r) => !which(r));
    writeAtomic(this.pointsCsv, stringify([POINT_COLUMNS as unknown as string[], ...kept.map((r) => POINT_COLUMNS.map((c) => r[c] ?? ""))]));
    return ids;
  }

  /** Raw files of a point being (re)run start empty: leftovers of an interrupted attempt are removed. */
  freshRawDir(pointId: string): string {
    const d = this.rawDir(pointId);
    if (existsSync(d) && statSync(d).isDirectory()) rmSync(d, { recursive: true, force: true });
    mkdirSync(d, { recursive: true });
    return d;
  }
}
