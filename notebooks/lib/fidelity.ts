// The claims report's fidelity section: every number the paper reports at an operating point that a run measures, ours beside it.
import { paperValue, TABLE1_RATE } from "./paper.js";
import { measuresServer, nearRate, unprofiled, type Point, type Results } from "./results.js";
import { num, pct } from "./rules.js";
import { median } from "./stats.js";
import { profiledPoints, profileQuality, profileRows, profileValues, table1Comparison } from "./table1.js";

/** The one number the calibration fits (harness/runner/calibrate.ts): userver-nb-30K-4p's reply rate at 12,000
 *  req/s. Every other row of the section is a prediction of the testbed. */
export const CALIBRATED = { label: "userver-nb-30K-4p", metric: "reply_rate" } as const;

/** The section's heading (the HTML report links to it). */
export const FIDELITY_HEADING = "Fidelity: the testbed beside the paper's operating points";

export interface FidelityRow {
  /** the sub-table the row is shown in */
  group: string;
  /** Table 1's metric name, or what the paper's text quotes */
  observable: string;
  label: string;
  /** the operating point's offered rate (req/s, paper units) */
  rate: number;
  /** where the paper reports it */
  section: string;
  unit: string;
  decimals: number;
  paper: number;
  /** the median over the trials at the operating point; undefined where this run did not measure it */
  ours?: number;
  /** how many trials `ours` is the median of */
  n: number;
  /** ours − paper; `relative` is that over the paper's (undefined where the paper's is 0) */
  difference?: number;
  relative?: number;
  role: "fitted" | "predicted";
  /** the points measured at the operating point, and how many of them failed verification (§3.4) */
  trials: number;
  failed: number;
  /** a profile the runner marked unreliable: shown, not to be read as the testbed's */
  unreliable?: boolean;
  /** why the observable does not exist for this server (the paper's 0 is by construction), where it does not */
  absent?: string;
}

/** Table 1's rows by the sub-table they go to. */
const TABLE1_GROUPS: { group: string; metrics: (metric: string, section: string) => boolean }[] = [
  { group: "Reply rate and throughput at 12,000 req/s", metrics: (m) => m === "reply_rate" || m === "throughput_mbps" },
  { group: "File-system cache at 12,000 req/s", metrics: (m) => m === "file_system_cache_kb" },
  { group: "Context switches at 12,000 req/s", metrics: (m) => m.startsWith("ctx_switches") },
  { group: "Profile at 12,000 req/s: % of the server CPU's non-idle samples", metrics: (_, s) => s === "oprofile" },
];
const IOWAIT_GROUP = "I/O wait at 15,000 req/s: % of the server CPU's time idle waiting for I/O";
const POLL_GROUP = "knot-b-20K-50w's poll overhead (% of non-idle samples) and mean poll-set size";
const GROUP_ORDER = [TABLE1_GROUPS[0].group, IOWAIT_GROUP, ...TABLE1_GROUPS.slice(1).map((g) => g.group), POLL_GROUP];

const UNITS: Record<string, [unit: string, decimals: number]> = {
  reply_rate: ["replies/s", 0], throughput_mbps: ["Mbps", 0], file_system_cache_kb: ["KB", 0],
  ctx_switches_per_s_kernel: ["/s", 0], ctx_switches_per_s_user: ["/s", 0],
};

/** What measures a number the paper's text quotes: a column of the unprofiled points at that rate, as the claims read
 *  it (perf costs CPU, which moves iowait), or a profile category at that rate. */
interface Quoted {
  group: string;
  observable: string;
  unit: string;
  decimals: number;
  measure: (r: Results, label: string, rate: number) => { values: number[]; points: Point[]; unreliable?: boolean };
}

function pointField(field: "iowait_pct" | "mean_interest_set"): Quoted["measure"] {
  return (r, label, rate) => {
    const points = r.points.filter((p) => p.series === label && measuresServer(p) && unprofiled(p) && nearRate(p, rate) && !Number.isNaN(p[field]));
    return { values: points.map((p) => p[field]), points };
  };
}
function profileCategory(metric: string): Quoted["measure"] {
  return (r, label, rate) => {
    const values = profileValues(r.profile, label, metric, rate);
    return { values, points: profiledPoints(r.points, label, rate), unreliable: values.length > 0 && profileQuality(profileRows(r.profile, label, rate)).reliable === false };
  };
}
const IOWAIT: Quoted = { group: IOWAIT_GROUP, observable: "iowait", unit: "% CPU", decimals: 1, measure: pointField("iowait_pct") };
const POLL: Quoted = { group: POLL_GROUP, observable: "poll_overhead", unit: "% CPU", decimals: 2, measure: profileCategory("poll_overhead") };
const POLL_SET: Quoted = { group: POLL_GROUP, observable: "mean poll-set size", unit: "fds", decimals: 0, measure: pointField("mean_interest_set") };

/** The levels the paper's text quotes at a named configuration and rate (paper.ts PAPER_VALUES), and what measures each. */
export const QUOTED: Record<string, Quoted> = {
  "userver-nb-30K-1p-iowait": IOWAIT, "sped-iowait": IOWAIT, "userver-nb-30K-2p-iowait": IOWAIT, "userver-nb-30K-3p-iowait": IOWAIT,
  "userver-nb-30K-4p-iowait": IOWAIT, "watpipe-20K-5p-iowait": IOWAIT, "watpipe-20K-25p-iowait": IOWAIT,
  "knot-b-20K-50w-poll-12K": POLL, "knot-b-20K-50w-poll-25K": POLL, "knot-b-20K-50w-poll-30K": POLL,
  "knot-b-20K-50w-pollset-15K": POLL_SET, "knot-b-20K-50w-pollset-25K": POLL_SET, "knot-b-20K-50w-pollset-30K": POLL_SET,
};

function row(base: Omit<FidelityRow, "ours" | "n" | "difference" | "relative" | "role" | "trials" | "failed" | "unreliable">,
  ours: number | undefined, n: number, points: Point[], unreliable = false): FidelityRow {
  const difference = ours === undefined ? undefined : ours - base.paper;
  return {
    ...base, ours, n, difference, relative: difference === undefined || base.paper === 0 ? undefined : difference / base.paper,
    role: base.label === CALIBRATED.label && base.observable === CALIBRATED.metric ? "fitted" : "predicted",
    trials: points.length, failed: points.filter((p) => p.verdict !== "pass").length, ...(unreliable ? { unreliable } : {}),
  };
}

/** Every number the paper reports at an operating point that a run measures (Table 1's at 12,000 req/s, the iowaits
 *  and knot-b-20K-50w's poll numbers its text quotes), ours (the median over the trials there) beside the paper's,
 *  in the section's order. A number quoted twice (the SPED baseline's iowait in §5.3 and §7) is one row. */
export function fidelity(results: Results): FidelityRow[] {
  const rows: FidelityRow[] = [];
  for (const c of table1Comparison(results)) {
    const group = TABLE1_GROUPS.find((g) => g.metrics(c.metric, c.section))!.group;
    const [unit, decimals] = UNITS[c.metric] ?? ["% CPU", 2];
    const r = row({ group, observable: c.metric, label: c.label, rate: TABLE1_RATE, section: "§7, Table 1", unit, decimals, paper: c.paper },
      c.ours, c.n, profiledPoints(results.points, c.label), c.unreliable);
    // only Knot schedules user-level threads: the others' servers report no such count, and the paper's is 0
    const server = results.points.find((p) => p.series === c.label)?.server;
    if (c.metric === "ctx_switches_per_s_user" && c.ours === undefined && server !== undefined && server !== "knot") r.absent = "no user-level threads";
    rows.push(r);
  }
  for (const [id, m] of Object.entries(QUOTED)) {
    const v = paperValue(id);
    const same = rows.find((x) => x.observable === m.observable && x.label === v.series && x.rate === v.rate && x.paper === v.value);
    if (same) {
      same.section += `, ${v.section}`;
      continue;
    }
    const { values, points, unreliable } = m.measure(results, v.series!, v.rate!);
    rows.push(row({ group: m.group, observable: m.observable, label: v.series!, rate: v.rate!, section: v.section, unit: m.unit, decimals: m.decimals, paper: v.value },
      values.length ? median(values) : undefined, values.length, points, unreliable));
  }
  return GROUP_ORDER.flatMap((g) => rows.filter((x) => x.group === g));
}

const signed = (v: number, decimals: number) => `${v > 0 ? "+" : ""}${num(v, decimals)}`;

/** ours − paper: in points for a share of CPU time, else with its ratio to the paper's. */
function showDifference(r: FidelityRow): string {
  if (r.difference === undefined) return "—";
  if (r.unit.startsWith("%")) return `${signed(r.difference, r.decimals)} points`;
  return r.relative === undefined ? signed(r.difference, r.decimals) : `${signed(r.difference, r.decimals)} (${pct(r.relative)})`;
}

function showOurs(r: FidelityRow): string {
  if (r.ours !== undefined) return `${num(r.ours, r.decimals)} (n = ${r.n})`;
  return r.absent ? `none: ${r.absent}` : "not measured";
}

function note(r: FidelityRow): string {
  return [
    r.failed ? `${r.failed} of ${r.trials} trial(s) failed verification (§3.4)` : "",
    r.unreliable ? "profile unreliable: more non-idle samples unattributed than the runner allows" : "",
  ].filter(Boolean).join("; ");
}

/** The sections of the paper's text the quoted levels come from, in the paper's order. */
function quotedSections(): string {
  return [...new Set(Object.keys(QUOTED).map((id) => paperValue(id).section))].sort((a, b) => a.localeCompare(b, "en", { numeric: true })).join(", ");
}

/** The section as Markdown: one line saying what it is not, how to read it, then one table per group. */
export function fidelityMarkdown(results: Results): string {
  const rows = fidelity(results);
  const tables = GROUP_ORDER.filter((g) => rows.some((x) => x.group === g)).flatMap((g) => [
    `### ${g}`, "",
    "| configuration | observable (unit) | at (req/s) | where | role | paper | ours (n) | ours − paper | note |",
    "|---|---|---:|---|---|---:|---:|---:|---|",
    ...rows.filter((x) => x.group === g).map((x) => `| ${x.label} | ${x.observable} (${x.unit}) | ${num(x.rate)} | ${x.section} | ${x.role === "fitted" ? "**fitted**" : x.role} | ` +
      `${num(x.paper, x.decimals)} | ${showOurs(x)} | ${showDifference(x)} | ${note(x)} |`),
    "",
  ]);
  return [
    `## ${FIDELITY_HEADING}`, "",
    "*A description of the testbed, not a score to tune.*", "",
    "Every number the paper reports at an operating point that this run measures: Table 1's at 12,000 req/s (§7) and",
    `the levels its text quotes for a configuration at a rate (${quotedSections()}). Ours is the median over the trials at`,
    "that point, with n (points where the client was the bottleneck or the server failed are not used; trials that",
    "failed verification are used, and counted in the note); the difference is ours − the paper's, in points for shares",
    `of CPU time. The calibration fits one number, ${CALIBRATED.label}'s ${CALIBRATED.metric} at 12,000 req/s (role *fitted*);`,
    "every other row is a prediction of the testbed. Rates are in paper units (testbed value ÷ k); context switches are",
    "per second of the testbed, as measured; the file-system cache is the server's page cache; profile rows are perf's",
    "cpu-clock samples here and OProfile's in the paper, the NIC driver row the veth pair's path.", "",
    ...tables,
  ].join("\n");
}
