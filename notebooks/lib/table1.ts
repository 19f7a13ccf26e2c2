// Table 1 (§7): our profile, reply rate and vmstat numbers at 12,000 req/s beside the paper's, category by category.
import { stringify } from "csv-stringify/sync";
import { captionLines } from "./figures.js";
import { TABLE1, TABLE1_CONFIGS, TABLE1_RATE } from "./paper.js";
import { measuresServer, nearRate, RATE_TOLERANCE, unprofiled, type Point, type ProfileRow, type Results } from "./results.js";
import { median } from "./stats.js";

/** Table 1's totals and the profile section each sums. */
const SECTION_OF_TOTAL: Record<string, string> = {
  vmlinux_total: "vmlinux", nic_driver_total: "nic", user_space_total: "user", libc_total: "libc", other_total: "other",
};

/** Table 1's rows that come from the points rather than the profile. */
const POINT_FIELD: Record<string, keyof Point> = {
  reply_rate: "reply_rate",
  throughput_mbps: "throughput_mbps",
  file_system_cache_kb: "page_cache_kb",
  ctx_switches_per_s_kernel: "ctx_switches_per_s",
  ctx_switches_per_s_user: "user_ctx_switches_per_s",
};

export interface Table1Cell {
  metric: string;
  section: string;
  column: string;
  label: string;
  ours?: number;
  n: number;
  paper: number;
  /** a profile cell whose profile the runner marked unreliable */
  unreliable?: boolean;
}

/**
 * The points (one per trial) a configuration's profile at a rate (Table 1's: 12,000 req/s) comes from: those that
 * measured the server there, the ones the runner profiled if there are any.
 */
export function profiledPoints(points: Point[], label: string, rate = TABLE1_RATE): Point[] {
  const candidates = points.filter((p) => p.series === label && measuresServer(p) && nearRate(p, rate));
  const marked = candidates.filter((p) => !unprofiled(p));
  return marked.length ? marked : candidates;
}

/** Profile rows of a configuration at 12,000 req/s: series "label", or "label@rate" when profiled at several rates. */
export function profileRows(profile: ProfileRow[], label: string, rate = TABLE1_RATE): ProfileRow[] {
  return profile.filter((r) => {
    if (r.series === label) return rate === TABLE1_RATE;
    const [l, at] = r.series.split("@");
    return l === label && Math.abs(Number(at) - rate) <= RATE_TOLERANCE * rate;
  });
}

/** A Table 1 category from profile rows: the row itself, or for a total the sum of its section. */
export function profileValue(all: ProfileRow[], metric: string): number | undefined {
  const rows = all.filter((r) => !Number.isNaN(r.pct));
  const row = rows.find((r) => r.category === metric);
  if (row) return row.pct;
  const section = SECTION_OF_TOTAL[metric];
  const parts = rows.filter((r) => r.section === section && !r.category.endsWith("_total"));
  return section && parts.length ? parts.reduce((s, r) => s + r.pct, 0) : undefined;
}

/** A Table 1 category of a configuration's profile, trial by trial. */
export function profileValues(profile: ProfileRow[], label: string, metric: string, rate = TABLE1_RATE): number[] {
  const rows = profileRows(profile, label, rate);
  return [...new Set(rows.map((r) => r.trial))].sort((a, b) => a - b)
    .map((t) => profileValue(rows.filter((r) => r.trial === t), metric)).filter((v): v is number => v !== undefined);
}

/** A profile's quality, from its "quality" rows over every trial: the largest share of non-idle samples no rule placed,
 *  and whether the runner held every trial's profile reliable (both undefined for runs that predate the check). */
export function profileQuality(rows: ProfileRow[]): { unattributedPct?: number; reliable?: boolean } {
  const q = (c: string) => rows.filter((r) => r.section === "quality" && r.category === c && !Number.isNaN(r.pct)).map((r) => r.pct);
  const shares = q("unattributed_pct"), reliable = q("reliable");
  return { unattributedPct: shares.length ? Math.max(...shares) : undefined, reliable: reliable.length ? reliable.every((x) => x === 1) : undefined };
}

/** Every numeric cell of Table 1 with our value beside it: the median over the trials (ours undefined where we did
 *  not measure it; n: how many trials). */
export function table1Comparison(results: Results): Table1Cell[] {
  const cells: Table1Cell[] = [];
  for (const row of TABLE1.filter((r) => r.section !== "config")) {
    for (const { column, label } of TABLE1_CONFIGS) {
      const field = POINT_FIELD[row.metric];
      const values = field
        ? profiledPoints(results.points, label).map((p) => p[field]).filter((v): v is number => typeof v === "number" && !Number.isNaN(v))
        : profileValues(results.profile, label, row.metric);
      const unreliable = !field && values.length > 0 && profileQuality(profileRows(results.profile, label)).reliable === false;
      cells.push({ metric: row.metric, section: row.section, column, label, ours: values.length ? median(values) : undefined, n: values.length,
        paper: row.values[column] as number, ...(unreliable ? { unreliable } : {}) });
    }
  }
  return cells;
}

function format(v: number | undefined, metric: string): string {
  if (v === undefined) return "—";
  const decimals = TABLE1.find((r) => r.metric === metric)?.section === "oprofile" ? 2 : 0;
  return v.toLocaleString("en-US", { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

/** Markdown: one row per metric, one column per configuration, each cell "ours / paper". */
export function table1Markdown(results: Results): string {
  const cells = table1Comparison(results);
  const header = `| metric | ${TABLE1_CONFIGS.map((c) => c.label).join(" | ")} |`;
  const rule = `|---|${TABLE1_CONFIGS.map(() => "---:").join("|")}|`;
  const verdicts = `| verification of the 12K point | ${TABLE1_CONFIGS.map((c) => profiledPoints(results.points, c.label).map((p) => p.verdict).join(", ") || "not measured").join(" | ")} |`;
  const trials = `| trials (n) | ${TABLE1_CONFIGS.map((c) => profiledPoints(results.points, c.label).length).join(" | ")} |`;
  const quality = `| profile: % of non-idle samples unattributed | ${TABLE1_CONFIGS.map((c) => {
    const q = profileQuality(profileRows(results.profile, c.label));
    return q.unattributedPct === undefined ? "not recorded" : `${format(q.unattributedPct, "networking")}${q.reliable === false ? " † unreliable" : ""}`;
  }).join(" | ")} |`;
  const rows = TABLE1.filter((r) => r.section !== "config").map((r) => {
    const row = cells.filter((c) => c.metric === r.metric);
    return `| ${r.metric} (${r.section}) | ${row.map((c) => `${format(c.ours, c.metric)}${c.unreliable ? " †" : ""} / ${format(c.paper, c.metric)}`).join(" | ")} |`;
  });
  return [
    `# Table 1: server statistics at ${TABLE1_RATE.toLocaleString("en-US")} req/s, ours / the paper's`,
    "",
    ...captionLines(results.run, Infinity).flatMap((l) => [l, ""]),
    "Each cell is *ours / paper*, ours the median over the configuration's trials (n in the second row); — means not",
    "measured. Profile rows are % of the server CPU's non-idle samples (perf cpu-clock here, OProfile in the paper);",
    "totals we did not record are the sums of their section.",
    "The testbed's NIC is a veth pair (loopback on the loopback testbed): its transmit and receive path",
    "(veth_xmit, veth_poll, …, loopback_xmit) is the nic_driver row, as the paper's e1000 driver was.",
    "† the configuration's profile is unreliable: more of its non-idle samples than the runner allows matched no rule",
    "(the limit and the symbols it missed are in the point's raw/…/profile.json); its profile numbers are shown, not judged.",
    "",
    header, rule, verdicts, trials, quality, ...rows, "",
  ].join("\n");
}

/** CSV, one row per metric × configuration: metric, section, column, label, ours, paper, difference (ours − paper),
 *  and for profile cells whether their profile is unreliable. */
export function table1Csv(results: Results): string {
  return stringify(
    table1Comparison(results).map((c) => [c.metric, c.section, c.column, c.label, c.ours ?? "", c.paper, c.ours === undefined ? "" : +(c.ours - c.paper).toFixed(4),
      c.unreliable ? "unreliable" : ""]),
    { header: true, columns: ["metric", "section", "column", "label", "ours", "paper", "difference", "profile"] },
  );
}
