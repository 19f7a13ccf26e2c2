// The paper's published numbers (Table 1 and the values quoted in its text), each with the section it comes from.
// This is the one place the notebooks take the paper's values from; everything else computes ours.
import { parse } from "csv-parse/sync";

// Table 1, copied verbatim from the paper's Table 1 as CSV (`nic_driver_total` is the paper's "e1000 total";
// `file_system_cache_kb` is in KB although the paper's text says megabytes). Source: §7, Table 1, at 12,000 req/s.
const TABLE1_CSV = `metric,section,knot-c,knot-nb,knot-b,userver-shared-nb,userver-nb,userver-b,watpipe
arch,config,T/Conn,T/Conn,T/Conn,s-symped,symped,symped,SEDA-like
write_sockets,config,non-block,non-block,block,non-block,non-block,block,non-block
max_conns,config,20000,15000,20000,30000,30000,30000,20000
workers_or_processes,config,100w,50w,100w,10p,4p,100p,25p
other_config,config,1 GB cache,,,,,,
reply_rate,result,8394,8852,9238,10712,10122,10201,10691
throughput_mbps,result,1001,1055,1102,1280,1207,1217,1276
vmlinux_total,oprofile,68.68,62.65,63.42,67.32,69.40,68.38,67.81
networking,oprofile,21.72,28.59,27.74,30.94,28.81,29.95,33.26
memory_mgmt,oprofile,6.90,7.48,6.94,7.65,6.95,8.32,9.00
file_system,oprofile,5.17,7.42,7.55,8.22,9.32,8.18,6.65
kernel_arch,oprofile,4.72,5.15,5.47,6.11,5.84,7.74,6.21
poll_overhead,oprofile,6.88,7.82,7.91,8.29,13.06,6.16,6.52
data_copying,oprofile,17.73,0.71,0.77,1.04,1.01,1.04,1.00
sched_overhead,oprofile,0.86,0.81,1.64,0.15,0.06,1.06,0.29
others,oprofile,4.70,4.67,5.40,4.92,4.35,5.93,4.88
nic_driver_total,oprofile,13.85,16.42,15.77,17.80,16.74,16.77,19.17
user_space_total,oprofile,15.17,18.56,18.38,10.22,9.54,8.42,9.24
thread_overhead,oprofile,6.84,10.52,10.20,0.01,0.00,0.00,2.29
event_overhead,oprofile,0.00,0.00,0.00,5.09,5.06,3.60,3.34
application,oprofile,8.33,8.04,8.18,5.12,4.48,4.82,3.61
libc_total,oprofile,0.03,0.03,0.03,2.60,2.47,4.15,1.65
other_total,oprofile,2.27,2.34,2.40,2.06,1.85,2.28,2.13
file_system_cache_kb,vmstat,750957,1773020,1748075,1817925,1803570,1548183,1777199
ctx_switches_per_s_kernel,vmstat,1947,5320,8928,330,107,4394,1148
ctx_switches_per_s_user,server,12345,20836,19158,0,0,0,0
`;

/** The offered rate at which Table 1 was measured (§7), in requests/s. */
export const TABLE1_RATE = 12000;

/** Table 1's columns and the configuration label each stands for (§7: "the best tuning configuration for each server"). */
export const TABLE1_CONFIGS = [
  { column: "knot-c", label: "knot-c-20K-100w-1000MB" },
  { column: "knot-nb", label: "knot-nb-15K-50w" },
  { column: "knot-b", label: "knot-b-20K-100w" },
  { column: "userver-shared-nb", label: "userver-shared-nb-30K-10p" },
  { column: "userver-nb", label: "userver-nb-30K-4p" },
  { column: "userver-b", label: "userver-b-30K-100p" },
  { column: "watpipe", label: "watpipe-20K-25p" },
] as const;

export interface Table1Row {
  metric: string;
  section: string;
  /** Value per Table 1 column; numbers where the paper prints numbers, text for the configuration rows. */
  values: Record<string, number | string>;
}

/** Table 1 as rows, in the paper's order. */
export const TABLE1: Table1Row[] = (parse(TABLE1_CSV, { columns: true }) as Record<string, string>[]).map((r) => {
  const values: Record<string, number | string> = {};
  for (const { column } of TABLE1_CONFIGS) values[column] = r.section === "config" ? r[column] : Number(r[column]);
  return { metric: r.metric, section: r.section, values };
});

/** Table 1's number for a metric and configuration label, or undefined if the paper gives none. */
export function table1Value(metric: string, label: string): number | undefined {
  const config = TABLE1_CONFIGS.find((c) => c.label === label);
  const v = TABLE1.find((r) => r.metric === metric)?.values[config?.column ?? ""];
  return typeof v === "number" ? v : undefined;
}

/**
 * A number quoted in the paper's text. `kind` says how a figure draws it: a `peak`, `sustained` level or `cap`
 * is a throughput level (Mbps); an `effect` is a relative difference (0.18 = 18% higher); a `level` is any other
 * quantity in `unit`.
 */
export interface PaperValue {
  id: string;
  section: string;
  figure?: number;
  series?: string;
  /** Offered rate (requests/s) the value refers to, when the paper names one. */
  rate?: number;
  kind: "peak" | "sustained" | "cap" | "effect" | "level";
  value: number;
  unit: string;
  /** The paper's words, shortened. */
  quote: string;
}

export const PAPER_VALUES: PaperValue[] = [
  // §4.4, Figure 1 (knot-c, cache sizes)
  { id: "knot-c-1000MB-peak", section: "§4.4", figure: 1, series: "knot-c-20K-100w-1000MB", kind: "peak", value: 1085, unit: "Mbps", quote: "a peak of 1085 Mbps for configuration knot-c-20K-100w-1000MB" },
  // §4.4, Figure 2 (knot-nb)
  { id: "knot-nb-10K-cap", section: "§4.4", figure: 2, kind: "cap", value: 930, unit: "Mbps", quote: "with 10,000 (or fewer) threads and any number of workers, throughput never exceeded 930 Mbps" },
  { id: "knot-nb-15K-25w-sustained", section: "§4.4", figure: 2, series: "knot-nb-15K-25w", kind: "sustained", value: 1165, unit: "Mbps", quote: "a sustained throughput of 1165 Mbps" },
  { id: "knot-nb-15K-25w-peak", section: "§4.4", figure: 2, series: "knot-nb-15K-25w", kind: "peak", value: 1200, unit: "Mbps", quote: "with a peak of 1200 Mbps" },
  { id: "knot-nb-15K-5w-peak-rate", section: "§4.4", figure: 2, series: "knot-nb-15K-5w", kind: "level", value: 10000, unit: "req/s", quote: "an increase in peak performance at a request rate of 10,000 requests per second but performance drops as the request rate is increased" },
  // §4.4, Figure 3 (knot-b)
  { id: "knot-b-10K-cap", section: "§4.4", figure: 3, kind: "cap", value: 960, unit: "Mbps", quote: "with 10,000 (or less) threads ... in most cases around 930 Mbps and never exceeds 960 Mbps" },
  { id: "knot-b-20K-100w-sustained", section: "§4.4", figure: 3, series: "knot-b-20K-100w", kind: "sustained", value: 1200, unit: "Mbps", quote: "a sustained level above 1200 Mbps" },
  { id: "knot-b-20K-100w-peak", section: "§4.4", figure: 3, series: "knot-b-20K-100w", kind: "peak", value: 1230, unit: "Mbps", quote: "with a peak of 1230 Mbps using knot-b-20K-100w" },
  { id: "knot-b-20K-50w-poll-12K", section: "§4.4", figure: 3, series: "knot-b-20K-50w", rate: 12000, kind: "level", value: 8, unit: "% CPU", quote: "poll overheads for knot-b-20K-50w are 8%, 15% and 22% at 12,000, 25,000 and 30,000" },
  { id: "knot-b-20K-50w-poll-25K", section: "§4.4", figure: 3, series: "knot-b-20K-50w", rate: 25000, kind: "level", value: 15, unit: "% CPU", quote: "poll overheads for knot-b-20K-50w are 8%, 15% and 22% at 12,000, 25,000 and 30,000" },
  { id: "knot-b-20K-50w-poll-30K", section: "§4.4", figure: 3, series: "knot-b-20K-50w", rate: 30000, kind: "level", value: 22, unit: "% CPU", quote: "poll overheads for knot-b-20K-50w are 8%, 15% and 22% at 12,000, 25,000 and 30,000" },
  { id: "knot-b-20K-50w-pollset-15K", section: "§4.4", figure: 3, series: "knot-b-20K-50w", rate: 15000, kind: "level", value: 100, unit: "fds", quote: "the average number of fds is just under 100 for request rates of 15,000" },
  { id: "knot-b-20K-50w-pollset-25K", section: "§4.4", figure: 3, series: "knot-b-20K-50w", rate: 25000, kind: "level", value: 243, unit: "fds", quote: "with 20,000 connections this increases to 243 and 432 at 25,000 and 30,000" },
  { id: "knot-b-20K-50w-pollset-30K", section: "§4.4", figure: 3, series: "knot-b-20K-50w", rate: 30000, kind: "level", value: 432, unit: "fds", quote: "with 20,000 connections this increases to 243 and 432 at 25,000 and 30,000" },
  // §4.4 and §5.3, §6.1: the 10,000-connection cap for every server
  { id: "cap-10K", section: "§4.4", kind: "cap", value: 930, unit: "Mbps", quote: "their performance is also limited to around 930 Mbps when the number of simultaneous connections is capped at 10,000" },
  // §5.3, Figure 4 (userver-nb)
  { id: "userver-nb-10K-cap", section: "§5.3", figure: 4, kind: "cap", value: 930, unit: "Mbps", quote: "the small number of connections limits the throughput of the µserver just as is the case for knot-nb and knot-b" },
  { id: "userver-nb-30K-2p-vs-1p-15K", section: "§5.3", figure: 4, rate: 15000, kind: "effect", value: 0.38, unit: "", quote: "the extra server process boosts peak throughput by 38% at 15,000 requests per second" },
  { id: "userver-nb-30K-2p-vs-1p-30K", section: "§5.3", figure: 4, rate: 30000, kind: "effect", value: 0.47, unit: "", quote: "and by 47% at 30,000 requests per second" },
  { id: "userver-nb-30K-1p-iowait", section: "§5.3", figure: 4, series: "userver-nb-30K-1p", rate: 15000, kind: "level", value: 33, unit: "% iowait", quote: "the processor is idle for 33% of the time while the µserver is blocked waiting for I/O" },
  { id: "userver-nb-30K-2p-iowait", section: "§5.3", figure: 4, series: "userver-nb-30K-2p", rate: 15000, kind: "level", value: 8, unit: "% iowait", quote: "adding a second process lowers CPU waiting time to 8%" },
  { id: "userver-nb-30K-3p-iowait", section: "§5.3", figure: 4, series: "userver-nb-30K-3p", rate: 15000, kind: "level", value: 5, unit: "% iowait", quote: "with 3 server processes, the µserver spends just 5% of the CPU time waiting for I/O" },
  { id: "userver-nb-30K-4p-iowait", section: "§5.3", figure: 4, series: "userver-nb-30K-4p", rate: 15000, kind: "level", value: 4, unit: "% iowait", quote: "with 4 server processes waiting time is reduced to 4%" },
  // §6.1, Figure 6 (WatPipe)
  { id: "watpipe-10K-cap", section: "§6.1", figure: 6, kind: "cap", value: 930, unit: "Mbps", quote: "for this workload, 10,000 connections is insufficient" },
  { id: "watpipe-20K-vs-10K-15K", section: "§6.1", figure: 6, rate: 15000, kind: "effect", value: 0.33, unit: "", quote: "with 5 writer threads, increasing the number of connections from 10,000 to 20,000 boosts peak throughput by 33% at 15,000" },
  { id: "watpipe-20K-vs-10K-30K", section: "§6.1", figure: 6, rate: 30000, kind: "effect", value: 0.38, unit: "", quote: "and by 38% at 30,000 requests per second" },
  { id: "watpipe-25p-vs-5p-15K", section: "§6.1", figure: 6, rate: 15000, kind: "effect", value: 0.12, unit: "", quote: "increasing the number of writer threads from 5 to 25 improves peak throughput by 12% at 15,000" },
  { id: "watpipe-25p-vs-5p-30K", section: "§6.1", figure: 6, rate: 30000, kind: "effect", value: 0.10, unit: "", quote: "and by 10% at 30,000 requests per second" },
  { id: "watpipe-20K-5p-iowait", section: "§6.1", figure: 6, series: "watpipe-20K-5p", rate: 15000, kind: "level", value: 14, unit: "% iowait", quote: "at 15,000 requests per second for 5 writer threads is 14%" },
  { id: "watpipe-20K-25p-iowait", section: "§6.1", figure: 6, series: "watpipe-20K-25p", rate: 15000, kind: "level", value: 1, unit: "% iowait", quote: "and it decreases to 1% with 25 writers" },
  // §7, Figure 7 (best of each architecture)
  { id: "shared-vs-knot-b-15K", section: "§7", figure: 7, rate: 15000, kind: "effect", value: 0.18, unit: "", quote: "userver-shared-nb provides 18% higher throughput than the best of the Knot servers (knot-b) at 15,000" },
  { id: "shared-vs-knot-c-15K", section: "§7", figure: 7, rate: 15000, kind: "effect", value: 0.34, unit: "", quote: "and 34% higher throughput than knot-c at the same request rate" },
  { id: "knot-b-vs-knot-c-15K", section: "§7", figure: 7, rate: 15000, kind: "effect", value: 0.13, unit: "", quote: "knot-b having 13% higher throughput than knot-c" },
  { id: "knot-b-vs-knot-nb-15K", section: "§7", figure: 7, rate: 15000, kind: "effect", value: 0.07, unit: "", quote: "and 7% higher throughput than knot-nb at 15,000 requests per second" },
  { id: "userver-b-vs-shared-30K", section: "§7", figure: 7, rate: 30000, kind: "effect", value: -0.12, unit: "", quote: "there is a 12% drop in throughput when compared with userver-shared-nb at 30,000 requests" },
  { id: "sped-below-peak", section: "§7", figure: 7, series: "userver-nb-30K-1p", kind: "effect", value: -0.37, unit: "", quote: "the SPED server is within 37% of the peak" },
  { id: "sped-iowait", section: "§7", figure: 7, series: "userver-nb-30K-1p", rate: 15000, kind: "level", value: 33, unit: "% iowait", quote: "despite spending 33% of its time blocked waiting for I/O" },
  // §10 (over 12,500 to 30,000 requests/s, Figure 7's runs)
  { id: "knot-nb-vs-knot-c-low", section: "§10", figure: 7, kind: "effect", value: 0.07, unit: "", quote: "non-blocking sendfile calls provides about 7 – 9% better throughput than the original version" },
  { id: "knot-nb-vs-knot-c-high", section: "§10", figure: 7, kind: "effect", value: 0.09, unit: "", quote: "non-blocking sendfile calls provides about 7 – 9% better throughput than the original version" },
  { id: "knot-b-vs-knot-c-low", section: "§10", figure: 7, kind: "effect", value: 0.11, unit: "", quote: "blocking sendfile calls in Capriccio produces 11 – 18% higher throughput" },
  { id: "knot-b-vs-knot-c-high", section: "§10", figure: 7, kind: "effect", value: 0.18, unit: "", quote: "blocking sendfile calls in Capriccio produces 11 – 18% higher throughput" },
];

/** The paper's value with this id; throws on an unknown id so that a typo cannot pass silently. */
export function paperValue(id: string): PaperValue {
  const v = PAPER_VALUES.find((p) => p.id === id);
  if (!v) throw new Error(`no paper value "${id}"`);
  return v;
}

/** Each figure's title as printed in the paper (Figures 1, 2 and 5: our text copy lacks the caption; named like 3 and 4). */
export const FIGURE_TITLES: Record<number, string> = {
  1: "Tuning Knot – application-level caching",
  2: "Tuning Knot – non-blocking sendfile",
  3: "Tuning Knot – blocking sendfile",
  4: "Tuning the µserver – non-blocking sendfile",
  5: "Tuning the µserver – blocking sendfile",
  6: "Tuning WatPipe",
  7: "Throughput of different architectures",
  8: "Response times of different architectures",
};

/** Figure 7's configurations (§7): the best tuning of each server plus the SPED baseline. */
export const FIGURE7_SERIES = [...TABLE1_CONFIGS.map((c) => c.label), "userver-nb-30K-1p"];

/** The paper's claims as testable statements, in its words (shortened); `claims.ts` measures each. */
export const CLAIMS: { id: string; where: string; claim: string }[] = [
  { id: "C1", where: "§7, abstract", claim: "userver-shared-nb has ~18% higher throughput than the best Knot (knot-b) at 15,000 req/s, and ~34% higher than knot-c" },
  { id: "C2", where: "§7", claim: "knot-b is ~13% above knot-c and ~7% above knot-nb at 15,000 req/s" },
  { id: "C3", where: "§7", claim: "the top three (userver-shared-nb, WatPipe, userver-nb) are approximately equivalent" },
  { id: "C4", where: "§7", claim: "userver-b reaches the same peak at 15K but drops ~12% below userver-shared-nb at 30,000 req/s" },
  { id: "C5", where: "§7, §5.3", claim: "the SPED baseline (userver-nb-30K-1p) stays within ~37% of the peak while ~33% of CPU is idle waiting for I/O at 15K" },
  { id: "C6", where: "§4.4, §5.3, §6.1", claim: "capping connections at 10,000 limits every server to ~930 Mbps" },
  { id: "C7", where: "§4.4, Fig 1", claim: "knot-c is insensitive to its cache size in 100–1000 MB (peak 1085 Mbps at 1000 MB); only a 10 MB cache degrades" },
  { id: "C8", where: "§4.4, Fig 2", claim: "knot-nb reaches its ceiling at 15K threads / 25 workers (sustained 1165, peak 1200 Mbps); 15K-5w peaks at 10K req/s then falls; more threads or workers do not help" },
  { id: "C9", where: "§4.4, Fig 3", claim: "knot-b: sustained >1200, peak 1230 Mbps at 20K-100w; with 50 workers throughput declines as the rate rises, worse at 40K threads; poll overhead of 20K-50w is 8% / 15% / 22% at 12K / 25K / 30K req/s, average poll-set size grows" },
  { id: "C10", where: "§5.3, Fig 4", claim: "userver-nb-30K: 2 processes beat 1 by ~38% at 15K and ~47% at 30K; iowait 33% (1p) → 8% (2p) → 5% (3p) → 4% (4p); more than 4 processes do not help" },
  { id: "C11", where: "§5.3, Fig 4", claim: "userver-nb-10K: adding processes slightly degrades throughput (poll overhead)" },
  { id: "C12", where: "§5.3, Fig 5", claim: "userver-b needs 75–200 processes; 30K-100p beats 30K-75p; 30K-200p is worse than 30K-100p; 50K needs 200p and then comes close to 30K-100p" },
  { id: "C13", where: "§6.1, Fig 6", claim: "WatPipe: 10K→20K connections +33% at 15K and +38% at 30K (5 writers); 5→25 writers +12% at 15K, +10% at 30K, iowait 14% → 1%; 50 writers = 25 writers" },
  { id: "C14", where: "§7, Table 1", claim: "at 12,000 req/s: knot-c spends ~18% of CPU copying data; Knot's user-level threading costs 7–11%; event-driven servers have ~0 thread overhead and ~3.6–5% event overhead; userver-nb-4p has the highest poll overhead (~13%); user-space share is lower for userver/WatPipe (8–10%) than Knot (15–19%)" },
  { id: "C15", where: "§7, Table 1", claim: "reply-rate ordering at 12,000 req/s: userver-shared-nb ≈ WatPipe > userver-b ≈ userver-nb > knot-b > knot-nb > knot-c" },
  { id: "C16", where: "§10", claim: "over 12.5K–30K req/s, knot-nb is 7–9% and knot-b 11–18% above knot-c" },
  { id: "C17", where: "§8, Fig 8", claim: "mean response times are low below saturation and rise sharply at saturation (10K–15K req/s); configurations allowing 30K connections have higher response times" },
  { id: "C18", where: "§3.4", claim: "every reported point passes verification: per-file-size timeout % within 2 points of the mean, max timeout % ≤ 10%, and correct bytes for every request in a correctness run" },
];
