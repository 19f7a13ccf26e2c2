// Tests the fidelity section row by row on the fixture: which points and trials each number comes from, the paper's
// number beside it, the difference, the one fitted row, and "not measured" wherever the run has no data.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { REFERENCE } from "../../harness/runner/calibrate.ts";
import { claimsMarkdown } from "../lib/claims.ts";
import { CALIBRATED, fidelity, fidelityMarkdown, QUOTED, type FidelityRow } from "../lib/fidelity.ts";
import { PAPER_VALUES, TABLE1, TABLE1_CONFIGS } from "../lib/paper.ts";
import type { Point, Results } from "../lib/results.ts";
import { fixture, withPoints } from "./helpers.ts";

const base = fixture();
const rowOf = (observable: string, label: string, r: Results = base, rate?: number): FidelityRow => {
  const row = fidelity(r).find((x) => x.observable === observable && x.label === label && (rate === undefined || x.rate === rate));
  if (!row) throw new Error(`no row ${observable} ${label} ${rate ?? ""}`);
  return row;
};
/** One trial's value of a field at a rate changed. */
const setTrial = (r: Results, label: string, rate: number, trial: number, field: keyof Point, value: number | string) =>
  withPoints(r, label, (p) => { if (p.offered_rate === rate && p.trial === trial) (p as Record<string, unknown>)[field] = value; });

test("every numeric Table 1 cell and every level the paper quotes at a configuration and rate is a row", () => {
  const rows = fidelity(base);
  const table1 = TABLE1.filter((r) => r.section !== "config");
  assert.is(rows.filter((x) => x.section.startsWith("§7, Table 1")).length, table1.length * TABLE1_CONFIGS.length);
  for (const v of PAPER_VALUES.filter((p) => p.kind === "level" && p.series && p.rate)) {
    assert.ok(v.id in QUOTED, `${v.id} (${v.section}) has no measure in the fidelity section`);
    assert.ok(rows.some((x) => x.label === v.series && x.rate === v.rate && x.paper === v.value && x.section.includes(v.section)), v.id);
  }
  // the SPED baseline's iowait, quoted in §5.3 and again in §7, is one row
  assert.equal(rows.filter((x) => x.observable === "iowait" && x.label === "userver-nb-30K-1p").map((x) => x.section), ["§5.3, §7"]);
});

test("reply rates: the median of the 12K point's trials beside Table 1, the calibrated one marked fitted", () => {
  const knotC = rowOf("reply_rate", "knot-c-20K-100w-1000MB");
  assert.equal([knotC.ours, knotC.n, knotC.paper, knotC.difference, knotC.rate], [8987, 3, 8394, 593, 12000]);
  assert.ok(Math.abs(knotC.relative! - 593 / 8394) < 1e-12);
  assert.equal(fidelity(base).filter((x) => x.role === "fitted").map((x) => `${x.label} ${x.observable}`), ["userver-nb-30K-4p reply_rate"]);
  assert.is(CALIBRATED.label, REFERENCE.label, "the row marked fitted is the configuration the calibration fits");
  assert.is(rowOf("throughput_mbps", "userver-nb-30K-4p").role, "predicted");
  // the median, not the mean: one wild trial moves it to the next trial's value
  assert.is(rowOf("reply_rate", "knot-c-20K-100w-1000MB", setTrial(base, "knot-c-20K-100w-1000MB", 12000, 1, "reply_rate", 1e6)).ours, 9166.74);
  // a client-bound trial is left out; a trial failing verification is used and counted
  const bound = rowOf("reply_rate", "knot-c-20K-100w-1000MB", setTrial(base, "knot-c-20K-100w-1000MB", 12000, 2, "verdict", "invalid-client"));
  assert.equal([bound.ours, bound.n], [(8987 + 8807.26) / 2, 2]);
  const failing = rowOf("reply_rate", "knot-c-20K-100w-1000MB", setTrial(base, "knot-c-20K-100w-1000MB", 12000, 3, "verdict", "fail-timeouts"));
  assert.equal([failing.ours, failing.n, failing.failed, failing.trials], [8987, 3, 1, 3]);
});

test("iowait at 15K: unprofiled points of the named line, from every figure that measured it", () => {
  const sped = rowOf("iowait", "userver-nb-30K-1p");
  assert.equal([sped.ours, sped.n, sped.paper, sped.difference, sped.rate], [30, 6, 33, 30 - 33, 15000]); // Figures 4 and 7, three trials each
  assert.equal([rowOf("iowait", "watpipe-20K-5p").ours, rowOf("iowait", "watpipe-20K-5p").paper], [14, 14]);
  assert.is(rowOf("iowait", "userver-nb-30K-2p").difference, 9 - 8);
  // a profiled point at 15K (perf costs CPU) does not count
  const extra = base.points.find((p) => p.series === "watpipe-20K-5p" && p.offered_rate === 15000)!;
  const profiled = { ...base, points: [...base.points, { ...extra, figure: "poll", iowait_pct: 90, trial: 4 }] };
  assert.equal([rowOf("iowait", "watpipe-20K-5p", profiled).ours, rowOf("iowait", "watpipe-20K-5p", profiled).n], [14, 3]);
});

test("file-system cache, context switches and profile categories beside Table 1's", () => {
  assert.equal([rowOf("file_system_cache_kb", "knot-c-20K-100w-1000MB").ours, rowOf("file_system_cache_kb", "knot-c-20K-100w-1000MB").paper], [750000, 750957]);
  const kernel = rowOf("ctx_switches_per_s_kernel", "knot-b-20K-100w");
  assert.equal([kernel.ours, kernel.paper, kernel.difference], [1000, 8928, 1000 - 8928]);
  const user = rowOf("ctx_switches_per_s_user", "userver-nb-30K-4p");
  assert.equal([user.ours, user.paper, user.difference, user.relative], [0, 0, 0, undefined], "no ratio to a paper's 0");
  const copying = rowOf("data_copying", "knot-c-20K-100w-1000MB");
  assert.equal([copying.ours, copying.n, copying.paper, copying.unit], [16, 3, 17.73, "% CPU"]);
  assert.ok(Math.abs(copying.difference! - (16 - 17.73)) < 1e-9);
  assert.is(rowOf("vmlinux_total", "knot-c-20K-100w-1000MB").ours, 66, "a total not recorded is its section's sum");
});

test("knot-b-20K-50w: poll-set sizes from the Figure 3 points; poll overhead not measured without its profiles", () => {
  const set = rowOf("mean poll-set size", "knot-b-20K-50w", base, 25000);
  assert.equal([set.ours, set.n, set.paper, set.difference], [240, 3, 243, -3]);
  const poll = rowOf("poll_overhead", "knot-b-20K-50w", base, 25000);
  assert.equal([poll.ours, poll.n, poll.difference], [undefined, 0, undefined]);
  const profiled = { ...base, profile: [...base.profile, { run_id: "t", series: "knot-b-20K-50w@25000", trial: 1, section: "vmlinux", category: "poll_overhead", pct: 12.5 }] };
  assert.equal([rowOf("poll_overhead", "knot-b-20K-50w", profiled, 25000).ours, rowOf("poll_overhead", "knot-b-20K-50w", profiled, 25000).paper], [12.5, 15]);
  assert.is(rowOf("poll_overhead", "knot-b-20K-50w", profiled, 30000).ours, undefined, "a profile at 25K is not the one at 30K");
});

test("an unreliable profile is marked, not hidden", () => {
  const label = "knot-b-20K-100w";
  const bad = { ...base, profile: [...base.profile, { run_id: "t", series: label, trial: 1, section: "quality", category: "reliable", pct: 0 }] };
  assert.ok(rowOf("networking", label, bad).unreliable);
  assert.not.ok(rowOf("reply_rate", label, bad).unreliable);
  assert.match(fidelityMarkdown(bad), /\| knot-b-20K-100w \| networking \(% CPU\) \|[^\n]*profile unreliable/);
});

test("Markdown: the line that it is no score, then one table per group with ours, the paper's and the difference", () => {
  const md = fidelityMarkdown(base);
  const lines = md.split("\n").filter(Boolean);
  assert.match(lines[0], /^## Fidelity/);
  assert.is(lines[1], "*A description of the testbed, not a score to tune.*");
  assert.match(md, /\| knot-c-20K-100w-1000MB \| reply_rate \(replies\/s\) \| 12,000 \| §7, Table 1 \| predicted \| 8,394 \| 8,987 \(n = 3\) \| \+593 \(\+7\.1%\) \|  \|/);
  assert.match(md, /\| userver-nb-30K-4p \| reply_rate \(replies\/s\) \| 12,000 \| §7, Table 1 \| \*\*fitted\*\* \|/);
  assert.match(md, /\| userver-nb-30K-1p \| iowait \(% CPU\) \| 15,000 \| §5\.3, §7 \| predicted \| 33\.0 \| 30\.0 \(n = 6\) \| -3\.0 points \|/);
  assert.match(md, /\| knot-b-20K-50w \| poll_overhead \(% CPU\) \| 25,000 \| §4\.4 \| predicted \| 15\.00 \| not measured \| — \|/);
  assert.match(md, /\| userver-nb-30K-4p \| ctx_switches_per_s_user \(\/s\) \| 12,000 \| §7, Table 1 \| predicted \| 0 \| 0 \(n = 3\) \| 0 \|/);
  assert.ok(md.indexOf("### Reply rate") < md.indexOf("### I/O wait") && md.indexOf("### I/O wait") < md.indexOf("### Profile"));
  const failing = fidelityMarkdown(setTrial(base, "knot-c-20K-100w-1000MB", 12000, 3, "verdict", "fail-timeouts"));
  assert.match(failing, /\| knot-c-20K-100w-1000MB \| reply_rate [^\n]*\| 1 of 3 trial\(s\) failed verification \(§3\.4\) \|/);
});

test("user-level context switches: none for a server without user-level threads, not measured for Knot without them", () => {
  const blank = withPoints(base, undefined, (p) => { p.user_ctx_switches_per_s = NaN; });
  const rows = fidelity(blank);
  const user = (label: string) => rows.find((x) => x.observable === "ctx_switches_per_s_user" && x.label === label)!;
  assert.equal([user("userver-nb-30K-4p").ours, user("userver-nb-30K-4p").absent], [undefined, "no user-level threads"]);
  assert.equal([user("knot-b-20K-100w").ours, user("knot-b-20K-100w").absent], [undefined, undefined]);
  const md = fidelityMarkdown(blank);
  assert.match(md, /\| userver-nb-30K-4p \| ctx_switches_per_s_user \(\/s\) \|[^\n]*\| 0 \| none: no user-level threads \| — \|/);
  assert.match(md, /\| knot-b-20K-100w \| ctx_switches_per_s_user \(\/s\) \|[^\n]*\| not measured \| — \|/);
});

test("a run without data: every row not measured, no error, no NaN", () => {
  const empty = { ...base, points: [], profile: [] };
  const rows = fidelity(empty);
  assert.is(rows.length, fidelity(base).length);
  assert.ok(rows.every((x) => x.ours === undefined && x.n === 0 && x.difference === undefined));
  const md = fidelityMarkdown(empty);
  assert.not.match(md, /NaN|undefined/);
  assert.is(md.match(/\| not measured \| — \|/g)!.length, rows.length);
});

test("the claims report ends with the fidelity section", () => {
  const md = claimsMarkdown(base);
  assert.ok(md.indexOf("## Closing note") < md.indexOf("## Fidelity: the testbed beside the paper's operating points"));
  assert.ok(md.includes(fidelityMarkdown(base)));
});

test.run();
