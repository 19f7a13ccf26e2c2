// The runner's view of the testbed (env/lib/testbed.ts): hosts, commands on them, the server core, its cgroup counters.
import * as env from "../../env/lib/testbed.ts";
import { testbedDisk } from "./scale.ts";

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
  setQuota(fraction: number): Promise<void>;
  /** applies k to the disk's I/O budget (emulated and ssh testbeds with a disk throttle) */
  scaleDisk(k: number): Promise<Record<string, number | null> | null>;
  /** lifts the disk throttle (for setting up the page cache, which is not part of any measurement) */
  unthrottleDisk(): Promise<void>;
  report(): Promise<Record<string, unknown>>;
  up(log: (m: string) => void): Promise<string>;
  down(log: (m: string) => void): Promise<string>;
}

export function openBed(hostsFile?: string): Bed {
  const cfg = env.loadConfig(hostsFile);
  const hasCgroups = cfg.kind !== "loopback";
  const core = /^\d+/.exec(cfg.server.cpus ?? "")?.[0];
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
    async setQuota(fraction) {
      if (!hasCgroups) throw new Error(`the ${cfg.kind} testbed has no CPU quota to set (use the emulated testbed)`);
      await env.setServerCpuQuota(cfg, fraction);
      bed.quota = fraction;
    },
    async scaleDisk(k) {
      const disk = cfg.server.disk;
      if (!hasCgroups || !disk || (disk.readIops === null && disk.readBps === null)) return null;
      const limits = testbedDisk(disk, k);
      await env.setServerDiskThrottle(cfg, limits);
      return limits;
    },
    async unthrottleDisk() {
      if (hasCgroups && cfg.server.disk) await env.setServerDiskThrottle(cfg, { readIops: null, readBps: null });
    },
    report: () => env.report(cfg),
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
