// Reads /proc: vmstat lines, a process tree and its context switches and CPU time, a core's times, what a process's threads
// wait on, what a process has locked in memory.
import { readFileSync, readdirSync } from "node:fs";

export interface VmstatSample { r: number; b: number; cache_kb: number; cs: number; us: number; sy: number; id: number; wa: number; st: number }

/** Parses `vmstat -n 5` output (header lines skipped; columns found by name, so versions with or without `gu` work). */
export function parseVmstat(text: string): VmstatSample[] {
  const lines = text.split("\n").map((l) => l.trim()).filter(Boolean);
  const header = lines.find((l) => /^r\s+b\s+/.test(l));
  if (!header) return [];
  const cols = header.split(/\s+/);
  const at = (vals: number[], name: string) => { const i = cols.indexOf(name); return i >= 0 ? vals[i] : NaN; };
  return lines
    .filter((l) => /^\d/.test(l))
    .map((l) => l.split(/\s+/).map(Number))
    .filter((v) => v.length === cols.length)
    .map((v) => ({ r: at(v, "r"), b: at(v, "b"), cache_kb: at(v, "cache"), cs: at(v, "cs"), us: at(v, "us"), sy: at(v, "sy"),
      id: at(v, "id"), wa: at(v, "wa"), st: at(v, "st") }));
}

/** vmstat's first line reports averages since boot: the samples of the run are the ones after it. */
export function vmstatInterval(samples: VmstatSample[]): VmstatSample[] {
  return samples.slice(1);
}

export const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

/** The fields of a /proc/<pid>/stat line after the command name (which may hold spaces and parentheses): [0] is
 *  the state, [1] the parent PID, [11] and [12] utime and stime (the man page's fields 3, 4, 14, 15). */
export function statFields(raw: string): string[] {
  return raw.slice(raw.lastIndexOf(")") + 2).split(" ");
}

/** What the threads of a process and its descendants wait on in the kernel ("D request_wait_answer ×13"), for an
 *  error message. */
export function kernelWaits(pid: number): string {
  const seen = new Map<string, number>();
  for (const p of processTree(pid)) {
    try {
      for (const t of readdirSync(`/proc/${p}/task`)) {
        const state = statFields(readFileSync(`/proc/${p}/task/${t}/stat`, "utf8"))[0];
        const key = `${state} ${readFileSync(`/proc/${p}/task/${t}/wchan`, "utf8") || "-"}`;
        seen.set(key, (seen.get(key) ?? 0) + 1);
      }
    } catch { /* gone meanwhile */ }
  }
  return [...seen].map(([k, n]) => `${k} ×${n}`).join(", ") || "unknown";
}

/** Bytes the process has locked in memory (VmLck), or null once it is gone. */
export function lockedBytes(pid: number): number | null {
  try {
    const m = /^VmLck:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** PIDs of pid and all its descendants (every process of a multi-process server), from /proc/<pid>/stat. */
export function processTree(pid: number): number[] {
  const parent = new Map<number, number[]>();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const ppid = Number(statFields(readFileSync(`/proc/${d}/stat`, "utf8"))[1]);
      const kids = parent.get(ppid) ?? [];
      kids.push(Number(d));
      parent.set(ppid, kids);
    } catch { /* exited meanwhile */ }
  }
  const out: number[] = [];
  const todo = [pid];
  while (todo.length) { const p = todo.pop()!; out.push(p); todo.push(...(parent.get(p) ?? [])); }
  return out;
}

export interface TreeCounters { ctxSwitches: number; cpuTicks: number; tids: number[] }

/** Kernel context switches (voluntary + involuntary, every thread) and CPU ticks (user + system) of a process tree. */
export function treeCounters(pid: number): TreeCounters {
  let ctx = 0, ticks = 0;
  const tids: number[] = [];
  for (const p of processTree(pid)) {
    try {
      for (const t of readdirSync(`/proc/${p}/task`)) {
        tids.push(Number(t));
        const status = readFileSync(`/proc/${p}/task/${t}/status`, "utf8");
        for (const m of status.matchAll(/^(?:voluntary|nonvoluntary)_ctxt_switches:\s+(\d+)/gm)) ctx += Number(m[1]);
      }
      const stat = statFields(readFileSync(`/proc/${p}/stat`, "utf8"));
      ticks += Number(stat[11]) + Number(stat[12]); // utime, stime (fields 14, 15)
    } catch { /* exited meanwhile */ }
  }
  return { ctxSwitches: ctx, cpuTicks: ticks, tids };
}

export interface CoreTimes { busy: number; iowait: number; total: number }

/** One core's times from /proc/stat (in ticks); iowait share = Δiowait/Δtotal. */
export function coreTimes(core: number, statText = readFileSync("/proc/stat", "utf8")): CoreTimes | null {
  const line = statText.split("\n").find((l) => l.startsWith(`cpu${core} `));
  if (!line) return null;
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.split(/\s+/).slice(1).map(Number);
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, iowait, total: busy + idle + iowait };
}

/** The TcpExt counters of a /proc/net/netstat text (a network namespace's own), by name: e.g. ListenDrops, the
 *  connections its listening sockets dropped because the accept queue was full or a SYN could not be answered. */
export function tcpExtCounters(netstatText: string): Record<string, number> {
  const lines = netstatText.split("\n").filter((l) => l.startsWith("TcpExt:"));
  if (lines.length < 2) return {};
  const names = lines[0].split(/\s+/).slice(1), values = lines[1].split(/\s+/).slice(1).map(Number);
  return Object.fromEntries(names.map((n, i) => [n, values[i]]).filter(([, x]) => Number.isFinite(x)));
}
