// The rules that turn our numbers and the paper's into a verdict; every claim is judged by these, never by hand.
import type { Point } from "./results.js";

export type Verdict = "reproduced" | "partly reproduced" | "not reproduced" | "not measured";

/** A number we measured and the points it came from (to know whether they passed verification). */
export interface Measured {
  value: number;
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
  /** Effects and equivalences: our relative difference between two measurements and the lines it compares, to hold
   *  against the noise those lines showed when measured again. */
  difference?: number;
  lines?: string[];
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

/** Measured(a) / Measured(b) − 1, keeping the points of both. */
export function relative(a: Measured | undefined, b: Measured | undefined): Measured | undefined {
  return a && b && b.value !== 0 ? { value: a.value / b.value - 1, points: [...a.points, ...b.points] } : undefined;
}

/** A reproduced part that rests on points which failed verification (§3.4) is only partly reproduced. */
export function checkVerification(part: Part, used: Point[]): Part {
  const failed = used.filter((p) => p.verdict !== "pass").length;
  if (!failed) return part;
  const rule = `${part.rule}; uses ${failed} point(s) that failed verification`;
  return { ...part, rule, verdict: part.verdict === "reproduced" ? "partly reproduced" : part.verdict };
}

/** What a relative difference compares: its value and the lines of its points. */
const compared = (m: Measured) => ({ difference: m.value, lines: [...new Set(m.points.map((p) => p.series))] });

function notMeasured(what: string, paper: string, rule: string): Part {
  return { what, ours: "not measured", paper, verdict: "not measured", rule };
}

/** What a part that rests on a profile the runner marked unreliable says instead of a number. */
export const PROFILE_UNRELIABLE = "not measured (profile unreliable on this machine)";

/** A part whose numbers come from an unreliable profile: not measured, saying why (the rule stays, for the record). */
export function unreliableProfile(part: Part): Part {
  return { what: part.what, paper: part.paper, rule: part.rule, ours: PROFILE_UNRELIABLE, summary: PROFILE_UNRELIABLE, verdict: "not measured" };
}

/** A relative effect: reproduced within tolerance; partly if it goes the same way as the paper's; otherwise not. */
export function effectRule(what: string, ours: Measured | undefined, paper: number): Part {
  const tol = Math.max(EFFECT_FLOOR, EFFECT_SHARE * Math.abs(paper));
  const rule = `reproduced within ±${(100 * tol).toFixed(1)} points of the paper's; partly if the same sign`;
  if (!ours) return notMeasured(what, pct(paper), rule);
  const o = ours.value;
  const verdict: Verdict = Math.abs(o - paper) <= tol + EPS ? "reproduced" : Math.sign(o) === Math.sign(paper) ? "partly reproduced" : "not reproduced";
  return checkVerification({ what, ours: pct(o), paper: pct(paper), verdict, rule, ...compared(ours) }, ours.points);
}

/** A level (Mbps, % CPU, …): reproduced within `tol`, partly within twice `tol`, otherwise not. */
export function levelRule(what: string, ours: Measured | undefined, paper: number, tol: number, unit: string, decimals = 0): Part {
  const rule = `reproduced within ±${num(tol, decimals)} ${unit} of the paper's; partly within ±${num(2 * tol, decimals)}`;
  const show = (v: number) => `${num(v, decimals)} ${unit}`;
  if (!ours) return notMeasured(what, show(paper), rule);
  const d = Math.abs(ours.value - paper);
  const verdict: Verdict = d <= tol + EPS ? "reproduced" : d <= 2 * tol + EPS ? "partly reproduced" : "not reproduced";
  return checkVerification({ what, ours: show(ours.value), paper: show(paper), verdict, rule }, ours.points);
}

export const mbpsTolerance = (paper: number) => MBPS_SHARE * paper;
export const cpuTolerance = (paper: number, floor = CPU_FLOOR_POINTS) => Math.max(floor, CPU_SHARE * paper);

/** Two numbers the paper calls about equal: reproduced within 5% of each other, partly within 10%. */
export function equivalentRule(what: string, ours: Measured | undefined, paper = "≈ equal"): Part {
  const rule = `reproduced if within ±${pct(EQUIVALENT_SHARE, false)} of each other; partly within ±${pct(2 * EQUIVALENT_SHARE, false)}`;
  if (!ours) return notMeasured(what, paper, rule);
  const d = Math.abs(ours.value);
  const verdict: Verdict = d <= EQUIVALENT_SHARE + EPS ? "reproduced" : d <= 2 * EQUIVALENT_SHARE + EPS ? "partly reproduced" : "not reproduced";
  return checkVerification({ what, ours: pct(ours.value), paper, verdict, rule, ...compared(ours) }, ours.points);
}

/** A statement about our data that holds or not (undefined: not measured). */
export interface Relation {
  text: string;
  holds: boolean | undefined;
  points: Point[];
}

/**
 * Several relations the paper states (orderings, "X beats Y"): reproduced if all hold, partly if at least half of
 * them were measured and hold, otherwise not reproduced; not measured if none could be measured.
 */
export function relationsRule(what: string, relations: Relation[], paper: string): Part {
  const rule = "reproduced if every relation holds; partly if at least half hold";
  const measured = relations.filter((r) => r.holds !== undefined);
  if (!measured.length) return notMeasured(what, paper, rule);
  const held = measured.filter((r) => r.holds).length;
  const verdict: Verdict = held === relations.length ? "reproduced" : 2 * held >= relations.length ? "partly reproduced" : "not reproduced";
  const ours = relations.map((r) => `${r.holds === undefined ? "?" : r.holds ? "✓" : "✗"} ${r.text}`).join("; ");
  const summary = `${held} of ${relations.length} hold`;
  return checkVerification({ what, ours, paper, verdict, rule, summary }, measured.flatMap((r) => r.points));
}

/** A claim's verdict from its parts: reproduced only if every part is; not reproduced if no measured part is even partly. */
export function combine(parts: Part[]): Verdict {
  const measured = parts.filter((p) => p.verdict !== "not measured");
  if (!measured.length) return "not measured";
  if (measured.length === parts.length && parts.every((p) => p.verdict === "reproduced")) return "reproduced";
  if (measured.every((p) => p.verdict === "not reproduced")) return "not reproduced";
  return "partly reproduced";
}
