// The tuning search of §3.3: a coarse matrix of connections × workers/processes per server family, then a finer one
// around the best; a configuration counts only if all its points pass verification (as the paper's results).
import { parseLabel, type ServerConfig } from "./labels.ts";

export interface Family {
  /** label of a configuration from (connections in paper units, workers/processes/writers) */
  label: (conns: number, n: number) => string;
  conns: number[];
  workers: number[];
}

const K = (c: number) => `${Math.round(c / 1000)}K`;

export const FAMILIES: Record<string, Family> = {
  "userver-nb": { label: (c, n) => `userver-nb-${K(c)}-${n}p`, conns: [10000, 20000, 30000, 40000], workers: [1, 2, 4, 8] },
  "userver-b": { label: (c, n) => `userver-b-${K(c)}-${n}p`, conns: [10000, 30000, 50000], workers: [25, 75, 100, 200] },
  "userver-shared-nb": { label: (c, n) => `userver-shared-nb-${K(c)}-${n}p`, conns: [10000, 30000, 50000], workers: [1, 4, 10, 20] },
  "knot-nb": { label: (c, n) => `knot-nb-${K(c)}-${n}w`, conns: [5000, 10000, 15000, 20000], workers: [5, 25, 50, 100] },
  "knot-b": { label: (c, n) => `knot-b-${K(c)}-${n}w`, conns: [10000, 20000, 40000], workers: [25, 50, 100, 200] },
  "knot-c": { label: (c, n) => `knot-c-${K(c)}-${n}w-1000MB`, conns: [10000, 20000, 40000], workers: [25, 50, 100, 200] },
  watpipe: { label: (c, n) => `watpipe-${K(c)}-${n}p`, conns: [10000, 20000, 30000], workers: [5, 25, 50] },
};

export function getFamily(name: string): Family {
  const f = FAMILIES[name];
  if (!f) throw new Error(`unknown server family "${name}"; valid: ${Object.keys(FAMILIES).join(", ")}`);
  return f;
}

export function coarseMatrix(f: Family): ServerConfig[] {
  return f.conns.flatMap((c) => f.workers.map((w) => parseLabel(f.label(c, w))));
}

/** A finer matrix around (conns, workers): ±25% connections (to 1K), ×/÷1.5 workers, without the tried ones. */
export function fineMatrix(f: Family, best: ServerConfig, tried: Set<string>): ServerConfig[] {
  const conns = [0.75, 1, 1.25].map((x) => Math.max(1000, Math.round((best.maxConns * x) / 1000) * 1000));
  const workers = [1 / 1.5, 1, 1.5].map((x) => Math.max(1, Math.round(best.procsOrWorkers * x)));
  const labels = new Set(conns.flatMap((c) => workers.map((w) => f.label(c, w))));
  return [...labels].filter((l) => !tried.has(l)).map((l) => parseLabel(l));
}

export interface Scored { label: string; meanMbps: number; allPass: boolean; points: number }

/** Best configuration: highest mean throughput among those whose every point passed (if none did, the highest overall). */
export function best(scores: Scored[]): Scored | null {
  const passing = scores.filter((s) => s.allPass);
  const pool = passing.length ? passing : scores;
  return pool.reduce<Scored | null>((a, b) => (a === null || b.meanMbps > a.meanMbps ? b : a), null);
}

/** Scores a configuration from its points.csv rows. */
export function score(label: string, rows: Array<Record<string, string>>): Scored {
  const mine = rows.filter((r) => r.series === label);
  const mbps = mine.map((r) => Number(r.throughput_mbps) || 0);
  return { label, meanMbps: mbps.length ? mbps.reduce((a, b) => a + b, 0) / mbps.length : 0,
    allPass: mine.length > 0 && mine.every((r) => r.verdict === "pass"), points: mine.length };
}
