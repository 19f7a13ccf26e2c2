// The VM's proactive reclaim must not shrink the server's page cache. This machine (a Firecracker guest) runs DAMON
// with a "pageout" scheme: file pages not accessed for about a minute are written out, whatever memory cgroup holds
// them. The paper's server kept 2 GB of page cache under an LRU; ours kept ~0.8–1 GB of its 2 GiB limit however much
// we pre-read (measured: the server cgroup's usage at 0.83 GB, far below its limit, with DAMON's pageout counter at
// 23 GB since boot). So while the testbed is up, each such scheme gets one more filter, first in its list: pages of
// the server's memory cgroup are not paged out. Everything else on the machine is reclaimed as before, and `down`
// removes the filter. Nothing is done where DAMON is absent or idle.
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const KDAMONDS = "/sys/kernel/mm/damon/admin/kdamonds";
/** A filter's settings, in the order they are written back (type first: it decides which other fields apply). */
const FIELDS = ["type", "matching", "allow", "memcg_path", "addr_start", "addr_end", "min", "max", "damon_target_idx"];

type Filter = Record<string, string>;

const read = (p: string) => readFileSync(p, "utf8").trim();

/** Every pageout scheme of a running kdamond: its kdamond folder and its filter folder. */
function pageoutSchemes(): Array<{ kdamond: string; filters: string }> {
  if (!existsSync(KDAMONDS)) return [];
  const out = [];
  for (const k of readdirSync(KDAMONDS).filter((d) => /^\d+$/.test(d))) {
    const kdamond = join(KDAMONDS, k);
    if (read(join(kdamond, "state")) !== "on") continue;
    for (const c of readdirSync(join(kdamond, "contexts")).filter((d) => /^\d+$/.test(d))) {
      const schemes = join(kdamond, "contexts", c, "schemes");
      for (const s of readdirSync(schemes).filter((d) => /^\d+$/.test(d))) {
        if (read(join(schemes, s, "action")) !== "pageout") continue;
        // memcg filters are applied by the operations layer (ops_filters); older kernels have one list (filters)
        const filters = ["ops_filters", "filters"].map((f) => join(schemes, s, f)).find((f) => existsSync(f));
        if (filters) out.push({ kdamond, filters });
      }
    }
  }
  return out;
}

function readFilters(dir: string): Filter[] {
  const n = Number(read(join(dir, "nr_filters")));
  return Array.from({ length: n }, (_, i) =>
    Object.fromEntries(FIELDS.filter((f) => existsSync(join(dir, String(i), f))).map((f) => [f, read(join(dir, String(i), f))])));
}

/** Rewrites a scheme's filter list (setting nr_filters recreates every filter folder empty) and applies it. */
function writeFilters(kdamond: string, dir: string, filters: Filter[]): void {
  writeFileSync(join(dir, "nr_filters"), String(filters.length));
  filters.forEach((f, i) => {
    for (const field of FIELDS) if (field in f) writeFileSync(join(dir, String(i), field), f[field]);
  });
  writeFileSync(join(kdamond, "state"), "commit");
}

/** memcg_path as DAMON reads it: the memory cgroup's path from the hierarchy's root, e.g. /webarch/server. */
const isOurs = (f: Filter, memcgPath: string) => f.type === "memcg" && f.memcg_path === memcgPath;

/** Keeps DAMON's pageout off the memory cgroup at `memcgPath` (it must exist). Returns how many schemes now skip it. */
export function protectFromReclaim(memcgPath: string): number {
  let n = 0;
  for (const { kdamond, filters } of pageoutSchemes()) {
    const list = readFilters(filters);
    if (!list.some((f) => isOurs(f, memcgPath))) {
      const mine = { type: "memcg", memcg_path: memcgPath, matching: "Y", allow: "N" };
      try {
        writeFilters(kdamond, filters, [mine, ...list]);
      } catch (e) {
        writeFilters(kdamond, filters, list); // leave the scheme as it was
        throw new Error(`could not exclude ${memcgPath} from DAMON's pageout (${filters}): ${(e as Error).message}`);
      }
    }
    n++;
  }
  return n;
}

/** Removes what protectFromReclaim added for `memcgPath` (a no-op when there is nothing to remove). */
export function unprotectFromReclaim(memcgPath: string): number {
  let n = 0;
  for (const { kdamond, filters } of pageoutSchemes()) {
    const list = readFilters(filters);
    const rest = list.filter((f) => !isOurs(f, memcgPath));
    if (rest.length === list.length) continue;
    writeFilters(kdamond, filters, rest);
    n++;
  }
  return n;
}

/** The memcg filters currently in DAMON's pageout schemes (for reports and tests). */
export function reclaimExclusions(): string[] {
  return pageoutSchemes().flatMap(({ filters }) => readFilters(filters).filter((f) => f.type === "memcg" && f.allow === "N").map((f) => f.memcg_path));
}
