// The page cache's state at the start of a run: the file set evicted, then its most-requested files read in the
// server host (charged to its memory cgroup) up to a share of its memory — the cache a long run of this workload keeps;
// and before each point, the same files read again if what ran before left the cache well below that.
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CLASS_MIX, FILE_MIX, SIZE_TABLE, filePath } from "../../lib/specweb.ts";
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

/** Share of the warmed page cache below which a point starts by reading the warm set again. */
export const TOP_UP_SHARE = 0.9;

/** Whether a point should start by reading the warm set again: the server's page cache holds less than TOP_UP_SHARE
 *  of what the warm-up left (a server with a large application cache, such as knot-c's, squeezes the page cache
 *  inside the memory cgroup, and a slow disk refills it slower than a point's warm-up). */
export function needsTopUp(pageCacheBytes: number | null, warmedBytes: number | null): boolean {
  return pageCacheBytes !== null && warmedBytes !== null && warmedBytes > 0 && pageCacheBytes < TOP_UP_SHARE * warmedBytes;
}

export interface PageCache {
  /** Evicts the file set, then reads its warm set; returns what was done, for run.json. */
  prepare(): Promise<Record<string, unknown>>;
  /** Before a point: reads the warm set again when needsTopUp; returns what was done, or null. Points thus start from
   *  the same cache whatever ran before them, as the paper's lines do not depend on the order they were run in. */
  topUp(k: number): Promise<Record<string, number | null> | null>;
}

/** The page cache of a run's file set. Reading happens in the server host with the disk at full speed (this is
 *  set-up, not measurement; the disk's scale k is applied again afterwards) and through the root the server is
 *  given (the latency disk's mount on the emulated testbed), so the pages are the ones the server will find,
 *  charged to its memory cgroup. */
export function pageCache(bed: Bed, root: string, dirs: number, scratch: string, log: (m: string) => void): PageCache {
  const limit = bed.cfg.kind === "loopback" ? null : bed.cfg.server.memoryLimitBytes;
  const budget = limit === null ? Infinity : WARM_SHARE * limit;
  const files = warmSet(dirs, budget);
  const listing = join(scratch, "warm-set.txt");
  writeFileSync(listing, files.join("\n") + "\n");
  let warmed: number | null = null;
  const readWarmSet = async (served: string) => {
    const rd = await run(bed.hostCommand("server", ["python3", SCRIPT, "read", served, listing]), 1_800_000);
    if (rd.code !== 0) throw new Error(`warming the page cache failed: ${rd.stderr.trim()}`);
    return (await bed.cgroupStats())?.pageCacheBytes ?? null;
  };
  return {
    async prepare() {
      const started = Date.now();
      await bed.unthrottleDisk();
      const served = await bed.serveRoot(root);
      const ev = await run(bed.hostCommand("server", ["python3", SCRIPT, "evict", served]), 600_000);
      if (ev.code !== 0) throw new Error(`evicting the file set failed: ${ev.stderr.trim()}`);
      log(`page cache: file set evicted; reading its ${files.length} most-requested files in the server host`);
      warmed = await readWarmSet(served);
      return { state: "evicted, then the most-requested files read in the server host", files: files.length,
        budget_bytes: Number.isFinite(budget) ? budget : null, server_page_cache_bytes: warmed,
        top_up_below_bytes: warmed === null ? null : Math.round(TOP_UP_SHARE * warmed),
        took_s: Math.round((Date.now() - started) / 1000) };
    },
    async topUp(k) {
      const before = (await bed.cgroupStats())?.pageCacheBytes ?? null;
      if (!needsTopUp(before, warmed)) return null;
      const started = Date.now();
      await bed.unthrottleDisk();
      const after = await readWarmSet(await bed.serveRoot(root));
      await bed.scaleDisk(k);
      const took = Math.round((Date.now() - started) / 1000);
      const mib = (b: number | null) => (b === null ? "?" : `${Math.round(b / 2 ** 20)} MiB`);
      log(`  page cache ${mib(before)} < ${TOP_UP_SHARE} of the warmed ${mib(warmed)}: warm set read again (${mib(after)}, ${took} s)`);
      return { before_bytes: before, warmed_bytes: warmed, after_bytes: after, took_s: took };
    },
  };
}
