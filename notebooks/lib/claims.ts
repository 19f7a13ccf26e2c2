// The claims report: for each of the paper's claims C1–C18, our numbers beside the paper's and a verdict by rules.ts.
import { fidelityMarkdown } from "./fidelity.js";
import { captionLines } from "./figures.js";
import { parseLabel } from "./labels.js";
import { CLAIMS, FIGURE7_SERIES, TABLE1_CONFIGS, paperValue, table1Value } from "./paper.js";
import { byTrials, figurePoints, measuresServer, nearRate, RATE_TOLERANCE, unprofiled, VERDICTS, type Point, type Results } from "./results.js";
import {
  checkVerification, combine, cpuTolerance, effectRule, equivalentRule, EQUIVALENT_SHARE, IOWAIT_FLOOR_POINTS, isUndecided, levelRule, mbpsTolerance, num, pct,
  ratio, relationsRule, relative, side, undecided, unreliableProfile, withInterval, type Measured, type Part, type Relation, type Verdict,
} from "./rules.js";
import { summarize } from "./stats.js";
import { profiledPoints, profileQuality, profileRows, profileValues } from "./table1.js";

/** Past saturation (§8: saturation lies between 10,000 and 15,000 req/s): where "sustained" throughput is averaged. */
export const SUSTAINED_FROM_RATE = 15000;
/** A throughput "drops" or "degrades" when it falls more than this below the peak (relative). */
export const DROP_SHARE = 0.05;
/** "Rises sharply" at saturation (§8): the mean response time at least doubles. */
export const SHARP_RISE = 2;
/** "≈" in an ordering of reply rates (C15): within 3% (Table 1's ≈ pairs differ by < 1%, its > pairs by ≥ 4.6%). */
export const APPROX_SHARE = 0.03;

export interface ClaimResult {
  id: string;
  where: string;
  claim: string;
  parts: Part[];
  verdict: Verdict;
}

const [KNOT_C, KNOT_NB, KNOT_B, SHARED, UNB, UB, WATPIPE] = TABLE1_CONFIGS.map((c) => c.label);
const SPED = "userver-nb-30K-1p";

type NumberField = "throughput_mbps" | "mean_response_ms" | "iowait_pct" | "mean_interest_set" | "reply_rate";

/** Valid points (measuring the server, field present, not profiled for Table 1) of one series. */
function seriesPoints(r: Results, label: string, field: NumberField = "throughput_mbps"): Point[] {
  return r.points.filter((p) => p.series === label && measuresServer(p) && unprofiled(p) && !Number.isNaN(p[field]));
}

/** A number over trials: their median and its interval (stats.ts); undefined when none is a number. */
export function overTrials(values: number[], points: Point[]): Measured | undefined {
  const s = summarize(values);
  return s && { value: s.median, ci: { lo: s.lo, hi: s.hi, n: s.n }, points };
}

/** A series' field rate by rate, rising: the median of a rate's trials, with its interval. */
export function byRate(r: Results, label: string, field: NumberField = "throughput_mbps"): Array<Measured & { rate: number }> {
  return byTrials(seriesPoints(r, label, field)).sort((a, b) => a.rate - b.rate)
    .map((g) => ({ rate: g.rate, ...overTrials(g.points.map((p) => p[field]), g.points)! }));
}

/** The mean of several numbers (rates past saturation), its interval the mean of their ends. */
const meanOf = (ms: Measured[]): Measured | undefined => {
  const mean = (f: (m: Measured) => number) => ms.reduce((s, m) => s + f(m), 0) / ms.length;
  return ms.length ? { value: mean((m) => m.value), ci: { lo: mean((m) => m.ci.lo), hi: mean((m) => m.ci.hi), n: Math.min(...ms.map((m) => m.ci.n)) },
    points: ms.flatMap((m) => m.points) } : undefined;
};

/** A field of a series at a rate: the median of its trials. */
export function at(r: Results, label: string, rate: number, field: NumberField = "throughput_mbps"): Measured | undefined {
  return byRate(r, label, field).find((m) => nearRate(m.points[0], rate));
}

/** The highest throughput of a series over all rates (the rate with the highest median). */
export function peak(r: Results, label: string): Measured | undefined {
  return byRate(r, label).reduce<Measured | undefined>((a, b) => (!a || b.value > a.value ? b : a), undefined);
}

/** Mean over the rates past saturation (offered rate ≥ SUSTAINED_FROM_RATE). */
function pastSaturation(r: Results, label: string, field: NumberField): Measured | undefined {
  return meanOf(byRate(r, label, field).filter((m) => m.rate >= SUSTAINED_FROM_RATE * (1 - RATE_TOLERANCE)));
}

/** Mean throughput past saturation. */
export function sustained(r: Results, label: string): Measured | undefined {
  return pastSaturation(r, label, "throughput_mbps");
}

/** How far the throughput at the highest measured rate is below the peak (0.2 = 20% below). */
export function dropAfterPeak(r: Results, label: string): Measured | undefined {
  const rates = byRate(r, label);
  const top = peak(r, label);
  if (!top || rates.length < 2) return undefined;
  const last = rates[rates.length - 1];
  const n = Math.min(last.ci.n, top.ci.n);
  const ci = last === top ? { lo: 0, hi: 0, n } : { lo: 1 - last.ci.hi / top.ci.lo, hi: 1 - last.ci.lo / top.ci.hi, n };
  return { value: 1 - last.value / top.value, ci, points: [...last.points, ...top.points] };
}

/** "a op b" as a relation: holds where the intervals are apart the stated way (b's scaled by `factor`), fails where
 *  they are apart the other way, undecided where they overlap (always at n = 1); undefined when either is unmeasured. */
function compare(text: string, a: Measured | undefined, op: "<" | ">", b: Measured | undefined, factor = 1): Relation {
  if (!a || !b) return { text, holds: undefined, points: [] };
  const n = Math.min(a.ci.n, b.ci.n);
  const above = a.ci.lo > b.ci.hi * factor, below = a.ci.hi < b.ci.lo * factor;
  const holds = n < 2 || (!above && !below) ? "undecided" : op === ">" ? above : below;
  return { text, holds, n, points: [...a.points, ...b.points] };
}

/** "m > threshold" as a relation, by where m's interval lies (undecided across it). */
function exceeds(text: string, m: Measured | undefined, threshold: number): Relation {
  if (!m) return { text, holds: undefined, points: [] };
  const s = side(m, threshold);
  return { text, holds: s === "across" ? "undecided" : s === "above", n: m.ci.n, points: m.points };
}

/** "these are about equal" as a relation: holds where every interval overlaps every other and the medians are within
 *  `share` of the largest; fails where some two are apart; undecided where they overlap but the medians are further
 *  apart (the intervals are too wide to tell), and at n = 1. */
function alike(text: string, ms: (Measured | undefined)[], share: number): Relation {
  if (ms.some((m) => !m)) return { text, holds: undefined, points: [] };
  const all = ms as Measured[];
  const n = Math.min(...all.map((m) => m.ci.n));
  const vals = all.map((m) => m.value);
  const spread = (Math.max(...vals) - Math.min(...vals)) / Math.max(...vals);
  const overlap = Math.max(...all.map((m) => m.ci.lo)) <= Math.min(...all.map((m) => m.ci.hi));
  const holds = n < 2 ? "undecided" : !overlap ? false : spread <= share ? true : "undecided";
  return { text: `${text} (spread ${pct(spread, false)})`, holds, n, points: all.flatMap((m) => m.points) };
}

const labelsIn = (r: Results, n: number, keep: (l: ReturnType<typeof parseLabel>) => boolean) =>
  [...new Set(figurePoints(r, n).map((p) => p.series))].filter((s) => keep(parseLabel(s))).sort();

function mbpsLevel(what: string, ours: Measured | undefined, paper: number) {
  return levelRule(what, ours, paper, mbpsTolerance(paper), "Mbps");
}
function iowaitLevel(r: Results, label: string, id: string): Part {
  const paper = paperValue(id).value;
  return levelRule(`${label} iowait at 15K`, at(r, label, 15000, "iowait_pct"), paper, cpuTolerance(paper, IOWAIT_FLOOR_POINTS), "% CPU", 1);
}
function effect(id: string, what: string, ours: Measured | undefined): Part {
  return effectRule(what, ours, paperValue(id).value);
}

/** A Table 1 category of our profile (at 12,000 req/s, or at `rate`) over its trials, with the points measured there
 *  so their verdicts count. */
function category(r: Results, label: string, metric: string, rate?: number): Measured | undefined {
  return overTrials(profileValues(r.profile, label, metric, rate), profiledPoints(r.points, label, rate));
}
/** A part judged on the profiles of `labels` (at `rate`): not measured when any of them is marked unreliable. */
function onProfiles(r: Results, labels: string[], part: Part, rate?: number): Part {
  return labels.some((l) => profileQuality(profileRows(r.profile, l, rate)).reliable === false) ? unreliableProfile(part) : part;
}
function categoryLevel(r: Results, label: string, metric: string, paper = table1Value(metric, label)!): Part {
  return onProfiles(r, [label], levelRule(`${label} ${metric}`, category(r, label, metric), paper, cpuTolerance(paper), "% CPU", 2));
}

function claimC1(r: Results): Part[] {
  return [
    effect("shared-vs-knot-b-15K", `${SHARED} vs ${KNOT_B} at 15K`, relative(at(r, SHARED, 15000), at(r, KNOT_B, 15000))),
    effect("shared-vs-knot-c-15K", `${SHARED} vs ${KNOT_C} at 15K`, relative(at(r, SHARED, 15000), at(r, KNOT_C, 15000))),
  ];
}

function claimC2(r: Results): Part[] {
  return [
    effect("knot-b-vs-knot-c-15K", `${KNOT_B} vs ${KNOT_C} at 15K`, relative(at(r, KNOT_B, 15000), at(r, KNOT_C, 15000))),
    effect("knot-b-vs-knot-nb-15K", `${KNOT_B} vs ${KNOT_NB} at 15K`, relative(at(r, KNOT_B, 15000), at(r, KNOT_NB, 15000))),
  ];
}

function claimC3(r: Results): Part[] {
  const top = [SHARED, WATPIPE, UNB];
  const rates = [...new Set(seriesPoints(r, SHARED).map((p) => p.offered_rate))].sort((a, b) => a - b);
  const relations = rates.map((rate) => alike(`at ${num(rate)}`, top.map((l) => at(r, l, rate)), EQUIVALENT_SHARE));
  return [relationsRule(`${top.join(", ")} alike at every rate: intervals overlap, medians within ${pct(EQUIVALENT_SHARE, false)}`, relations, "≈ equal (spread ≤ ~5%)")];
}

function claimC4(r: Results): Part[] {
  return [
    equivalentRule(`${UB} vs ${SHARED} at 15K`, relative(at(r, UB, 15000), at(r, SHARED, 15000)), "same peak"),
    effect("userver-b-vs-shared-30K", `${UB} vs ${SHARED} at 30K`, relative(at(r, UB, 30000), at(r, SHARED, 30000))),
  ];
}

function claimC5(r: Results): Part[] {
  const others = FIGURE7_SERIES.filter((l) => l !== SPED).map((l) => peak(r, l)).filter((m): m is Measured => !!m);
  const best = others.length ? others.reduce((a, b) => (b.value > a.value ? b : a)) : undefined;
  return [
    effect("sped-below-peak", `${SPED} peak vs the best Figure 7 peak`, relative(peak(r, SPED), best)),
    iowaitLevel(r, SPED, "sped-iowait"),
  ];
}

function claimC6(r: Results): Part[] {
  const cap = paperValue("cap-10K").value;
  const labels = [2, 3, 4, 6].flatMap((n) => labelsIn(r, n, (l) => l.maxConns === 10000));
  if (!labels.length) return [mbpsLevel("peak of the 10K-connection lines of Figures 2, 3, 4, 6", undefined, cap)];
  return labels.map((l) => mbpsLevel(`${l} peak`, peak(r, l), cap));
}

function claimC7(r: Results): Part[] {
  const sized = labelsIn(r, 1, (l) => l.cacheMb !== undefined);
  const big = sized.filter((l) => parseLabel(l).cacheMb! >= 100 && parseLabel(l).cacheMb! <= 1000);
  const small = sized.filter((l) => parseLabel(l).cacheMb! < 100);
  const bigPeaks = big.map((l) => peak(r, l)).filter((m): m is Measured => !!m);
  const lo = bigPeaks.length ? bigPeaks.reduce((a, b) => (b.value < a.value ? b : a)) : undefined;
  const hi = bigPeaks.length ? bigPeaks.reduce((a, b) => (b.value > a.value ? b : a)) : undefined;
  return [
    equivalentRule("peaks of the 100–1000 MB caches (lowest vs highest)", bigPeaks.length >= 2 ? relative(lo, hi) : undefined, "insensitive"),
    mbpsLevel(`${KNOT_C} peak`, peak(r, KNOT_C), paperValue("knot-c-1000MB-peak").value),
    relationsRule(
      "a cache under 100 MB degrades",
      small.map((l) => compare(`${l} peak < ${pct(1 - DROP_SHARE, false)} of the lowest 100–1000 MB peak`, peak(r, l), "<", lo, 1 - DROP_SHARE)),
      "10 MB degrades",
    ),
  ];
}

function claimC8(r: Results): Part[] {
  const best = "knot-nb-15K-25w", starved = "knot-nb-15K-5w";
  const starvedPeak = peak(r, starved), starvedDrop = dropAfterPeak(r, starved);
  const more = labelsIn(r, 2, (l) => l.server === "knot-nb" && l.maxConns! >= 15000 && l.workers! >= 25 && l.label !== best);
  return [
    mbpsLevel(`${best} peak`, peak(r, best), paperValue("knot-nb-15K-25w-peak").value),
    mbpsLevel(`${best} sustained (≥ 15K)`, sustained(r, best), paperValue("knot-nb-15K-25w-sustained").value),
    relationsRule(`${starved} peaks near 10K then falls`, [
      { text: `peak at ${starvedPeak ? num(starvedPeak.points[0].offered_rate) : "?"} ≤ 12,500`, holds: starvedPeak && starvedPeak.points[0].offered_rate <= 12500, points: starvedPeak?.points ?? [] },
      exceeds(`falls ${starvedDrop ? pct(starvedDrop.value, false) : "?"} > ${pct(DROP_SHARE, false)} by the highest rate`, starvedDrop, DROP_SHARE),
    ], "peak at 10K, then drops"),
    relationsRule("more threads or workers do not help", more.map((l) => compare(`${l} peak ≤ ${best} peak +5%`, peak(r, l), "<", peak(r, best), 1 + EQUIVALENT_SHARE)), "no gain"),
  ];
}

function claimC9(r: Results): Part[] {
  const best = "knot-b-20K-100w", w50 = "knot-b-20K-50w", w50t40 = "knot-b-40K-50w";
  const drop20 = dropAfterPeak(r, w50), drop40 = dropAfterPeak(r, w50t40);
  const pollParts = [12000, 25000, 30000].map((rate) => {
    const paper = paperValue(`knot-b-20K-50w-poll-${rate / 1000}K`).value;
    return onProfiles(r, [w50], levelRule(`${w50} poll overhead at ${num(rate)}`, category(r, w50, "poll_overhead", rate), paper, cpuTolerance(paper), "% CPU", 1), rate);
  });
  const set = [15000, 25000, 30000].map((rate) => at(r, w50, rate, "mean_interest_set"));
  return [
    mbpsLevel(`${best} peak`, peak(r, best), paperValue("knot-b-20K-100w-peak").value),
    mbpsLevel(`${best} sustained (≥ 15K)`, sustained(r, best), paperValue("knot-b-20K-100w-sustained").value),
    relationsRule("with 50 workers throughput declines, worse at 40K threads", [
      exceeds(`${w50} falls ${drop20 ? pct(drop20.value, false) : "?"} > ${pct(DROP_SHARE, false)}`, drop20, DROP_SHARE),
      compare(`${w50t40} falls more (${drop40 ? pct(drop40.value, false) : "?"})`, drop40, ">", drop20),
    ], "declines; worse at 40K"),
    ...pollParts,
    relationsRule(`${w50} mean poll-set size grows with the rate`, [
      compare(`${set[0] ? num(set[0].value) : "?"} at 15K < ${set[1] ? num(set[1].value) : "?"} at 25K`, set[0], "<", set[1]),
      compare(`< ${set[2] ? num(set[2].value) : "?"} at 30K`, set[1], "<", set[2]),
    ], "≈100 → 243 → 432"),
  ];
}

function claimC10(r: Results): Part[] {
  const p = (n: number) => `userver-nb-30K-${n}p`;
  const more = labelsIn(r, 4, (l) => l.server === "userver-nb" && l.maxConns === 30000 && l.workers! > 4);
  return [
    effect("userver-nb-30K-2p-vs-1p-15K", `${p(2)} vs ${p(1)} at 15K`, relative(at(r, p(2), 15000), at(r, p(1), 15000))),
    effect("userver-nb-30K-2p-vs-1p-30K", `${p(2)} vs ${p(1)} at 30K`, relative(at(r, p(2), 30000), at(r, p(1), 30000))),
    ...[1, 2, 3, 4].map((n) => iowaitLevel(r, p(n), `userver-nb-30K-${n}p-iowait`)),
    relationsRule("more than 4 processes do not help", more.map((l) => compare(`${l} peak ≤ ${p(4)} peak +5%`, peak(r, l), "<", peak(r, p(4)), 1 + EQUIVALENT_SHARE)), "no gain"),
  ];
}

function claimC11(r: Results): Part[] {
  const one = "userver-nb-10K-1p";
  const more = labelsIn(r, 4, (l) => l.server === "userver-nb" && l.maxConns === 10000 && l.workers! > 1);
  const rule = `reproduced if the intervals separate with the peak below 1 process' by at most ${pct(2 * DROP_SHARE, false)}; ` +
    "partly if below by more; not if they separate with it higher; undecided if they overlap";
  if (!more.length) return [{ what: "userver-nb-10K with more than 1 process", ours: "not measured", paper: "slightly lower", verdict: "not measured", rule }];
  return more.map((l): Part => {
    const d = relative(peak(r, l), peak(r, one));
    if (!d) return { what: `${l} vs ${one} peak`, ours: "not measured", paper: "slightly lower", verdict: "not measured", rule };
    const s = side(d, 0);
    const verdict: Verdict = s === "across" ? undecided(d.ci.n) : s === "above" ? "not reproduced" : d.value >= -2 * DROP_SHARE ? "reproduced" : "partly reproduced";
    return checkVerification({ what: `${l} vs ${one} peak`, ours: withInterval(d, (v) => pct(v)), paper: "slightly lower", rule, verdict, difference: d.value }, d.points);
  });
}

function claimC12(r: Results): Part[] {
  const b = (c: number, n: number) => `userver-b-${c}K-${n}p`;
  const pk = (c: number, n: number) => peak(r, b(c, n));
  return [
    relationsRule("process-count orderings (peaks)", [
      compare(`${b(30, 100)} > ${b(30, 75)}`, pk(30, 100), ">", pk(30, 75)),
      compare(`${b(30, 200)} < ${b(30, 100)}`, pk(30, 200), "<", pk(30, 100)),
      compare(`${b(50, 75)} < ${b(30, 75)}`, pk(50, 75), "<", pk(30, 75)),
      compare(`${b(50, 100)} > ${b(50, 75)}`, pk(50, 100), ">", pk(50, 75)),
      compare(`${b(50, 200)} > ${b(50, 100)}`, pk(50, 200), ">", pk(50, 100)),
    ], "as in §5.3"),
    equivalentRule(`${b(50, 200)} vs ${b(30, 100)} peak`, relative(pk(50, 200), pk(30, 100)), "close (slightly lower)"),
  ];
}

function claimC13(r: Results): Part[] {
  const w = (c: number, n: number) => `watpipe-${c}K-${n}p`;
  return [
    effect("watpipe-20K-vs-10K-15K", `${w(20, 5)} vs ${w(10, 5)} at 15K`, relative(at(r, w(20, 5), 15000), at(r, w(10, 5), 15000))),
    effect("watpipe-20K-vs-10K-30K", `${w(20, 5)} vs ${w(10, 5)} at 30K`, relative(at(r, w(20, 5), 30000), at(r, w(10, 5), 30000))),
    effect("watpipe-25p-vs-5p-15K", `${w(20, 25)} vs ${w(20, 5)} at 15K`, relative(at(r, w(20, 25), 15000), at(r, w(20, 5), 15000))),
    effect("watpipe-25p-vs-5p-30K", `${w(20, 25)} vs ${w(20, 5)} at 30K`, relative(at(r, w(20, 25), 30000), at(r, w(20, 5), 30000))),
    iowaitLevel(r, w(20, 5), "watpipe-20K-5p-iowait"),
    iowaitLevel(r, w(20, 25), "watpipe-20K-25p-iowait"),
    equivalentRule(`${w(20, 50)} vs ${w(20, 25)} peak`, relative(peak(r, w(20, 50)), peak(r, w(20, 25))), "same"),
  ];
}

function claimC14(r: Results): Part[] {
  const knots = [KNOT_C, KNOT_NB, KNOT_B], events = [SHARED, UNB, UB, WATPIPE];
  const poll = TABLE1_CONFIGS.map((c) => category(r, c.label, "poll_overhead"));
  const user = (ls: string[]) => ls.map((l) => category(r, l, "user_space_total"));
  const maxOf = (ms: (Measured | undefined)[]) => (ms.every((m) => m) ? ms.reduce((a, b) => (b!.value > a!.value ? b : a)) : undefined);
  const minOf = (ms: (Measured | undefined)[]) => (ms.every((m) => m) ? ms.reduce((a, b) => (b!.value < a!.value ? b : a)) : undefined);
  const others = poll.filter((_, i) => TABLE1_CONFIGS[i].label !== UNB);
  return [
    categoryLevel(r, KNOT_C, "data_copying"),
    ...knots.map((l) => categoryLevel(r, l, "thread_overhead")),
    ...[SHARED, UNB, UB].map((l) => categoryLevel(r, l, "thread_overhead")),
    ...events.map((l) => categoryLevel(r, l, "event_overhead")),
    onProfiles(r, TABLE1_CONFIGS.map((c) => c.label), relationsRule("userver-nb-30K-4p has the highest poll overhead",
      [compare(`${UNB} poll > every other`, category(r, UNB, "poll_overhead"), ">", maxOf(others))], "highest (13.06%)")),
    onProfiles(r, [...events, ...knots], relationsRule("user space lower for userver/WatPipe than Knot",
      [compare("max(userver, WatPipe) < min(Knot)", maxOf(user(events)), "<", minOf(user(knots)))], "8–10% vs 15–19%")),
  ];
}

function claimC15(r: Results): Part[] {
  const groups = [[SHARED, WATPIPE], [UB, UNB], [KNOT_B], [KNOT_NB], [KNOT_C]];
  const rate = (l: string): Measured | undefined => {
    const ps = profiledPoints(r.points, l).filter((p) => !Number.isNaN(p.reply_rate));
    return overTrials(ps.map((p) => p.reply_rate), ps);
  };
  const relations: Relation[] = [];
  for (const [i, g] of groups.entries()) {
    if (g.length === 2) relations.push(alike(`${g[0]} ≈ ${g[1]}`, [rate(g[0]), rate(g[1])], APPROX_SHARE));
    for (const hi of g) for (const lo of groups[i + 1] ?? []) relations.push(compare(`${hi} > ${lo}`, rate(hi), ">", rate(lo)));
  }
  return [relationsRule("reply rates at 12,000 req/s", relations, "shared ≈ WatPipe > userver-b ≈ userver-nb > knot-b > knot-nb > knot-c")];
}

function claimC16(r: Results): Part[] {
  const rates = [...new Set(seriesPoints(r, KNOT_C).map((p) => p.offered_rate))].filter((x) => x >= 12500 * (1 - RATE_TOLERANCE) && x <= 30000 * (1 + RATE_TOLERANCE)).sort((a, b) => a - b);
  return (["knot-nb", "knot-b"] as const).map((variant): Part => {
    const label = variant === "knot-nb" ? KNOT_NB : KNOT_B;
    const lo = paperValue(`${variant}-vs-knot-c-low`).value, hi = paperValue(`${variant}-vs-knot-c-high`).value;
    const slack = 0.05;
    const rule = `reproduced if at every rate the intervals separate with ours above knot-c and within ${pct(lo - slack, false)}–${pct(hi + slack, false)}; ` +
      "partly if apart above knot-c at every rate; not if apart below it at any; undecided otherwise";
    const ds = rates.map((x) => ({ rate: x, d: relative(at(r, label, x), at(r, KNOT_C, x)) })).filter((e) => e.d);
    const what = `${label} vs ${KNOT_C} over 12.5K–30K`;
    const paper = `${pct(lo)} to ${pct(hi)}`;
    if (!ds.length) return { what, ours: "not measured", paper, verdict: "not measured", rule };
    const sides = ds.map((e) => side(e.d!, 0));
    const vals = ds.map((e) => e.d!.value);
    const verdict: Verdict = sides.includes("below") ? "not reproduced" : sides.includes("across") ? undecided(Math.min(...ds.map((e) => e.d!.ci.n)))
      : vals.every((v) => v >= lo - slack && v <= hi + slack) ? "reproduced" : "partly reproduced";
    const ours = ds.map((e) => `${withInterval(e.d!, (v) => pct(v))} at ${num(e.rate)}`).join(", ");
    return checkVerification({ what, paper, ours, verdict, rule }, ds.flatMap((e) => e.d!.points));
  });
}

function claimC17(r: Results): Part[] {
  // §8: "Except for userver-nb-30K-4p, response times are lower at lower request rates and increase noticeably".
  const rising = FIGURE7_SERIES.filter((l) => l !== UNB);
  const rise = rising.map((l): Relation => {
    const rates = byRate(r, l, "mean_response_ms");
    const below = rates.filter((m) => m.rate <= 10000 * (1 + RATE_TOLERANCE)).pop();
    const past = rates.find((m) => m.rate >= 15000 * (1 - RATE_TOLERANCE));
    if (!below || !past) return { text: l, holds: undefined, points: [] };
    const ratio: Measured = { value: past.value / below.value, points: [...below.points, ...past.points],
      ci: { lo: past.ci.lo / below.ci.hi, hi: past.ci.hi / below.ci.lo, n: Math.min(past.ci.n, below.ci.n) } };
    return exceeds(`${l} ×${ratio.value.toFixed(1)}`, ratio, SHARP_RISE);
  });
  const meanPast = (l: string) => pastSaturation(r, l, "mean_response_ms");
  const wide = [UB, SHARED, UNB], narrow = [KNOT_C, KNOT_NB, KNOT_B, WATPIPE];
  return [
    relationsRule(`mean response time at least ×${SHARP_RISE} from ≤ 10K to ≥ 15K req/s`, rise, "low, then sharp rise at 10K–15K"),
    relationsRule("30K-connection configurations respond slower past saturation (mean over ≥ 15K)",
      wide.flatMap((w) => narrow.map((n) => compare(`${w} > ${n}`, meanPast(w), ">", meanPast(n)))), "higher for the three 30K configurations"),
  ];
}

function claimC18(r: Results): Part[] {
  const count = (v: string) => r.points.filter((p) => p.verdict === v).length;
  const all = r.points.length;
  const rule = "reproduced if every point passes; not reproduced if any point has wrong bytes or under half pass; otherwise partly";
  if (!all) return [{ what: "verification of every point", ours: "not measured", paper: "every point passes", verdict: "not measured", rule }];
  const verdict: Verdict = count("pass") === all ? "reproduced" : count("fail-bytes") > 0 || 2 * count("pass") < all ? "not reproduced" : "partly reproduced";
  const ours = VERDICTS.filter((v) => count(v)).map((v) => `${count(v)} ${v}`).join(", ") + ` (of ${all})`;
  return [{ what: "verification of every point (§3.4)", ours, paper: "every point passes", verdict, rule }];
}

const EVALUATORS: Record<string, (r: Results) => Part[]> = {
  C1: claimC1, C2: claimC2, C3: claimC3, C4: claimC4, C5: claimC5, C6: claimC6, C7: claimC7, C8: claimC8, C9: claimC9,
  C10: claimC10, C11: claimC11, C12: claimC12, C13: claimC13, C14: claimC14, C15: claimC15, C16: claimC16, C17: claimC17, C18: claimC18,
};

/** Every claim of CLAIMS (paper.ts), judged on these results. */
export function evaluateClaims(results: Results): ClaimResult[] {
  return CLAIMS.map((c) => {
    const parts = EVALUATORS[c.id](results);
    return { ...c, parts, verdict: combine(parts) };
  });
}

/** The run's measured noise: how far apart the trials of one point lie (throughput, max − min over the median). */
export interface Noise {
  /** points (configuration, rate; profiled apart) measured in more than one trial */
  repeated: number;
  median?: number;
  largest?: { series: string; rate: number; n: number; relSpread: number };
}

export function runNoise(r: Results): Noise {
  const valid = r.points.filter((p) => measuresServer(p) && !Number.isNaN(p.throughput_mbps));
  const groups = [true, false].flatMap((u) => byTrials(valid.filter((p) => unprofiled(p) === u)))
    .map((g) => ({ series: g.series, rate: g.rate, ...summarize(g.points.map((p) => p.throughput_mbps))! }))
    .filter((g) => g.n > 1 && Number.isFinite(g.relSpread));
  if (!groups.length) return { repeated: 0 };
  const largest = groups.reduce((a, g) => (g.relSpread > a.relSpread ? g : a));
  return { repeated: groups.length, median: summarize(groups.map((g) => g.relSpread))!.median,
    largest: { series: largest.series, rate: largest.rate, n: largest.n, relSpread: largest.relSpread } };
}

/** The run's noise in a sentence (the noise gate's, and what run-notebooks prints). */
export function describeNoise(noise: Noise): string {
  const l = noise.largest;
  if (noise.median === undefined || !l) {
    return "No point of this run was measured in more than one trial: its noise is unmeasured, and every comparison " +
      "between our lines (effect, equivalence, ordering) is undecided at n = 1.";
  }
  return `${noise.repeated} point${noise.repeated === 1 ? "" : "s"} of this run (configuration × rate) were measured in more than one trial; ` +
    `the spread of a point's throughput over its trials (max − min, relative to the median) is a median of ${pct(noise.median, false)} ` +
    `and at most ${pct(l.relSpread, false)} (${l.series} at ${num(l.rate)} req/s, n = ${l.n}).`;
}

/** The noise gate that opens the claims report: the run's noise, and the effects smaller than its median spread. */
export function noiseGate(noise: Noise, claims: ClaimResult[]): string[] {
  if (noise.median === undefined) {
    return ["## Noise gate", "", describeNoise(noise), "A profile with trials (`standard`: n = 3) measures it.", ""];
  }
  const small = claims.flatMap((c) => c.parts.filter((p) => p.difference !== undefined && Math.abs(p.difference) < noise.median!)
    .map((p) => `${c.id} ${p.what} (${p.ours})`));
  return [
    "## Noise gate", "", describeNoise(noise), "",
    `Effects and equivalences smaller than the median spread (${pct(noise.median, false)}): ${small.join("; ") || "none"}.`, "",
  ];
}

const cell = (s: string) => s.replace(/\|/g, "\\|");

/** Present-day peers (not in the paper): Debian's nginx beside the SPED userver on the same testbed and quota, rate by
 *  rate, with userver / nginx-1w as a ratio and its interval. A description, not a claim: no verdict. */
const PEERS = ["nginx-1w", "nginx-4w"];

export function peersMarkdown(r: Results): string[] {
  const [one, four] = PEERS;
  const rates = [...new Set(PEERS.flatMap((l) => byRate(r, l).map((m) => m.rate)))].sort((a, b) => a - b);
  if (!rates.length) return [];
  const mbps = (m: Measured | undefined) => (m ? `${withInterval(m, (v) => num(v))}${m.points.some((p) => p.verdict !== "pass") ? " †" : ""}` : "—");
  const rows = rates.map((rate) => {
    const [sped, n1, n4] = [SPED, one, four].map((l) => at(r, l, rate));
    const q = ratio(sped, n1);
    return `| ${num(rate)} | ${mbps(sped)} | ${mbps(n1)} | ${mbps(n4)} | ${q ? withInterval(q, (v) => v.toFixed(2)) : "—"} |`;
  });
  return [
    "## Present-day peers (not in the paper)", "",
    `Debian's nginx with sendfile, one worker (${one}) and four (${four}), served the same file set on the same testbed`,
    `and CPU quota as our servers. Throughput in Mbps (paper units), the median of the trials with its interval; the last`,
    `column is ${SPED}'s throughput over ${one}'s, its interval from both (it excludes 1 only where they separate).`,
    "† a point behind the number failed verification (§3.4). A description of where our SPED server stands today, not a claim.", "",
    `| offered (req/s) | ${SPED} | ${one} | ${four} | ${SPED} / ${one} |`, "|---:|---:|---:|---:|---:|", ...rows, "",
  ];
}

/** The claims report as Markdown: the noise gate, a summary table, each claim's parts with their rules, a closing note,
 *  then the fidelity section (fidelity.ts). */
export function claimsMarkdown(results: Results): string {
  const claims = evaluateClaims(results);
  const summary = claims.map((c) => `| ${c.id} | ${c.where} | ${cell(c.claim)} | ${cell(c.parts.map((p) => p.paper).join("; "))} | ${cell(c.parts.map((p) => p.summary ?? p.ours).join("; "))} | **${c.verdict}** |`);
  const details = claims.flatMap((c) => [
    `### ${c.id} — ${c.verdict}`, "", `${c.claim} (${c.where})`, "",
    ...c.parts.map((p) => `- ${p.what}: ours ${p.ours}; paper ${p.paper} → **${p.verdict}** (${p.rule})`), "",
  ]);
  const byVerdict = (keep: (v: Verdict) => boolean) => claims.filter((c) => keep(c.verdict)).map((c) => c.id).join(", ") || "none";
  return [
    "# The paper's claims, measured", "",
    ...captionLines(results.run, Infinity).flatMap((l) => [l, ""]),
    ...(results.run.warnings?.length ? [`The runner warned: ${results.run.warnings.join("; ")}.`, ""] : []),
    ...noiseGate(runNoise(results), claims),
    "Verdicts come from the rules in `notebooks/lib/rules.ts` and `claims.ts`, never by hand: a part is judged by its",
    "rule (stated beside it). Each number is the median of its point's trials, shown with its interval (the",
    "order-statistic confidence interval of the median, `notebooks/lib/stats.ts`; for a ratio or difference, the one",
    "its inputs' intervals give) and n, the fewest trials behind it. An effect or ordering between our lines counts",
    "only where the intervals separate as the paper says, an equivalence only where they overlap; where the intervals",
    "are too wide to tell (and always at n = 1) the part is undecided at that n. A claim is reproduced only if every",
    "part is, undecided if every measured part is, not reproduced if every decided part is not, and partly reproduced",
    "otherwise. A part that rests on points failing verification (§3.4) is at most partly reproduced; points where the",
    "client was the bottleneck or the server failed are not used.", "",
    "| id | where | claim | paper | ours | verdict |", "|---|---|---|---|---|---|", ...summary, "",
    "## Each claim, part by part", "", ...details,
    "## Closing note", "",
    `- Reproduced: ${byVerdict((v) => v === "reproduced")}`,
    `- Partly reproduced: ${byVerdict((v) => v === "partly reproduced")}`,
    `- Not reproduced: ${byVerdict((v) => v === "not reproduced")}`,
    `- Undecided: ${byVerdict(isUndecided)}`,
    `- Not measured: ${byVerdict((v) => v === "not measured")}`,
    "",
    ...peersMarkdown(results),
    fidelityMarkdown(results),
  ].join("\n");
}
