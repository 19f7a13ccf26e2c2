// How far a point moves when measured again: the repeat experiment's points beside their first measurements.
import { measuresServer, repeatPairs, type RepeatPair, type Results } from "./results.js";
import { num, pct } from "./rules.js";

export interface Repeatability {
  pairs: RepeatPair[];
  /** relative throughput change of each pair where both points measure the server, (again − first) / first */
  changes: Array<{ pair: RepeatPair; change: number }>;
  medianAbs?: number;
  largest?: { pair: RepeatPair; change: number };
}

export function repeatability(r: Pick<Results, "points">): Repeatability {
  const pairs = repeatPairs(r);
  const changes = pairs.filter((p) => measuresServer(p.first) && measuresServer(p.again))
    .map((pair) => ({ pair, change: (pair.again.throughput_mbps - pair.first.throughput_mbps) / pair.first.throughput_mbps }));
  const abs = changes.map((c) => Math.abs(c.change)).sort((a, b) => a - b);
  const medianAbs = abs.length ? (abs[(abs.length - 1) >> 1] + abs[abs.length >> 1]) / 2 : undefined;
  const largest = changes.reduce<Repeatability["largest"]>((a, c) => (!a || Math.abs(c.change) > Math.abs(a.change) ? c : a), undefined);
  return { pairs, changes, medianAbs, largest };
}

/**
 * How far the given lines moved when measured again: the largest change among their repeats, or, when none of them
 * was repeated, the median change of the run's repeats; undefined without repeats.
 */
export function noiseOf({ changes, medianAbs }: Repeatability, lines: string[]): { value: number; basis: string } | undefined {
  const own = changes.filter((c) => lines.includes(c.pair.series)).map((c) => Math.abs(c.change));
  if (own.length) return { value: Math.max(...own), basis: `${lines.length > 1 ? "these lines" : "this line"} moved by up to ${pct(Math.max(...own), false)} when measured again` };
  return medianAbs === undefined ? undefined : { value: medianAbs, basis: `the run's repeats moved by a median of ${pct(medianAbs, false)}` };
}

/** One sentence on the measured noise, for the claims' closing note. */
export function repeatabilitySummary({ changes, medianAbs, largest }: Repeatability): string {
  if (!largest || medianAbs === undefined) return "no point was measured twice (every profile's `repeat` experiment does): the differences above come with no measured noise";
  return `${changes.length} point${changes.length === 1 ? "" : "s"} measured twice moved by a median of ${pct(medianAbs, false)} and at most ${pct(Math.abs(largest.change), false)} ` +
    `(${largest.pair.series} at ${num(largest.pair.rate)} req/s): a difference between two lines smaller than that rests on single points that move as much`;
}

/** The repeatability section of the claims report: every pair, its change, both verdicts. */
export function repeatabilityMarkdown(rep: Repeatability): string[] {
  const { pairs, changes } = rep;
  const change = new Map(changes.map((c) => [c.pair, c.change]));
  const rows = pairs.map((p) => `| ${p.series} | ${num(p.rate)} | ${num(p.first.throughput_mbps)} (${p.first.verdict}) | ` +
    `${num(p.again.throughput_mbps)} (${p.again.verdict}) | ${change.has(p) ? pct(change.get(p)!) : "not comparable"} |`);
  return [
    "## Repeatability", "",
    "The `repeat` experiment measures Figure 7's lines a second time at the end of the run, after every other point; figures",
    "and claims use the mean of a rate's points. Throughput in Mbps (paper units), first measurement and again.", "",
    `Summary: ${repeatabilitySummary(rep)}.`, "",
    ...(rows.length ? ["| configuration | req/s | first | again | change |", "|---|---|---|---|---|", ...rows, ""] : []),
  ];
}
