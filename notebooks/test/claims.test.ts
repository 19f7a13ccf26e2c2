// Tests each claim's rules on fixture data changed so that the claim should reproduce, and so that it should not.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { at, claimsMarkdown, evaluateClaims, peak, runNoise } from "../lib/claims.ts";
import { TABLE1_CONFIGS, table1Value } from "../lib/paper.ts";
import type { Point, ProfileRow, Results } from "../lib/results.ts";
import { fixture, mbpsAt, withPoints } from "./helpers.ts";

const verdictOf = (r: Results, id: string) => evaluateClaims(r).find((c) => c.id === id)!.verdict;

/** Sets a field of one series' points (at one rate, or all rates). */
function set(r: Results, series: string, rate: number | undefined, field: keyof Point, value: (p: Point) => number | string): Results {
  return withPoints(r, series, (p) => {
    if (rate === undefined || p.offered_rate === rate) (p as Record<string, unknown>)[field] = value(p);
  });
}
const scale = (r: Results, series: string, factor: number, rate?: number) => set(r, series, rate, "throughput_mbps", (p) => p.throughput_mbps * factor);
const chain = (r: Results, ...steps: ((r: Results) => Results)[]) => steps.reduce((acc, f) => f(acc), r);
const profile = (r: Results, change: (row: ProfileRow) => number | undefined, extra: ProfileRow[] = []): Results => ({
  ...r, profile: [...r.profile.map((row) => ({ ...row, pct: change(row) ?? row.pct })), ...extra],
});

const SHARED = "userver-shared-nb-30K-10p", KNOT_B = "knot-b-20K-100w", KNOT_C = "knot-c-20K-100w-1000MB", KNOT_NB = "knot-nb-15K-50w";
const base = fixture();

/** For each claim: the fixture changed so that it reproduces, and changed so that it does not. */
const CASES: Record<string, { pass: (r: Results) => Results; fail: (r: Results) => Results }> = {
  C1: {
    pass: (r) => chain(r, (x) => set(x, KNOT_B, 15000, "throughput_mbps", () => mbpsAt(r, SHARED, 15000) / 1.18), (x) => set(x, KNOT_C, 15000, "throughput_mbps", () => mbpsAt(r, SHARED, 15000) / 1.34)),
    fail: (r) => chain(r, (x) => scale(x, KNOT_B, 1.2, 15000), (x) => set(x, KNOT_C, 15000, "throughput_mbps", () => mbpsAt(r, SHARED, 15000) * 1.1)),
  },
  C2: { pass: (r) => set(r, KNOT_B, 15000, "throughput_mbps", () => 1.07 * mbpsAt(r, KNOT_NB, 15000)), fail: (r) => set(r, KNOT_B, 15000, "throughput_mbps", () => 0.8 * mbpsAt(r, KNOT_C, 15000)) },
  C3: { pass: (r) => r, fail: (r) => scale(r, "watpipe-20K-25p", 0.8) },
  C4: { pass: (r) => r, fail: (r) => chain(r, (x) => scale(x, "userver-b-30K-100p", 1.3, 15000), (x) => set(x, "userver-b-30K-100p", 30000, "throughput_mbps", () => 1.1 * mbpsAt(r, SHARED, 30000))) },
  C5: { pass: (r) => r, fail: (r) => chain(r, (x) => scale(x, "userver-nb-30K-1p", 1.6), (x) => set(x, "userver-nb-30K-1p", 15000, "iowait_pct", () => 0)) },
  C6: { pass: (r) => r, fail: (r) => withPoints(r, undefined, (p) => { if (p.max_conns === 10000) p.throughput_mbps *= 1.4; }) },
  C7: { pass: (r) => r, fail: (r) => chain(r, (x) => scale(x, "knot-c-20K-100w-10MB", 1.6), (x) => scale(x, "knot-c-20K-100w-100MB", 0.7), (x) => scale(x, KNOT_C, 0.5)) },
  C8: {
    pass: (r) => r,
    fail: (r) => chain(r, (x) => scale(x, "knot-nb-15K-25w", 0.6), (x) => set(x, "knot-nb-15K-5w", 30000, "throughput_mbps", () => 2000), (x) => scale(x, KNOT_NB, 1.5)),
  },
  C9: {
    pass: (r) => profile(set(r, "knot-b-40K-50w", 30000, "verdict", () => "pass"), () => undefined,
      [[12000, 8], [25000, 15], [30000, 22]].map(([rate, pct]) => ({ run_id: "t", series: `knot-b-20K-50w@${rate}`, trial: 1, section: "vmlinux", category: "poll_overhead", pct }))),
    fail: (r) => chain(r, (x) => scale(x, KNOT_B, 0.5), (x) => set(x, "knot-b-20K-50w", 30000, "throughput_mbps", () => 2000),
      (x) => set(x, "knot-b-40K-50w", undefined, "throughput_mbps", () => 1000), (x) => set(x, "knot-b-20K-50w", undefined, "mean_interest_set", (p) => 1e6 / p.offered_rate)),
  },
  C10: {
    pass: (r) => ({ ...r, points: [...r.points, ...r.points.filter((p) => p.series === "userver-nb-30K-4p" && p.figure === "fig4").map((p) => ({ ...p, series: "userver-nb-30K-6p", procs_or_workers: 6, figure: "4" }))] }),
    fail: (r) => chain(r, (x) => set(x, "userver-nb-30K-2p", undefined, "throughput_mbps", (p) => 0.9 * mbpsAt(r, "userver-nb-30K-1p", p.offered_rate)),
      (x) => withPoints(x, undefined, (p) => { if (p.series.startsWith("userver-nb-30K")) p.iowait_pct = 60; })),
  },
  C11: { pass: (r) => scale(r, "userver-nb-10K-2p", (0.93 * peak(r, "userver-nb-10K-1p")!.value) / peak(r, "userver-nb-10K-2p")!.value), fail: (r) => scale(r, "userver-nb-10K-2p", 1.2) },
  C12: { pass: (r) => r, fail: (r) => chain(r, (x) => scale(x, "userver-b-30K-100p", 0.7), (x) => scale(x, "userver-b-50K-75p", 1.5)) },
  C13: {
    pass: (r) => set(r, "watpipe-10K-5p", 30000, "throughput_mbps", () => mbpsAt(r, "watpipe-20K-5p", 30000) / 1.38),
    fail: (r) => chain(r, (x) => scale(x, "watpipe-20K-5p", 0.7), (x) => scale(x, "watpipe-20K-25p", 0.5),
      (x) => withPoints(x, undefined, (p) => { if (p.series.startsWith("watpipe-20K")) p.iowait_pct = 50; })),
  },
  C14: {
    pass: (r) => r,
    fail: (r) => profile(r, (row) => {
      const knot = row.series.startsWith("knot");
      if (row.category === "data_copying") return 1;
      if (row.category === "thread_overhead") return knot ? 0 : 10;
      if (row.category === "event_overhead") return 15;
      if (row.category === "poll_overhead") return row.series === "userver-nb-30K-4p" ? 1 : 9;
      if (row.category === "application") return knot ? 1 : 30;
      return undefined;
    }),
  },
  C15: {
    // the paper's reply rates, each trial 2% apart: its ≈ pairs overlap, its > pairs (≥ 4.6% apart) separate
    pass: (r) => TABLE1_CONFIGS.reduce((x, c) => set(x, c.label, 12000, "reply_rate", (p) => table1Value("reply_rate", c.label)! * [1, 1.02, 0.98][p.trial - 1]), r),
    fail: (r) => TABLE1_CONFIGS.reduce((x, c) => set(x, c.label, 12000, "reply_rate", () => 20000 - table1Value("reply_rate", c.label)!), r),
  },
  C16: {
    pass: (r) => r,
    fail: (r) => {
      const knotC = new Map(r.points.filter((p) => p.series === KNOT_C).map((p) => [p.offered_rate, p.throughput_mbps]));
      const below = (p: Point) => 0.9 * (knotC.get(p.offered_rate) ?? p.throughput_mbps);
      return chain(r, (x) => set(x, KNOT_NB, undefined, "throughput_mbps", below), (x) => set(x, KNOT_B, undefined, "throughput_mbps", below));
    },
  },
  C17: { pass: (r) => r, fail: (r) => withPoints(r, undefined, (p) => { p.mean_response_ms = 10; }) },
  C18: { pass: (r) => withPoints(r, undefined, (p) => { p.verdict = "pass"; }), fail: (r) => set(r, KNOT_C, 5000, "verdict", () => "fail-bytes") },
};

for (const [id, c] of Object.entries(CASES)) {
  test(`${id}: reproduced on data that shows it, not reproduced on data that contradicts it`, () => {
    assert.is(verdictOf(c.pass(base), id), "reproduced");
    assert.is(verdictOf(c.fail(base), id), "not reproduced");
  });
}

test("every claim C1–C18 gets a verdict; without data every claim is not measured", () => {
  const all = evaluateClaims(base);
  assert.equal(all.map((c) => c.id), Array.from({ length: 18 }, (_, i) => `C${i + 1}`));
  const empty = evaluateClaims({ ...base, points: [], profile: [] });
  assert.ok(empty.every((c) => c.verdict === "not measured"), empty.filter((c) => c.verdict !== "not measured").map((c) => c.id).join());
});

test("client-bound and failed-server points are not used", () => {
  const r = set(base, KNOT_B, 15000, "verdict", () => "invalid-client");
  const c2 = evaluateClaims(r).find((c) => c.id === "C2")!;
  assert.is(c2.parts[0].ours, "not measured");
});

test("claims resting on an unreliable profile are not measured, saying why; the others are unaffected", () => {
  const quality = (series: string, reliable: number): ProfileRow[] => [
    { run_id: "t", series, trial: 1, section: "quality", category: "unattributed_pct", pct: reliable ? 1 : 40 },
    { run_id: "t", series, trial: 1, section: "quality", category: "reliable", pct: reliable }];
  const c9 = CASES.C9.pass(base);
  const claim = (r: Results, id: string) => evaluateClaims(r).find((c) => c.id === id)!;
  const poll = (r: Results) => claim(r, "C9").parts.filter((p) => p.what.includes("poll overhead at"));
  assert.is(poll(profile(c9, () => undefined, quality("knot-b-20K-50w@25000", 1))).filter((p) => p.verdict === "reproduced").length, 3);
  const marked = poll(profile(c9, () => undefined, quality("knot-b-20K-50w@25000", 0)));
  assert.equal(marked.map((p) => p.ours.startsWith("not measured (profile unreliable")), [false, true, false]);
  assert.is(marked[1].verdict, "not measured");
  const c14 = profile(base, () => undefined, TABLE1_CONFIGS.flatMap((c) => quality(c.label, 0)));
  assert.is(claim(c14, "C14").verdict, "not measured");
  assert.ok(claim(c14, "C14").parts.every((p) => p.ours === "not measured (profile unreliable on this machine)"));
  assert.is(verdictOf(c14, "C15"), verdictOf(base, "C15"));        // reply rates do not rest on the profile
  // one configuration's unreliable profile takes its own parts and the relations it is in, not the others' levels
  const one = claim(profile(base, () => undefined, quality("knot-c-20K-100w-1000MB", 0)), "C14").parts;
  assert.ok(one.find((p) => p.what === "knot-b-20K-100w thread_overhead")!.verdict !== "not measured");
  assert.is(one.find((p) => p.what === "knot-c-20K-100w-1000MB data_copying")!.verdict, "not measured");
});

test("the report has the summary table, each claim's parts and the closing note", () => {
  const md = claimsMarkdown(base);
  assert.match(md, /\| id \| where \| claim \| paper \| ours \| verdict \|/);
  assert.match(md, /\| C18 \| §3\.4 \|/);
  assert.match(md, /### C9 — partly reproduced/);
  assert.match(md, /- Not reproduced: none/);
  assert.match(md, /k = 0\.1/);
});

/** The results with one point per configuration, rate and kind (profiled or not): a run of one trial. */
function oneTrial(r: Results): Results {
  const seen = new Set<string>();
  return { ...r, points: r.points.filter((p) => {
    const key = `${p.series} ${p.offered_rate} ${/table|poll/.test(p.figure)}`;
    return !seen.has(key) && !!seen.add(key);
  }) };
}

test("a rate's trials count as their median, with its interval; at the peak too", () => {
  const UNB = "userver-nb-30K-4p";
  const top = peak(base, UNB)!;
  const rate = top.points[0].offered_rate;
  const values = top.points.map((p) => p.throughput_mbps).sort((a, b) => a - b);
  assert.is(top.points.length, 6); // the fixture measures the line in Figures 4 and 7, three trials each
  assert.is(top.value, (values[2] + values[3]) / 2);
  assert.equal([top.ci.lo, top.ci.hi, top.ci.n], [values[0], values[5], 6]);
  const outlier = withPoints(base, UNB, (p) => { if (p.offered_rate === rate && p.trial === 3 && p.figure === "fig7") p.throughput_mbps *= 10; });
  assert.ok(Math.abs(at(outlier, UNB, rate)!.value / top.value - 1) < 0.03, "one wild trial moves the median little, the interval much");
  assert.ok(at(outlier, UNB, rate)!.ci.hi > 5 * top.ci.hi);
});

test("a claim whose intervals overlap is undecided; apart the paper's way reproduced; apart the other way not", () => {
  const c2 = (r: Results) => evaluateClaims(r).find((c) => c.id === "C2")!.parts[1]; // knot-b vs knot-nb at 15K: +7% in the paper
  const nb = mbpsAt(base, KNOT_NB, 15000);
  const knotB = (values: number[]) => withPoints(base, KNOT_B, (p) => { if (p.offered_rate === 15000) p.throughput_mbps = values[(p.trial - 1) % values.length]; });
  const nbTrials = (r: Results) => withPoints(r, KNOT_NB, (p) => { if (p.offered_rate === 15000) p.throughput_mbps = nb * [1, 1.02, 0.98][p.trial - 1]; });
  assert.is(c2(nbTrials(knotB([1.07 * nb, 1.09 * nb, 1.05 * nb]))).verdict, "reproduced");
  // the fixture measures both lines in two figures, three trials each: n = 6
  assert.is(c2(nbTrials(knotB([1.07 * nb, 1.3 * nb, 0.9 * nb]))).verdict, "undecided at n = 6");
  assert.is(c2(nbTrials(knotB([0.9 * nb, 0.91 * nb, 0.92 * nb]))).verdict, "not reproduced");
  assert.is(c2(oneTrial(knotB([1.07 * nb]))).verdict, "undecided at n = 1", "a single trial is no interval");
});

test("the noise gate opens the report: the trials' spread, and the effects smaller than its median", () => {
  const noise = runNoise(base);
  assert.ok(noise.repeated > 100);
  assert.ok(Math.abs(noise.median! - 0.04) < 0.005, `${noise.median}`); // the fixture's trials lie at ×1.02 and ×0.98
  const md = claimsMarkdown(base);
  assert.ok(md.indexOf("## Noise gate") < md.indexOf("| id | where |"));
  assert.match(md, /points of this run \(configuration × rate\) were measured in more than one trial; .* a median of 4\.\d% and at most/);
  assert.match(md, /Effects and equivalences smaller than the median spread \(4\.\d%\): .*C2 knot-b-20K-100w vs knot-nb-15K-50w at 15K \(\+3\.6%/);
  const single = oneTrial(base);
  assert.is(runNoise(single).repeated, 0);
  assert.match(claimsMarkdown(single), /No point of this run was measured in more than one trial: its noise is unmeasured/);
});

test("the runner's warnings (run.json) head the report, before the noise gate; none, no line", () => {
  const warned = { ...base, run: { ...base.run, warnings: ["knot-b-40K-50w needs 24000 descriptors", "another"] } };
  const md = claimsMarkdown(warned);
  assert.ok(md.indexOf("The runner warned: knot-b-40K-50w needs 24000 descriptors; another.") < md.indexOf("## Noise gate"));
  assert.not.match(claimsMarkdown({ ...base, run: { ...base.run, warnings: [] } }), /The runner warned/);
});

test("the peers section: nginx beside the SPED userver rate by rate, the ratio with its interval; absent without peers", () => {
  const noPeers = { ...base, points: base.points.filter((p) => !p.series.startsWith("nginx")) };
  assert.not.match(claimsMarkdown(noPeers), /Present-day peers/);
  const sped = base.points.filter((p) => p.series === "userver-nb-30K-1p" && /fig7/.test(p.figure));
  const peer = (series: string, factor: number) => sped.map((p) => ({ ...p, series, figure: "peers", throughput_mbps: p.throughput_mbps * factor }));
  const four = peer("nginx-4w", 1);
  four[0].verdict = "fail-errors";
  const md = claimsMarkdown({ ...noPeers, points: [...noPeers.points, ...peer("nginx-1w", 0.5), ...four] });
  assert.match(md, /## Present-day peers \(not in the paper\)/);
  const rate = sped[0].offered_rate;
  const row = md.split("\n").find((l) => l.startsWith(`| ${rate.toLocaleString("en-US")} |`))!;
  assert.match(row, /\| 2\.00 \(\d\.\d\d to \d\.\d\d, n = \d\) \|$/, row); // the SPED server moves twice nginx-1w's bytes
  assert.ok(md.includes(" †"), "a point that failed verification is marked");
});

test.run();
