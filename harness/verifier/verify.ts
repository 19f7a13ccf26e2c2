// §3.4 verification of one point from its load generators' summaries, plus our check that the client was not the bottleneck.
import { sumByFile, type LoadgenSummary } from "../lib/loadgen-summary.ts";

export type Verdict = "pass" | "fail-timeouts" | "fail-bytes" | "fail-errors" | "invalid-client" | "server-failed";

/** The paper's thresholds (§3.4) and ours for the client, in one place. */
export const RULES = {
  /** no file size's timeout % more than this many points above the mean over sizes */
  fileAboveMeanPts: 2,
  /** maximum timeout % of any file size */
  maxFileTimeoutPct: 10,
  /** no client host's timeout % more than this many points above the point's overall timeout % */
  clientAboveMeanPts: 2,
  /** sizes with fewer requests than this are too rare in a short point to judge and are skipped (and listed) */
  minRequestsPerFile: 30,
  /** a load generator using this much of its core is saturated (its numbers are the client's, not the server's) */
  clientCpuPct: 90,
  /** mean delay of session starts behind the schedule beyond which the offered rate was not offered */
  latenessMeanMs: 100,
  /** fewer sessions started than this share of the schedule means the client fell behind */
  startedShare: 0.95,
};

export interface ClientResult {
  host: string;                 // client host, e.g. client1
  summary: LoadgenSummary;
  expectedSessions?: number;    // sessions the schedule asked this generator to start
}

export interface Verification {
  verdict: Verdict;
  reasons: string[];
  timeoutPct: number;           // all sizes
  maxFileTimeoutPct: number;
  meanFileTimeoutPct: number;
  skippedFiles: string[];
  clientCpuPct: number;         // the busiest generator, or the generators' share of the cores they share if higher
  latenessMs: number;           // the worst generator's mean session-start lateness
}

const pct = (a: number, b: number) => (b > 0 ? (100 * a) / b : 0);

/** Verifies one point. `serverFailure` (start/crash/stop problems) wins over everything; then wrong bytes, error
 *  replies to files that exist (both seen only in a correctness run, which checks every reply), client, timeouts.
 *  `clientCores`: cores the generators share (emulated client hosts share one); their summed CPU is judged against it.
 *  `clientFailures`: generators that left no summary (or had to be stopped): the point lacks part of its load, so it
 *  is invalid-client, never a pass on the clients that did report. */
export function verifyPoint(clients: ClientResult[], serverFailure?: string, clientCores?: number, clientFailures: string[] = []): Verification {
  const reasons: string[] = [];
  const byFile = sumByFile(clients.map((c) => c.summary));
  const judged = Object.entries(byFile).filter(([, c]) => c.requests >= RULES.minRequestsPerFile);
  const skippedFiles = Object.entries(byFile).filter(([, c]) => c.requests < RULES.minRequestsPerFile).map(([n]) => n).sort();
  const filePcts = judged.map(([name, c]) => ({ name, p: pct(c.timeouts, c.requests) }));
  const meanFile = filePcts.length ? filePcts.reduce((s, f) => s + f.p, 0) / filePcts.length : 0;
  const maxFile = filePcts.reduce((m, f) => Math.max(m, f.p), 0);
  const totalReq = Object.values(byFile).reduce((s, c) => s + c.requests, 0);
  const totalTimo = Object.values(byFile).reduce((s, c) => s + c.timeouts, 0);
  const timeoutPct = pct(totalTimo, totalReq);

  let bytesBad = false, errorsBad = false, clientBad = false, timeoutsBad = false;
  for (const c of clients) {
    const v = c.summary.verify;
    if (v && v.mismatches > 0) { bytesBad = true; reasons.push(`${c.host}: ${v.mismatches} of ${v.checked} replies had wrong bytes`); }
    if (v && (v.errors ?? 0) > 0) {
      errorsBad = true;
      const s = c.summary.status;
      reasons.push(`${c.host}: ${v.errors} of ${v.checked} replies were HTTP errors (4xx ${s["4xx"] ?? 0}, 5xx ${s["5xx"] ?? 0})`);
    }
  }
  for (const f of filePcts) {
    if (f.p > meanFile + RULES.fileAboveMeanPts) {
      timeoutsBad = true;
      reasons.push(`${f.name} timeouts ${f.p.toFixed(2)}% > mean ${meanFile.toFixed(2)}% + ${RULES.fileAboveMeanPts}`);
    }
  }
  if (maxFile > RULES.maxFileTimeoutPct) { timeoutsBad = true; reasons.push(`max file timeout ${maxFile.toFixed(2)}% > ${RULES.maxFileTimeoutPct}%`); }
  if (clients.length > 1) {
    for (const c of clients) {
      const files = Object.values(c.summary.by_file ?? {});
      const p = pct(files.reduce((s, f) => s + f.timeouts, 0), files.reduce((s, f) => s + f.requests, 0));
      if (p > timeoutPct + RULES.clientAboveMeanPts) {
        timeoutsBad = true;
        reasons.push(`${c.host} timeouts ${p.toFixed(2)}% > all clients' ${timeoutPct.toFixed(2)}% + ${RULES.clientAboveMeanPts}`);
      }
    }
  }
  const shared = clientCores ? clients.reduce((a, c) => a + (c.summary.cpu?.pct ?? 0), 0) / clientCores : 0;
  const clientCpu = Math.max(shared, clients.reduce((m, c) => Math.max(m, c.summary.cpu?.pct ?? 0), 0));
  const lateness = clients.reduce((m, c) => Math.max(m, c.summary.lateness_ms?.mean ?? 0), 0);
  if (clientCpu >= RULES.clientCpuPct) { clientBad = true; reasons.push(`client CPU ${clientCpu.toFixed(0)}% ≥ ${RULES.clientCpuPct}%`); }
  if (lateness > RULES.latenessMeanMs) { clientBad = true; reasons.push(`session starts ${lateness.toFixed(0)} ms late on average (> ${RULES.latenessMeanMs})`); }
  if (clientFailures.length) { clientBad = true; reasons.push(...clientFailures); }
  for (const c of clients) {
    if (c.expectedSessions && c.summary.sessions.started < RULES.startedShare * c.expectedSessions) {
      clientBad = true;
      reasons.push(`${c.host} started ${c.summary.sessions.started} of ${c.expectedSessions} scheduled sessions`);
    }
  }
  if (serverFailure) reasons.unshift(serverFailure);
  const verdict: Verdict = serverFailure ? "server-failed" : bytesBad ? "fail-bytes" : errorsBad ? "fail-errors"
    : clientBad ? "invalid-client" : timeoutsBad ? "fail-timeouts" : "pass";
  return { verdict, reasons, timeoutPct, maxFileTimeoutPct: maxFile, meanFileTimeoutPct: meanFile, skippedFiles,
    clientCpuPct: clientCpu, latenessMs: lateness };
}
