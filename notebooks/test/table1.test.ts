// Tests the Table 1 comparison: which point and profile rows stand for a configuration, totals, Markdown and CSV.
import { parse } from "csv-parse/sync";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { TABLE1, TABLE1_CONFIGS, paperValue, table1Value } from "../lib/paper.ts";
import { profileValue, table1Comparison, table1Csv, table1Markdown, profiledPoints } from "../lib/table1.ts";
import { fixture, withPoints } from "./helpers.ts";

const cellOf = (metric: string, label: string, r = fixture()) => table1Comparison(r).find((c) => c.metric === metric && c.label === label)!;

test("the paper's Table 1 is complete and typed", () => {
  assert.is(TABLE1.length, 26);
  assert.is(table1Value("throughput_mbps", "userver-shared-nb-30K-10p"), 1280);
  assert.is(table1Value("data_copying", "knot-c-20K-100w-1000MB"), 17.73);
  assert.is(table1Value("arch", "knot-c-20K-100w-1000MB"), undefined);
  assert.throws(() => paperValue("no-such-value"), /no paper value/);
});

test("the 12K point: the one marked table1, and only points that measured the server", () => {
  const r = fixture();
  assert.equal(profiledPoints(r.points, "knot-b-20K-100w").map((p) => `${p.figure} ${p.trial}`), ["table1 1", "table1 2", "table1 3"]);
  const invalid = withPoints(r, "knot-b-20K-100w", (p) => { if (p.offered_rate === 12000) p.verdict = "invalid-client"; });
  assert.equal(profiledPoints(invalid.points, "knot-b-20K-100w"), []);
  assert.is(cellOf("reply_rate", "knot-b-20K-100w", invalid).ours, undefined);
  // C9's profile at 25K comes from its own profiled point, not Figure 3's unprofiled one at that rate
  const fig3 = r.points.find((p) => p.series === "knot-b-20K-50w" && p.offered_rate === 25000)!;
  const poll = { ...fig3, figure: "poll", verdict: "fail-timeouts" };
  assert.equal(profiledPoints([...r.points, poll], "knot-b-20K-50w", 25000), [poll]);
  assert.ok(profiledPoints(r.points, "knot-b-20K-50w", 25000).includes(fig3));
});

test("profile totals: the recorded row when present, else the sum of its section", () => {
  assert.is(cellOf("vmlinux_total", "knot-c-20K-100w-1000MB").ours, 66);
  assert.is(profileValue([{ run_id: "", series: "s", trial: 1, section: "vmlinux", category: "vmlinux_total", pct: 70 }, { run_id: "", series: "s", trial: 1, section: "vmlinux", category: "networking", pct: 20 }], "vmlinux_total"), 70);
  assert.is(profileValue([], "vmlinux_total"), undefined);
  assert.is(profileValue([{ run_id: "", series: "s", trial: 1, section: "vmlinux", category: "networking", pct: NaN }], "networking"), undefined, "an empty pct is not a number");
  assert.is(cellOf("ctx_switches_per_s_user", "knot-nb-15K-50w").ours, 15000);
  assert.is(cellOf("file_system_cache_kb", "knot-c-20K-100w-1000MB").paper, 750957);
});

test("Markdown: one column per configuration, cells ours / paper", () => {
  const md = table1Markdown(fixture());
  assert.match(md, new RegExp(`\\| metric \\| ${TABLE1_CONFIGS.map((c) => c.label).join(" \\| ")} \\|`));
  assert.match(md, /\| throughput_mbps \(result\) \| 1,074 \/ 1,001 \|/);
  assert.match(md, /\| data_copying \(oprofile\) \| 16\.00 \/ 17\.73 \|/);
  assert.match(md, /k = 0\.1/);
});

test("an unreliable profile is marked in Markdown and CSV; the note says veth is the NIC row", () => {
  const label = "knot-b-20K-100w";
  const quality = (reliable: number, pct: number) => [
    { run_id: "t", series: label, trial: 1, section: "quality", category: "unattributed_pct", pct },
    { run_id: "t", series: label, trial: 1, section: "quality", category: "reliable", pct: reliable }];
  const bad = { ...fixture(), profile: [...fixture().profile, ...quality(0, 12.5)] };
  assert.ok(cellOf("networking", label, bad).unreliable);
  assert.not.ok(cellOf("reply_rate", label, bad).unreliable);           // not a profile row
  assert.not.ok(cellOf("networking", "knot-c-20K-100w-1000MB", bad).unreliable);
  const md = table1Markdown(bad);
  assert.match(md, /\| profile: % of non-idle samples unattributed \| not recorded \| not recorded \| 12\.50 † unreliable \|/);
  assert.match(md, /veth_xmit, veth_poll/);
  assert.match(md, /\| networking \(oprofile\) \| [^|]+ \| [^|]+ \| [\d.]+ † \/ /);
  const good = table1Markdown({ ...fixture(), profile: [...fixture().profile, ...quality(1, 0.5)] });
  assert.match(good, /\| 0\.50 \|/);
  assert.not.match(good, /†  ?unreliable/);
  const rows = parse(table1Csv(bad), { columns: true }) as Record<string, string>[];
  assert.is(rows.find((x) => x.metric === "networking" && x.label === label)!.profile, "unreliable");
  assert.is(rows.find((x) => x.metric === "networking" && x.label === "knot-c-20K-100w-1000MB")!.profile, "");
});

test("CSV: one row per metric and configuration, with the difference", () => {
  const rows = parse(table1Csv(fixture()), { columns: true }) as Record<string, string>[];
  assert.is(rows.length, 21 * 7, "21 numeric rows × 7 configurations");
  const row = rows.find((x) => x.metric === "reply_rate" && x.column === "knot-c")!;
  assert.equal([row.ours, row.paper, row.difference], ["8987", "8394", "593"]);
  const none = parse(table1Csv({ ...fixture(), profile: [] }), { columns: true }) as Record<string, string>[];
  assert.is(none.find((x) => x.metric === "networking")!.ours, "");
});

test.run();
