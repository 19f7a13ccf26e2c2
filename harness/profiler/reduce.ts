// Reduces `perf script` samples of the server's core to Table 1's categories, using the mapping in categories.ts.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative, basename } from "node:path";
import {
  KERNEL_RULES, USER_FUNCTION_RULES, USER_FOLDER_RULES, USER_PREFIX_RULES, LIB_RULES, IDLE_TID, SINK_SYMBOLS, UNATTRIBUTED_LIMIT_PCT,
  KERNEL_CATEGORIES, USER_CATEGORIES, type Category, type Section,
} from "./categories.ts";

export interface Frame { symbol: string; dso: string }
/** One sample: its task and the function it landed in, then (with `perf record -g`) its callers, innermost first. */
export interface Sample extends Frame { comm: string; tid: number; callers: Frame[] }

/** How the server's core is sampled: the cpu-clock timer (the same on every guest, where hardware counters often are
 *  not), with call chains (-g) so that samples held back to an interrupt-enable point can be charged to their callers. */
export const PERF_RECORD_ARGS = ["-g", "-e", "cpu-clock", "-F", "999"];

/** The fields `perf script` is asked for; with a call chain (`perf record -g`) each sample is a header line and one
 *  line per frame, innermost first, then a blank line. */
export const PERF_SCRIPT_FIELDS = "comm,tid,cpu,ip,sym,dso";

/** Parses `perf script -F comm,tid,cpu,ip,sym,dso`: one line per sample, `userver 1234 [001] ffffffff8123 tcp_sendmsg
 *  ([kernel.kallsyms])`, or with call chains a header `userver 1234 [001]` followed by `\tffffffff8123 tcp_sendmsg
 *  ([kernel.kallsyms])` lines. */
export function parsePerfScript(text: string): Sample[] {
  const out: Sample[] = [];
  const flat = /^\s*(\S.*?)\s+(\d+)\s+\[\d+\]\s+([0-9a-f]+)\s+(.*)\s+\((.*)\)\s*$/;
  const header = /^\s*(\S.*?)\s+(\d+)\s+\[\d+\]\s*$/;
  const frame = /^\s+([0-9a-f]+)\s+(.*)\s+\((.*)\)\s*$/;
  let open: { comm: string; tid: number; frames: Frame[] } | null = null;
  const close = () => {
    if (open?.frames.length) out.push({ comm: open.comm, tid: open.tid, ...open.frames[0], callers: open.frames.slice(1) });
    open = null;
  };
  for (const l of text.split("\n")) {
    let m: RegExpExecArray | null;
    if ((m = flat.exec(l))) { close(); out.push({ comm: m[1], tid: Number(m[2]), symbol: m[4].trim(), dso: m[5], callers: [] }); }
    else if ((m = header.exec(l))) { close(); open = { comm: m[1], tid: Number(m[2]), frames: [] }; }
    else if (open && (m = frame.exec(l))) open.frames.push({ symbol: m[2].trim(), dso: m[3] });
    else if (!l.trim()) close();
  }
  close();
  return out;
}

/** Function name without perf's offset, C++ argument list, or compiler clone suffixes (.isra.0, .part.1, .cold). */
export function cleanSymbol(sym: string): string {
  return sym.replace(/\+0x[0-9a-f]+$/, "").replace(/\(.*\)\s*(const)?$/, "").replace(/(\.(isra|part|constprop|cold|lto_priv)(\.\d+)?)+$/, "");
}

/** function name → source files defining it (paths relative to the repo), like the paper's ctags files. */
export type SourceIndex = Map<string, string[]>;

const DEF = /^(?![\s#/{}*])(?!.*;\s*$)(?:[\w:<>,*&~\s]+?[\s*&])?((?:\w+::)*~?\w+)\s*\([^;]*$/;

/** Indexes function definitions in C/C++ sources under `dir` (a definition starts at column 0 and is not a declaration). */
export function indexSources(repo: string, dir: string): SourceIndex {
  const index: SourceIndex = new Map();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const full = join(d, name);
      if (statSync(full).isDirectory()) { if (!["bin", "node_modules", "test"].includes(name)) walk(full); continue; }
      if (!/\.(c|cc|cpp|h|hpp)$/.test(name)) continue;
      const rel = relative(repo, full);
      for (const l of readFileSync(full, "utf8").split("\n")) {
        const m = DEF.exec(l);
        if (!m || /^(if|for|while|switch|return|sizeof)$/.test(m[1])) continue;
        const files = index.get(m[1]) ?? [];
        if (!files.includes(rel)) files.push(rel);
        index.set(m[1], files);
      }
    }
  };
  walk(join(repo, dir));
  return index;
}

export interface Classified { section: Section; category: Category }

/** Category of one user-space function of server binary `server` (its basename, e.g. knot). */
function userCategory(server: string, symbol: string, index: SourceIndex): Category {
  const name = cleanSymbol(symbol);
  const fn = USER_FUNCTION_RULES.find((r) => r.pattern.test(name));
  if (fn) return fn.category;
  const files = index.get(name) ?? index.get(name.split("::").pop() ?? name) ?? [];
  // A name defined in several servers: prefer this server's own sources, then the shared core.
  const file = files.find((f) => f.startsWith(`servers/${server}/`)) ?? files.find((f) => f.startsWith("servers/common/")) ?? files[0];
  if (file) {
    const rule = USER_FOLDER_RULES.find((r) => r.folder.test(file));
    if (rule) return rule.category;
  }
  return USER_PREFIX_RULES.find((r) => r.pattern.test(name))?.category ?? "application";
}

const isKernel = (dso: string) => dso.startsWith("[kernel");

/** Classifies one frame; `serverBins` are the basenames of the server binaries (userver, knot, watpipe, nginx). Null
 *  for kernel code no rule knows (Table 1's "others", and the profile's unattributed share). */
export function classify(f: Frame, serverBins: readonly string[], index: SourceIndex): Classified | null {
  const name = cleanSymbol(f.symbol);
  if (isKernel(f.dso)) {
    const rule = KERNEL_RULES.find((r) => r.pattern.test(name));
    return rule ? { section: rule.section, category: rule.category } : null;
  }
  const bin = basename(f.dso);
  if (serverBins.includes(bin)) return { section: "user", category: userCategory(bin, f.symbol, index) };
  const lib = LIB_RULES.find((r) => r.dso.test(f.dso) && (!r.symbol || r.symbol.test(name)));
  if (lib) return { section: lib.section, category: lib.category };
  return { section: "other", category: "other_total" };
}

const isSink = (f: Frame) => isKernel(f.dso) && SINK_SYMBOLS.test(cleanSymbol(f.symbol));

/** What a sample is charged to: its own function, or for a sink the first caller (not itself a sink) with a category;
 *  null when nothing in reach has one. A caller in an unknown object ([unknown], no symbols) has none. */
export function attribute(s: Sample, serverBins: readonly string[], index: SourceIndex): Classified | null {
  if (!isSink(s)) return classify(s, serverBins, index);
  for (const f of s.callers) {
    if (isSink(f) || f.dso === "[unknown]") continue;
    const c = classify(f, serverBins, index);
    if (c) return c;
  }
  return null;
}

export interface ProfileRow { section: Section; category: string; pct: number }

export interface Reduction {
  samples: number;       // non-idle samples of the server host, the 100%
  idleSamples: number;   // samples of the idle task, whatever they landed in
  foreignSamples: number; // samples of processes outside the server host that ran on its core (a shared machine)
  sinkSamples: number;   // samples on an interrupt-enable or lock-release point, charged to a caller (or unattributed)
  unattributedPct: number; // % of `samples` no rule could place (kernel code not in the mapping, sinks without a caller)
  reliable: boolean;     // unattributedPct ≤ UNATTRIBUTED_LIMIT_PCT, and there were samples at all
  rows: ProfileRow[];    // every Table 1 category and the section totals; categories sum to 100
  unmatchedKernel: Array<{ symbol: string; samples: number }>; // the unattributed samples by symbol, to review the mapping
}

/** Percentages of non-idle samples per category, with the section totals of Table 1. `isHostTask` tells the server
 *  host's threads from other processes that happened to run on its core. Unattributed samples count in Table 1's
 *  "others" (beside the kernel's lib/, block/, security/ and drivers/ code, which is "others" by rule). */
export function reduce(samples: Sample[], serverBins: readonly string[], index: SourceIndex,
  isHostTask: (tid: number) => boolean = () => true): Reduction {
  const counts = new Map<string, number>();
  const unmatched = new Map<string, number>();
  let idle = 0, n = 0, foreign = 0, sinks = 0, unattributed = 0;
  for (const s of samples) {
    if (s.tid === IDLE_TID) { idle++; continue; }
    if (!isHostTask(s.tid)) { foreign++; continue; }
    n++;
    if (isSink(s)) sinks++;
    const c = attribute(s, serverBins, index);
    const key = c ? `${c.section}/${c.category}` : "vmlinux/others";
    counts.set(key, (counts.get(key) ?? 0) + 1);
    if (!c) {
      unattributed++;
      const sym = cleanSymbol(s.symbol);
      unmatched.set(sym, (unmatched.get(sym) ?? 0) + 1);
    }
  }
  const pct = (k: string) => (n ? (100 * (counts.get(k) ?? 0)) / n : 0);
  const rows: ProfileRow[] = [];
  const section = (sec: Section, cats: readonly string[], total: string) => {
    let sum = 0;
    for (const c of cats) { const p = pct(`${sec}/${c}`); sum += p; rows.push({ section: sec, category: c, pct: p }); }
    rows.push({ section: sec, category: total, pct: sum });
  };
  section("vmlinux", KERNEL_CATEGORIES, "vmlinux_total");
  rows.push({ section: "nic", category: "nic_driver_total", pct: pct("nic/nic_driver_total") });
  section("user", USER_CATEGORIES, "user_space_total");
  rows.push({ section: "libc", category: "libc_total", pct: pct("libc/libc_total") });
  rows.push({ section: "other", category: "other_total", pct: pct("other/other_total") });
  const unmatchedKernel = [...unmatched].map(([symbol, c]) => ({ symbol, samples: c })).sort((a, b) => b.samples - a.samples);
  const unattributedPct = n ? (100 * unattributed) / n : 0;
  return { samples: n, idleSamples: idle, foreignSamples: foreign, sinkSamples: sinks, unattributedPct,
    reliable: n > 0 && unattributedPct <= UNATTRIBUTED_LIMIT_PCT, rows, unmatchedKernel };
}

/** The sum of the leaf categories (not the section totals): 100 when every sample was classified. */
export function leafSum(rows: ProfileRow[]): number {
  return rows.filter((r) => !r.category.endsWith("_total") || ["nic_driver_total", "libc_total", "other_total"].includes(r.category))
    .reduce((s, r) => s + r.pct, 0);
}
