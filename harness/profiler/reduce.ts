// Reduces `perf script` samples of the server's core to Table 1's categories, using the mapping in categories.ts.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative, basename } from "node:path";
import {
  KERNEL_RULES, USER_FUNCTION_RULES, USER_FOLDER_RULES, USER_PREFIX_RULES, LIB_RULES, IDLE_TID, IDLE_SYMBOL, KERNEL_CATEGORIES, USER_CATEGORIES,
  type Category, type Section,
} from "./categories.ts";

export interface Sample { comm: string; tid: number; symbol: string; dso: string }

/** Parses lines of `perf script -F comm,tid,cpu,ip,sym,dso`, e.g. `userver 1234 [001] ffffffff8123 tcp_sendmsg ([kernel.kallsyms])`. */
export function parsePerfScript(text: string): Sample[] {
  const out: Sample[] = [];
  const line = /^\s*(.*?)\s+(\d+)\s+\[\d+\]\s+([0-9a-f]+)\s+(.*)\s+\((.*)\)\s*$/;
  for (const l of text.split("\n")) {
    const m = line.exec(l);
    if (m) out.push({ comm: m[1], tid: Number(m[2]), symbol: m[4].trim(), dso: m[5] });
  }
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

/** Classifies one sample; `serverBins` are the basenames of the server binaries (userver, knot, watpipe, nginx). */
export function classify(s: Sample, serverBins: readonly string[], index: SourceIndex): Classified {
  const name = cleanSymbol(s.symbol);
  if (s.dso === "[kernel.kallsyms]" || s.dso.startsWith("[kernel")) {
    const rule = KERNEL_RULES.find((r) => r.pattern.test(name));
    return rule ? { section: rule.section, category: rule.category } : { section: "vmlinux", category: "others" };
  }
  const bin = basename(s.dso);
  if (serverBins.includes(bin)) return { section: "user", category: userCategory(bin, s.symbol, index) };
  const lib = LIB_RULES.find((r) => r.dso.test(s.dso) && (!r.symbol || r.symbol.test(name)));
  if (lib) return { section: lib.section, category: lib.category };
  return { section: "other", category: "other_total" };
}

export interface ProfileRow { section: Section; category: string; pct: number }

export interface Reduction {
  samples: number;       // non-idle samples of the server host, the 100%
  idleSamples: number;
  foreignSamples: number; // samples of processes outside the server host that ran on its core (a shared machine)
  rows: ProfileRow[];    // every Table 1 category and the section totals; categories sum to 100
  unmatchedKernel: Array<{ symbol: string; samples: number }>; // the "others" bucket, to review the mapping
}

/** Percentages of non-idle samples per category, with the section totals of Table 1. `isHostTask` tells the server
 *  host's threads from other processes that happened to run on its core (task 0, interrupts and idle, is the host's). */
export function reduce(samples: Sample[], serverBins: readonly string[], index: SourceIndex,
  isHostTask: (tid: number) => boolean = () => true): Reduction {
  const counts = new Map<string, number>();
  const unmatched = new Map<string, number>();
  let idle = 0, n = 0, foreign = 0;
  for (const s of samples) {
    if (s.tid === IDLE_TID && IDLE_SYMBOL.test(cleanSymbol(s.symbol))) { idle++; continue; }
    if (s.tid !== IDLE_TID && !isHostTask(s.tid)) { foreign++; continue; }
    n++;
    const c = classify(s, serverBins, index);
    const key = `${c.section}/${c.category}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    if (c.section === "vmlinux" && c.category === "others") {
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
  return { samples: n, idleSamples: idle, foreignSamples: foreign, rows, unmatchedKernel };
}

/** The sum of the leaf categories (not the section totals): 100 when every sample was classified. */
export function leafSum(rows: ProfileRow[]): number {
  return rows.filter((r) => !r.category.endsWith("_total") || ["nic_driver_total", "libc_total", "other_total"].includes(r.category))
    .reduce((s, r) => s + r.pct, 0);
}
