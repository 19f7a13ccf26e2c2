// The page cache's state at the start of a run: the file set evicted, then its most-requested files read in the
// server host (charged to its memory cgroup) up to a share of its memory — the cache a long run of this workload keeps.
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CLASS_MIX, FILE_MIX, SIZE_TABLE, filePath } from "../workload/specweb.ts";
import { run } from "../lib/proc.ts";
import type { Bed } from "./bed.ts";

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), "../lib/page-cache.py");
/** Share of the server's memory limit filled with file pages; the rest is left to the servers themselves. */
export const WARM_SHARE = 0.85;

/** Files by the probability that a request asks for them (directories Zipf α=1, classes and files by SPECweb99's mix). */
export function popularityOrder(dirs: number): Array<{ path: string; size: number; p: number }> {
  const h = Array.from({ length: dirs }, (_, d) => 1 / (d + 1)).reduce((a, b) => a + b, 0);
  const fileSum = FILE_MIX.reduce((a, b) => a + b, 0);
  const files = [];
  for (let d = 0; d < dirs; d++) {
    for (const { cls, index, size } of SIZE_TABLE) {
      files.push({ path: filePath(d, cls, index), size, p: (1 / (d + 1) / h) * CLASS_MIX[cls] * (FILE_MIX[index] / fileSum) });
    }
  }
  return files.sort((a, b) => b.p - a.p);
}

/** The most popular files whose sizes add up to at most `budget` bytes. */
export function warmSet(dirs: number, budget: number): string[] {
  const out: string[] = [];
  let bytes = 0;
  for (const f of popularityOrder(dirs)) {
    if (bytes + f.size > budget) continue; // a big file that no longer fits; smaller, less popular ones may
    bytes += f.size;
    out.push(f.path);
  }
  return out;
}

/** Evicts the file set, then reads its warm set in the server host with the disk at full speed (this is set-up, not
 *  measurement; the caller applies the run's disk scale afterwards). Both go through the root the server is given
 *  (the latency disk's mount on the emulated testbed), so the pages are the ones the server will find, charged to
 *  its memory cgroup. Returns what was done, for run.json. */
export async function prepareCache(bed: Bed, root: string, dirs: number, scratch: string, log: (m: string) => void) {
  const started = Date.now();
  await bed.unthrottleDisk();
  const served = await bed.serveRoot(root);
  const ev = await run(bed.hostCommand("server", ["python3", SCRIPT, "evict", served]), 600_000);
  if (ev.code !== 0) throw new Error(`evicting the file set failed: ${ev.stderr.trim()}`);
  const limit = bed.cfg.kind === "loopback" ? null : bed.cfg.server.memoryLimitBytes;
  const budget = limit === null ? Infinity : WARM_SHARE * limit;
  const files = warmSet(dirs, budget);
  const listing = join(scratch, "warm-set.txt");
  writeFileSync(listing, files.join("\n") + "\n");
  log(`page cache: file set evicted; reading its ${files.length} most-requested files in the server host`);
  const rd = await run(bed.hostCommand("server", ["python3", SCRIPT, "read", served, listing]), 1_800_000);
  if (rd.code !== 0) throw new Error(`warming the page cache failed: ${rd.stderr.trim()}`);
  const g = await bed.cgroupStats();
  return { state: "evicted, then the most-requested files read in the server host", files: files.length,
    budget_bytes: Number.isFinite(budget) ? budget : null, server_page_cache_bytes: g?.pageCacheBytes ?? null,
    took_s: Math.round((Date.now() - started) / 1000) };
}
