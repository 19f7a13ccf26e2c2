// Statistics of the measured window of a load-generator run, from its per-request CSV (--csv): the warm-up before it
// and the tail after it (sessions still running when arrivals stop) are left out, so short points measure steady state.
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import type { FileCounts } from "./loadgen-summary.ts";

export interface WindowStats {
  sessions: number;               // sessions whose first request started in the window
  requests: number;               // requests started in the window
  requestsFirstHalf: number;      // of those, started in its first half (the page cache's steady state compares halves)
  files: Set<string>;             // distinct URIs requested in the window (the workload's footprint)
  replies: number;                // replies completed in the window
  bytes: number;                  // bytes of those replies
  errors: Record<string, number>; // failed requests started in the window, by class (client-timo, connreset, …)
  byFile: Record<string, FileCounts>; // requests started in the window, their replies and client timeouts
  responseMs: { mean: number; median: number; p90: number }; // replies completed in the window (§8: connect time shared)
  repliesPerSecond: number[];     // replies completed in each second of the run, warm-up included: whether a point is steady
}

/** Several generators' per-second counts added second by second (a shorter series counts 0 past its end). */
export function sumBySecond(perSecond: number[][]): number[] {
  const out = new Array(Math.max(0, ...perSecond.map((g) => g.length))).fill(0);
  for (const g of perSecond) g.forEach((n, i) => { out[i] += n; });
  return out;
}

/** Replies per second in each half of the window [fromS, toS) of per-second counts (summed over generators):
 *  a point in steady state replies alike in both; one that changed regime mid-window does not. */
export function halfRates(perSecond: number[][], fromS: number, toS: number): [number, number] {
  const all = sumBySecond(perSecond), mid = fromS + Math.floor((toS - fromS) / 2);
  const rate = (a: number, b: number) => all.slice(a, b).reduce((x, y) => x + y, 0) / (b - a);
  return [rate(fromS, mid), rate(mid, toS)];
}

/** Percentile of sorted values (nearest rank). */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Splits one CSV line; only the uri field is ever quoted. */
function fields(line: string): string[] {
  const q1 = line.indexOf('"');
  if (q1 < 0) return line.split(",");
  const q2 = line.lastIndexOf('"');
  return [...line.slice(0, q1 - 1).split(","), line.slice(q1 + 1, q2).replace(/""/g, '"'), ...line.slice(q2 + 2).split(",")];
}

/** Reads the rows of one --csv file and keeps what falls in [fromMs, toMs) of the run's clock (ms since its start). */
export async function windowStats(csvPath: string, fromMs: number, toMs: number): Promise<WindowStats> {
  const inWin = (t: number) => t >= fromMs && t < toMs;
  const midMs = (fromMs + toMs) / 2;
  const w: WindowStats = { sessions: 0, requests: 0, requestsFirstHalf: 0, files: new Set(), replies: 0, bytes: 0, errors: {}, byFile: {}, responseMs: { mean: NaN, median: NaN, p90: NaN },
    repliesPerSecond: new Array(Math.ceil(toMs / 1000)).fill(0) };
  const firstStart = new Map<string, number>();
  const connect = new Map<string, number>();       // session → its connection's set-up time
  const repliesOf = new Map<string, number>();     // session → replies in the window
  const repliesAll = new Map<string, number>();    // session → all its replies (its connect time is shared among them)
  const times: number[] = [];
  let header = true;
  for await (const line of createInterface({ input: createReadStream(csvPath) })) {
    if (header) { header = false; continue; }
    if (!line) continue;
    // start_ms,session,uri,size_class,status,bytes,connect_ms,response_ms,transfer_ms,outcome
    const [startS, session, uri, cls, , bytesS, connectS, respS, xferS, outcome] = fields(line);
    const start = startS === "" ? NaN : Number(startS);
    if (Number.isFinite(start)) {
      const f = firstStart.get(session);
      if (f === undefined || start < f) firstStart.set(session, start);
    }
    if (Number(connectS) > 0) connect.set(session, Number(connectS));
    const file = cls ? (w.byFile[cls] ??= { requests: 0, replies: 0, timeouts: 0, bytes: 0 }) : null;
    if (inWin(start)) {
      w.requests++;
      if (start < midMs) w.requestsFirstHalf++;
      w.files.add(uri);
      if (file) file.requests++;
      if (outcome !== "ok" && outcome !== "unfinished" && outcome !== "aborted") w.errors[outcome] = (w.errors[outcome] ?? 0) + 1;
      if (outcome === "client-timo" && file) file.timeouts++;
    }
    if (outcome === "ok" && respS !== "") {
      const reqToReply = Number(respS) + Number(xferS);
      repliesAll.set(session, (repliesAll.get(session) ?? 0) + 1);
      const second = Math.floor((start + reqToReply) / 1000);
      if (second >= 0 && second < w.repliesPerSecond.length) w.repliesPerSecond[second]++;
      if (inWin(start + reqToReply)) {
        w.replies++;
        w.bytes += Number(bytesS);
        if (file) { file.replies++; file.bytes += Number(bytesS); }
        times.push(reqToReply);
        repliesOf.set(session, (repliesOf.get(session) ?? 0) + 1);
      }
    }
  }
  for (const t of firstStart.values()) if (inWin(t)) w.sessions++;
  const sorted = Float64Array.from(times).sort();
  let connectShare = 0;
  for (const [s, n] of repliesOf) connectShare += ((connect.get(s) ?? 0) * n) / (repliesAll.get(s) ?? n);
  const sum = times.reduce((a, b) => a + b, 0);
  w.responseMs = { mean: times.length ? (sum + connectShare) / times.length : NaN, median: percentile(sorted, 50), p90: percentile(sorted, 90) };
  return w;
}
