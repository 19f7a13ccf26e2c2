// The runner's view of the testbed (env/lib/testbed.ts): hosts, commands on them, the server core, its cgroup counters,
// and the server's disk (the latency disk on the emulated testbed, a blkio throttle over ssh).
import * as env from "../../env/lib/testbed.ts";
import { report, hostRlimits, hardFdLimit } from "../../env/lib/report.ts";
import { checkK, testbedDisk } from "./scale.ts";

/** Cumulative counters of the server's disk. */
export interface DiskCounters {
  reads: number;
  readBytes: number;
  busyNs: number | null;        // sum of service times (latency disk); null where the disk does not say
  seeks: number | null;         // reads that did not continue the previous one (≈ files missed); null where unknown
}

export interface Bed {
  cfg: env.Config;
  kind: env.Config["kind"];
  clientHosts: string[];
  /** the core the server runs on (for perf -C and its iowait), or null when it is not confined */
  serverCore: number | null;
  /** cores the client hosts share between them (the union of their cpusets), or undefined when not confined */
  clientCores: number | undefined;
  hostCommand(host: string, argv: string[]): string[];
  /** address client host i (0-based) uses to reach the server */
  serverAddress(i: number): string;
  /** cumulative cgroup counters of the server host, or null where there are no cgroups (loopback) */
  cgroupStats(): Promise<env.CgroupStats | null>;
  /** fraction of one core the server may use (1 when there is no quota) */
  quota: number;
  /** the smallest quota the CFS period allows (the kernel's minimum is 1 ms a period) */
  minQuota: number;
  setQuota(fraction: number): Promise<void>;
  /** the document root servers get for the file set `root`: its latency-disk mount on the emulated testbed (mounted
   *  on first use, with the disk's current scale; `log` hears how the start goes), the file set itself elsewhere */
  serveRoot(root: string, log?: (m: string) => void): Promise<string>;
  /** applies k to the disk: the latency disk's service times are divided by k (emulated), the blkio budget
   *  multiplied by k (ssh with a throttle); returns what the disk now does, or null when there is nothing to scale */
  scaleDisk(k: number): Promise<Record<string, number | null> | null>;
  /** the disk without its delay or throttle (for setting up the page cache, which is not part of any measurement) */
  unthrottleDisk(): Promise<void>;
  /** cumulative counters of the server's disk, or null where there are none */
  diskStats(): Promise<DiskCounters | null>;
  /** the hard limit on open descriptors of a process on the server host (what a server may raise its own to) */
  serverFdLimit(): Promise<number>;
  report(): Promise<Record<string, unknown>>;
  up(log: (m: string) => void): Promise<string>;
  down(log: (m: string) => void): Promise<string>;
}

export function openBed(hostsFile?: string): Bed {
  const cfg = env.loadConfig(hostsFile);
  const hasCgroups = cfg.kind !== "loopback";
  const core = /^\d+/.exec(cfg.server.cpus ?? "")?.[0];
  const latencyDisk = cfg.kind === "emulated" && cfg.server.diskModel !== null;
  const throttle = hasCgroups ? cfg.server.disk : null;
  // The latency disk's scale (null = no delay), kept here so that a disk mounted later gets it too.
  let diskScale: number | null = 1;
  async function applyScale() {
    if (await env.serverDiskStats(cfg)) await env.setServerDiskScale(cfg, diskScale); // else serveRoot applies it on mounting
  }
  let fdLimit: Promise<number> | undefined;
  const bed: Bed = {
    cfg,
    kind: cfg.kind,
    clientHosts: cfg.clients.map((c) => c.name),
    serverCore: core === undefined ? null : Number(core),
    clientCores: cfg.clients.every((c) => c.cpus) ? cpuCount(cfg.clients.map((c) => c.cpus as string)) : undefined,
    hostCommand: (host, argv) => env.hostCommand(cfg, host, argv),
    serverAddress: (i) => env.serverAddress(cfg, i + 1),
    cgroupStats: async () => (hasCgroups ? env.serverCgroupStats(cfg) : null),
    quota: hasCgroups ? cfg.server.cpuQuota : 1,
    minQuota: hasCgroups ? env.minQuotaFraction(cfg) : 1,
    async setQuota(fraction) {
      if (!hasCgroups) throw new Error(`the ${cfg.kind} testbed has no CPU quota to set (use the emulated testbed)`);
      await env.setServerCpuQuota(cfg, fraction);
      bed.quota = fraction;
    },
    async serveRoot(root, log) {
      const served = await env.mountServerDisk(cfg, root, log);
      if (latencyDisk) await applyScale();
      return served;
    },
    async scaleDisk(k) {
      if (latencyDisk) {
        diskScale = checkK(k);
        await applyScale();
        return { scale: diskScale, ...cfg.server.diskModel! };
      }
      if (!throttle || (throttle.readIops === null && throttle.readBps === null)) return null;
      const limits = testbedDisk(throttle, k);
      await env.setServerDiskThrottle(cfg, limits);
      return limits;
    },
    async unthrottleDisk() {
      if (latencyDisk) {
        diskScale = null;
        await applyScale();
      } else if (throttle) await env.setServerDiskThrottle(cfg, { readIops: null, readBps: null });
    },
    async diskStats() {
      if (latencyDisk) {
        const d = await env.serverDiskStats(cfg);
        return d && { reads: d.reads, readBytes: d.bytes, busyNs: d.busy_ns, seeks: d.seeks };
      }
      if (!throttle) return null;
      const g = await env.serverCgroupStats(cfg);
      return { reads: g.diskReads, readBytes: g.diskReadBytes, busyNs: null, seeks: null };
    },
    serverFdLimit: () => (fdLimit ??= hostRlimits(cfg, "server").then(hardFdLimit)), // a fact of the host: read once, not before every point
    report: () => report(cfg),
    up: (log) => env.up(cfg, { log }),
    down: (log) => env.down(cfg, { log }),
  };
  return bed;
}

/** Number of distinct cpus in cpu lists such as "0-1,3". */
export function cpuCount(lists: string[]): number {
  const cpus = new Set<number>();
  for (const list of lists) for (const part of list.split(",")) {
    const [a, b] = part.split("-").map(Number);
    for (let c = a; c <= (b ?? a); c++) cpus.add(c);
  }
  return cpus.size;
}
