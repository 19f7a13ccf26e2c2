// The rules that turn our numbers and the paper's into a verdict; every claim is judged by these, never by hand.
import type { Point } from "./results.js";

/** "undecided at n = 3": the confidence intervals are too wide (or, at n = 1, absent) to tell. */
export type Undecided = `undecided at n = ${number}`;
export type Verdict = "reproduced" | "partly reproduced" | "not reproduced" | "not measured" | Undecided;

export const isUndecided = (v: Verdict): v is Undecided => v.startsWith("undecided");
export const undecided = (n: number): Undecided => `undecided at n = ${n}`;

/**
 * An interval for a measured number, from the trials behind it (stats.ts): for one point, the order-statistic
 * interval of its median; for a number computed from several (a ratio, a mean over rates), the interval the
 * computation gives from theirs (every input at an end of its interval). `n`: the fewest trials among its inputs;
 * at n = 1 the interval is the value itself and decides nothing.
 */
export interface Interval {
  lo: number;
  hi: number;
  n: number;
}

/** A number we measured (the median of its trials, or computed from such), its interval and the points it came from
 *  (to know whether they passed verification). */
export interface Measured {
  value: number;
  ci: Interval;
  points: Point[];
}

/** One checked part of a claim. */
export interface Part {
  what: string;
  ours: string;
  paper: string;
  verdict: Verdict;
  /** The rule, with its thresholds, in words. */
  rule: string;
  /** A short form of `ours` for the summary table (relations: how many hold). */
  summary?: string;
  /** Effects and equivalences: our relative difference, to hold against the run's measured noise. */
  difference?: number;
}

/** A relative effect (e.g. +18%) is reproduced within max(5 points, a third of the paper's effect). */
export const EFFECT_FLOOR = 0.05;
export const EFFECT_SHARE = 1 / 3;
/** A throughput level (Mbps) is reproduced within 10% of the paper's. */
export const MBPS_SHARE = 0.1;
/** A share of CPU time (profile category, iowait) within max(floor, a third of the paper's). */
export const CPU_FLOOR_POINTS = 2;
export const IOWAIT_FLOOR_POINTS = 3;
export const CPU_SHARE = 1 / 3;
/** "Approximately equal": within 5% of each other. */
export const EQUIVALENT_SHARE = 0.05;

/** Thresholds are inclusive; this keeps 0.23 − 0.18 (= 0.05000000000000002 in floating point) within 5 points. */
const EPS = 1e-9;

export const pct = (v: number, sign = true) => `${sign && v > 0 ? "+" : ""}${(100 * v).toFixed(1)}%`;
export const num = (v: number, decimals = 0) => v.toLocaleString("en-US", { minimumFractionDigits: decimals, maximumFractionDigits: decimals });

/** Measured(a) / Measured(b) (positive measurements), its interval from both ends of theirs: it excludes 1 exactly
 *  when their intervals separate. */
export function ratio(a: Measured | undefined, b: Measured | undefined): Measured | undefined {
  if (!a || !b || !(b.value > 0) || !(b.ci.lo > 0)) return undefined;
  return { value: a.value / b.value, ci: { lo: a.ci.lo / b.ci.hi, hi: a.ci.hi / b.ci.lo, n: Math.min(a.ci.n, b.ci.n) },
    points: [...a.points, ...b.points] };
}

/** ratio(a, b) − 1: a relative effect (+18%), its interval excluding 0 exactly when theirs separate. */
export function relative(a: Measured | undefined, b: Measured | undefined): Measured | undefined {
  const q = ratio(a, b);
  return q && { value: q.value - 1, ci: { lo: q.ci.lo - 1, hi: q.ci.hi - 1, n: q.ci.n }, points: q.points };
}

/** Where an interval lies against a threshold: wholly above it, wholly at or below it, or across it (undecided;
 *  always at n = 1). */
export function side(m: Measured, threshold: number): "above" | "below" | "across" {
  if (m.ci.n < 2) return "across";
  return m.ci.lo > threshold + EPS ? "above" : m.ci.hi < threshold - EPS ? "below" : "across";
}

/** "value (lo to hi, n = N)", or "value (n = 1)". */
export function withInterval(m: Measured, show: (v: number) => string): string {
  return m.ci.n < 2 ? `${show(m.value)} (n = ${m.ci.n})` : `${show(m.value)} (${show(m.ci.lo)} to ${show(m.ci.hi)}, n = ${m.ci.n})`;
}

/** A reproduced part that rests on points which failed verification (§3.4) is only partly reproduced. */
export function checkVerification(part: Part, used: Point[]): Part {
  const failed = used.filter((p) => p.verdict !== "pass").length;
  if (!failed) return part;
  const rule = `${part.rule}; uses ${failed} point(s) that failed verification`;
  return { ...part, rule, verdict: part.verdict === "reproduced" ? "partly reproduced" : part.verdict };
}


function notMeasured(what: string, paper: string, rule: string): Part {
  return { what, ours: "not measured", paper, verdict: "not measured", rule };
}

/** What a part that rests on a profile the runner marked unreliable says instead of a number. */
export const PROFILE_UNRELIABLE = "not measured (profile unreliable on this machine)";

/** A part whose numbers come from an unreliable profile: not measured, saying why (the rule stays, for the record). */
export function unreliableProfile(part: Part): Part {
  return { what: part.what, paper: part.paper, rule: part.rule, ours: PROFILE_UNRELIABLE, summary: PROFILE_UNRELIABLE, verdict: "not measured" };
}

/**
 * A relative effect: reproduced only where the intervals separate in the paper's direction (ours excludes 0 on the
 * paper's side) and ours is within tolerance of the paper's; partly where they separate that way but ours is
 * further off; not reproduced where they separate the other way; undecided where they overlap.
 */
export function effectRule(what: string, ours: Measured | undefined, paper: number): Part {
  const tol = Math.max(EFFECT_FLOOR, EFFECT_SHARE * Math.abs(paper));
  const rule = `reproduced if the intervals separate in the paper's direction and ours is within ±${(100 * tol).toFixed(1)} points of the paper's; ` +
    "partly if they separate that way; not if they separate the other way; undecided if they overlap";
  if (!ours) return notMeasured(what, pct(paper), rule);
  const s = side(ours, 0);
  const way = s === "across" ? 0 : s === "above" ? 1 : -1;
  const verdict: Verdict = way === 0 ? undecided(ours.ci.n) : way !== Math.sign(paper) ? "not reproduced"
    : Math.abs(ours.value - paper) <= tol + EPS ? "reproduced" : "partly reproduced";
  return checkVerification({ what, ours: withInterval(ours, (v) => pct(v)), paper: pct(paper), verdict, rule, difference: ours.value }, ours.points);
}

/** A level (Mbps, % CPU, …) beside the paper's number (a comparison with the paper, not between our lines): our
 *  median reproduced within `tol`, partly within twice `tol`, otherwise not; its interval is shown beside it. */
export function levelRule(what: string, ours: Measured | undefined, paper: number, tol: number, unit: string, decimals = 0): Part {
  const rule = `our median reproduced within ±${num(tol, decimals)} ${unit} of the paper's; partly within ±${num(2 * tol, decimals)}`;
  const show = (v: number) => `${num(v, decimals)} ${unit}`;
  if (!ours) return notMeasured(what, show(paper), rule);
  const d = Math.abs(ours.value - paper);
  const verdict: Verdict = d <= tol + EPS ? "reproduced" : d <= 2 * tol + EPS ? "partly reproduced" : "not reproduced";
  return checkVerification({ what, ours: withInterval(ours, show), paper: show(paper), verdict, rule }, ours.points);
}

export const mbpsTolerance = (paper: number) => MBPS_SHARE * paper;
export const cpuTolerance = (paper: number, floor = CPU_FLOOR_POINTS) => Math.max(floor, CPU_SHARE * paper);

/**
 * Two numbers the paper calls about equal: equivalent only where their intervals overlap (ours includes 0) — then
 * reproduced within ±5% of each other, partly within ±10%, undecided beyond (the intervals are too wide to tell);
 * where they separate, partly if within ±5%, otherwise not reproduced. Undecided at n = 1.
 */
export function equivalentRule(what: string, ours: Measured | undefined, paper = "≈ equal"): Part {
  const rule = `reproduced if the intervals overlap and ours is within ±${pct(EQUIVALENT_SHARE, false)}; partly if they overlap within ` +
    `±${pct(2 * EQUIVALENT_SHARE, false)} or separate within ±${pct(EQUIVALENT_SHARE, false)}; not if they separate further apart; undecided otherwise`;
  if (!ours) return notMeasured(what, paper, rule);
  const d = Math.abs(ours.value);
  const overlap = side(ours, 0) === "across";
  const verdict: Verdict = ours.ci.n < 2 ? undecided(ours.ci.n)
    : overlap ? (d <= EQUIVALENT_SHARE + EPS ? "reproduced" : d <= 2 * EQUIVALENT_SHARE + EPS ? "partly reproduced" : undecided(ours.ci.n))
      : d <= EQUIVALENT_SHARE + EPS ? "partly reproduced" : "not reproduced";
  return checkVerification({ what, ours: withInterval(ours, (v) => pct(v)), paper, verdict, rule, difference: ours.value }, ours.points);
}

/** A statement about our data: it holds, it does not, its intervals are too wide to tell ("undecided", with the n),
 *  or it was not measured (undefined). */
export interface Relation {
  text: string;
  holds: boolean | "undecided" | undefined;
  /** the fewest trials behind it */
  n?: number;
  points: Point[];
}

/**
 * Several relations the paper states (orderings, "X beats Y"): reproduced if all hold, partly if at least half of
 * them hold, undecided if fewer hold but none fails (the rest undecided), otherwise not reproduced; not measured if
 * none could be measured.
 */
export function relationsRule(what: string, relations: Relation[], paper: string): Part {
  const rule = "reproduced if every relation holds (intervals apart the paper's way); partly if at least half hold; " +
    "undecided if fewer hold and none fails; otherwise not";
  const measured = relations.filter((r) => r.holds !== undefined);
  if (!measured.length) return notMeasured(what, paper, rule);
  const decided = measured.filter((r) => r.holds !== "undecided");
  const held = decided.filter((r) => r.holds === true).length;
  const failed = decided.length - held;
  const verdict: Verdict = held === relations.length ? "reproduced" : 2 * held >= relations.length ? "partly reproduced"
    : !failed ? undecided(Math.min(...measured.filter((r) => r.holds === "undecided").map((r) => r.n ?? 1))) : "not reproduced";
  const mark = (r: Relation) => (r.holds === undefined ? "?" : r.holds === "undecided" ? `~ (undecided at n = ${r.n ?? 1})` : r.holds ? "✓" : "✗");
  const ours = relations.map((r) => `${mark(r)} ${r.text}`).join("; ");
  const summary = `${held} of ${relations.length} hold${decided.length < measured.length ? `, ${measured.length - decided.length} undecided` : ""}`;
  return checkVerification({ what, ours, paper, verdict, rule, summary }, measured.flatMap((r) => r.points));
}

/**
 * A claim's verdict from its parts: reproduced only if every part is; not measured if no part was measured;
 * undecided if every measured part is (at the smallest n among them); not reproduced if every decided part is not;
 * partly reproduced otherwise.
 */
export function combine(parts: Part[]): Verdict {
  const measured = parts.filter((p) => p.verdict !== "not measured");
  if (!measured.length) return "not measured";
  if (measured.length === parts.length && parts.every((p) => p.verdict === "reproduced")) return "reproduced";
  const decided = measured.filter((p) => !isUndecided(p.verdict));
  if (!decided.length) return undecided(Math.min(...measured.map((p) => Number(p.verdict.replace(/\D+/, "")))));
  if (decided.every((p) => p.verdict === "not reproduced")) return "not reproduced";
  return "partly reproduced";
}
