// The load generator's --json summary (harness/loadgen), typed, and the sum of several clients' summaries.

export interface FileCounts { requests: number; replies: number; timeouts: number; bytes: number }

export interface LoadgenSummary {
  sessions: { started: number; completed: number; failed: number };
  requests: number;
  replies: number;
  bytes: number;
  status: Record<string, number>;
  errors: { client_timo: number; socket_timo: number; connrefused: number; connreset: number;
    fd_unavail: number; addrunavail: number; other: number };
  reply_time_ms: { mean: number; median: number; p90: number; max: number };
  connect_time_ms: { mean: number };
  response_time_ms: { mean: number };
  reply_rate: { min: number; avg: number; max: number; stddev: number; samples: number };
  duration_s: number;
  cpu: { user_s: number; sys_s: number; pct: number };
  lateness_ms: { mean: number; p99: number; max: number };
  by_file: Record<string, FileCounts>;
  verify?: { checked: number; mismatches: number; errors?: number }; // errors: not 200 (absent before loadgen counted them apart)
}

/** Sums per-file counts over clients. */
export function sumByFile(summaries: LoadgenSummary[]): Record<string, FileCounts> {
  const out: Record<string, FileCounts> = {};
  for (const s of summaries) {
    for (const [name, c] of Object.entries(s.by_file ?? {})) {
      const t = (out[name] ??= { requests: 0, replies: 0, timeouts: 0, bytes: 0 });
      t.requests += c.requests; t.replies += c.replies; t.timeouts += c.timeouts; t.bytes += c.bytes;
    }
  }
  return out;
}
