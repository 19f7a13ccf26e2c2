// The page cache's state at each point's start, produced by the workload itself: the file set evicted, then a prefix
// of the same kind of request stream the point runs replayed through the server host's page cache (the disk's delay
// off, so it takes seconds), long enough that the kernel's replacement has forgotten the empty start. A point thus
// starts from the same kind of state whatever ran before it; its own warm-up then runs on top of that.
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { characteristicRequests, replayPrefix } from "../workload/footprint.ts";
import { Rng } from "../workload/random.ts";
import { FILES_PER_DIR, fileIdPath } from "../workload/sessions.ts";
import { run } from "../lib/proc.ts";
import type { Bed } from "./bed.ts";

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), "../lib/page-cache.py");

/** The prefix spans this many characteristic times of a cache as large as the server's memory: a file's presence
 *  then depends on the prefix's requests, not on the empty cache it started from (e⁻⁴ ≈ 2% of the memory's worth
 *  of files would still be placed by the start under LRU). */
export const PREFIX_CHARACTERISTIC_TIMES = 4;
/** With no memory limit (loopback) or a file set that fits in it, every file the stream reaches stays cached:
 *  this many requests per file of the set reach almost all of them. */
const REQUESTS_PER_FILE_WHEN_IT_FITS = 100;
/** The random stream of a point's seed that draws its prefix (streams 0… draw its session logs). */
export const PREFIX_STREAM = 1000;

/** Requests of the stream whose elided prefix is replayed before a point. */
export function prefixRequests(dirs: number, memoryBytes: number | null): number {
  const t = memoryBytes === null ? Infinity : characteristicRequests(dirs, memoryBytes);
  return Number.isFinite(t) ? Math.ceil(PREFIX_CHARACTERISTIC_TIMES * t) : REQUESTS_PER_FILE_WHEN_IT_FITS * dirs * FILES_PER_DIR;
}

/** What preparing one point's page cache did (raw/<point>/page-cache.json). */
export interface PreparedCache {
  prefix_requests: number;              // the stream's length
  files_read: number;                   // reads of whole files that replayed it (each file's last two accesses)
  disk_reads: number | null;            // the disk's reads while replaying (misses of the prefix)
  page_cache_bytes: number | null;      // the server's page cache when the point starts
  took_s: number;
}

export interface PageCache {
  /** The rule, for run.json. */
  describe(): Record<string, unknown>;
  /** Evicts the file set and replays the prefix drawn from `seed`; then restores the disk's scale k. */
  prepare(seed: number, k: number): Promise<PreparedCache>;
}

/** The page cache of a run's file set. Reading happens in the server host, through the root the server is given
 *  (the latency disk's mount on the emulated testbed), so the pages are the ones the server will find, charged to
 *  its memory cgroup, and placed by the kernel's own replacement. */
export function pageCache(bed: Bed, root: string, dirs: number, scratch: string, log: (m: string) => void): PageCache {
  const memory = bed.cfg.kind === "loopback" ? null : bed.cfg.server.memoryLimitBytes;
  const requests = prefixRequests(dirs, memory);
  const listing = join(scratch, "page-cache-prefix.txt");
  const python = async (argv: string[], what: string) => {
    const r = await run(bed.hostCommand("server", ["python3", SCRIPT, ...argv]), 1_800_000);
    if (r.code !== 0) throw new Error(`${what} failed: ${r.stderr.trim()}`);
  };
  return {
    describe: () => ({
      state: "per point: the file set evicted, then an elided prefix of the point's kind of request stream replayed in the server host",
      prefix_requests: requests, prefix_characteristic_times: PREFIX_CHARACTERISTIC_TIMES, memory_bytes: memory,
    }),
    async prepare(seed, k) {
      const started = Date.now();
      const files = replayPrefix(dirs, requests, new Rng(seed, PREFIX_STREAM));
      writeFileSync(listing, Array.from(files, fileIdPath).join("\n") + "\n");
      await bed.unthrottleDisk();
      const served = await bed.serveRoot(root, log);
      await python(["evict", served], "evicting the file set");
      const before = await bed.diskStats();
      await python(["read", served, listing], "replaying the page cache's prefix");
      const after = await bed.diskStats();
      await bed.scaleDisk(k);
      return { prefix_requests: requests, files_read: files.length, disk_reads: before && after ? after.reads - before.reads : null,
        page_cache_bytes: (await bed.cgroupStats())?.pageCacheBytes ?? null, took_s: (Date.now() - started) / 1000 };
    },
  };
}
