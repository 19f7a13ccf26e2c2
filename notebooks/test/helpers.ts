// Test helpers: the hand-made fixture (never results) and copies of it with chosen points changed.
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readResults, type Point, type Results } from "../lib/results.ts";

export const FIXTURE = join(fileURLToPath(new URL(".", import.meta.url)), "fixture/results");

export function fixture(): Results {
  return readResults(FIXTURE);
}

/** A copy of the results in which `change` may edit each point of a series (all of them when `series` is omitted). */
export function withPoints(r: Results, series: string | undefined, change: (p: Point) => void): Results {
  const points = r.points.map((p) => {
    const copy = { ...p };
    if (series === undefined || p.series === series) change(copy);
    return copy;
  });
  return { ...r, points };
}

/** The fixture's throughput of a series at a rate. */
export function mbpsAt(r: Results, series: string, rate: number): number {
  const p = r.points.find((q) => q.series === series && q.offered_rate === rate);
  if (!p) throw new Error(`fixture has no ${series} at ${rate}`);
  return p.throughput_mbps;
}
