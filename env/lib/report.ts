// The testbed report every result carries: the machine, and the limits and settings read back from the kernel.
import { existsSync, readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { release } from "node:os";
import { join } from "node:path";
import si from "systeminformation";
import type { Config } from "./config.ts";
import { hostCgroupDirs } from "./cgroups.ts";
import { run } from "./exec.ts";
import { hostCommand, hosts, namespaceOf, readFiles, serverDiskStats, status } from "./testbed.ts";

// Per-namespace network sysctls that shape a server under connection load (recorded whether set or not).
const NET_SYSCTLS = [
  "net.core.somaxconn", "net.ipv4.tcp_max_syn_backlog", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_tw_reuse",
  "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_syncookies", "net.ipv4.tcp_max_tw_buckets", "net.ipv4.tcp_rmem",
  "net.ipv4.tcp_wmem", "net.ipv4.tcp_congestion_control", "net.ipv4.tcp_abort_on_overflow",
];
// Machine-wide sysctls (not per namespace) that bound descriptors, processes and the receive backlog.
const GLOBAL_SYSCTLS = [
  "fs.file-max", "fs.nr_open", "kernel.pid_max", "kernel.threads-max", "vm.max_map_count", "vm.swappiness",
  "net.core.netdev_max_backlog", "net.core.rmem_max", "net.core.wmem_max", "kernel.sched_autogroup_enabled",
];

const LESS_FAITHFUL = [
  "loopback testbed: no namespaces or links; clients and server share the host's loopback device",
  "no CPU quota: the server runs at full speed of its core (taskset only pins it)",
  "no memory limit: the file set may sit entirely in page cache",
  "no disk model: the file set is read at the speed of this machine's page cache and disk",
  "no per-host sysctls; receive processing is not steered per host",
];

/** Builds the JSON report of the machine and the testbed (read back from the kernel, not from the hosts file). */
export async function report(cfg: Config): Promise<Record<string, unknown>> {
  const st = await status(cfg);
  return {
    schema: "webarch-testbed-report/1",
    generatedAt: new Date().toISOString(),
    kind: cfg.kind,
    faithful: cfg.kind !== "loopback",
    caveats: cfg.kind === "loopback" ? LESS_FAITHFUL : [],
    hostsFile: cfg.source,
    config: cfg,
    status: st,
    testbed: st.up ? await testbedFacts(cfg) : null,
    machine: await machineFacts(cfg),
  };
}

async function testbedFacts(cfg: Config): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  if (cfg.kind === "loopback") {
    for (const h of hosts(cfg)) out[h] = { cores: h === "server" ? cfg.server.cpus : cfg.clients.find((c) => c.name === h)?.cpus, pinnedWith: "taskset" };
    return out;
  }
  const d = hostCgroupDirs(cfg, "server");
  const disk = cfg.server.disk;
  const [cpus, quota, period, mem, iops, bps] = await readFiles(cfg, "server", [
    join(d.cpuset as string, "cpuset.cpus"), join(d.cpu as string, "cpu.cfs_quota_us"), join(d.cpu as string, "cpu.cfs_period_us"),
    join(d.memory as string, "memory.limit_in_bytes"), join(d.blkio as string, "blkio.throttle.read_iops_device"), join(d.blkio as string, "blkio.throttle.read_bps_device"),
  ]);
  const deviceLimit = (text: string) => (disk ? Number(text.split("\n").find((l) => l.startsWith(disk.device + " "))?.split(" ")[1] ?? 0) || null : null);
  out.server = {
    cores: cpus,
    cpuQuota: { quotaUs: Number(quota), periodUs: Number(period), fractionOfCore: Number(quota) > 0 ? Number(quota) / Number(period) : 1 },
    memoryLimitBytes: Number(mem),
    diskThrottle: disk ? { device: disk.device, readIops: deviceLimit(iops), readBps: deviceLimit(bps) } : null,
    latencyDisk: cfg.server.diskModel ? { model: cfg.server.diskModel, daemon: await serverDiskStats(cfg) } : null,
    cgroups: d,
    sysctls: await hostSysctls(cfg, "server"),
    rlimits: await hostRlimits(cfg, "server"),
  };
  for (const c of cfg.clients) {
    const cd = hostCgroupDirs(cfg, c.name);
    out[c.name] = {
      cores: cd.cpuset ? (await readFiles(cfg, c.name, [join(cd.cpuset, "cpuset.cpus")]))[0] : null,
      address: c.address,
      serverAddress: c.serverAddress,
      cgroups: cd,
      sysctls: await hostSysctls(cfg, c.name),
    };
  }
  if (cfg.kind === "emulated") out.receive = await receivePaths(cfg);
  return out;
}

/** Current values of the recorded sysctls as seen from inside a host. */
async function hostSysctls(cfg: Config, host: string): Promise<Record<string, string>> {
  const set = host === "server" ? cfg.server.sysctls : (cfg.clients.find((c) => c.name === host)?.sysctls ?? {});
  const names = [...new Set([...NET_SYSCTLS, ...Object.keys(set)])];
  const lines = (await run(hostCommand(cfg, host, ["sysctl", "-e", ...names]))).trim().split("\n");
  return Object.fromEntries(lines.map((l) => l.split(" = ")).filter((kv) => kv.length === 2).map(([k, v]) => [k, v.replace(/\t/g, " ")]));
}

/** How every veth end receives (threaded NAPI, RPS mask, offloads), and the receive threads in each host's cgroups. */
async function receivePaths(cfg: Config): Promise<{ ends: Record<string, Record<string, string | null>>; threads: Record<string, string[]> }> {
  const ends: Record<string, Record<string, string | null>> = {};
  const threads: Record<string, string[]> = {};
  for (const [k, c] of cfg.clients.entries()) {
    for (const [host, dev] of [["server", `${cfg.prefix}s${k + 1}`], [c.name, `${cfg.prefix}c${k + 1}`]]) {
      const inNs = (argv: string[]) => run(["ip", "netns", "exec", namespaceOf(cfg, host), ...argv]);
      const features = await inNs(["ethtool", "-k", dev]);
      const feature = (name: string) => features.match(new RegExp(`^${name}: (\\w+)`, "m"))?.[1] ?? null;
      ends[dev] = {
        threaded: (await inNs(["cat", `/sys/class/net/${dev}/threaded`])).trim(),
        rpsCpus: (await inNs(["cat", `/sys/class/net/${dev}/queues/rx-0/rps_cpus`])).trim(),
        gro: feature("generic-receive-offload"), tso: feature("tcp-segmentation-offload"),
      };
    }
  }
  for (const h of hosts(cfg)) {
    const cpuacct = hostCgroupDirs(cfg, h).cpuacct;
    if (!cpuacct) continue;
    const pids = readFileSync(join(cpuacct, "cgroup.procs"), "utf8").split("\n").filter(Boolean);
    threads[h] = pids.map((p) => { try { return readFileSync(`/proc/${p}/comm`, "utf8").trim(); } catch { return ""; } }).filter((n) => n.startsWith("napi/"));
  }
  return { ends, threads };
}

// Kernel options that change what the emulation measures: timer tick, preemption, whether IRQ time is charged to tasks.
function kernelConfig(): Record<string, string> | null {
  if (!existsSync("/proc/config.gz")) return null;
  const text = gunzipSync(readFileSync("/proc/config.gz")).toString();
  const keys = ["CONFIG_HZ", "CONFIG_PREEMPT_DYNAMIC", "CONFIG_PREEMPT_NONE", "CONFIG_PREEMPT_VOLUNTARY", "CONFIG_PREEMPT", "CONFIG_IRQ_TIME_ACCOUNTING", "CONFIG_CFS_BANDWIDTH", "CONFIG_RPS"];
  return Object.fromEntries(keys.map((k) => [k, text.match(new RegExp(`^${k}=(.*)$`, "m"))?.[1] ?? "n"]));
}

/** A host's resource limits, as a process started there by hostCommand has them. */
export async function hostRlimits(cfg: Config, host: string): Promise<Record<string, { soft: string; hard: string; units: string }>> {
  return parseLimits(await run(hostCommand(cfg, host, ["cat", "/proc/self/limits"])));
}

/** This process's own limits: what a dry run, which has no testbed to ask, can know. */
export function ownRlimits(): Record<string, { soft: string; hard: string; units: string }> {
  return parseLimits(readFileSync("/proc/self/limits", "utf8"));
}

/** The hard limit on open descriptors in a host's limits (our servers and nginx raise their soft limit to it). */
export function hardFdLimit(limits: Record<string, { hard: string }>): number {
  const hard = limits["Max open files"]?.hard;
  const n = Number(hard);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`the descriptor limit is "${hard}", not a number`);
  return n;
}

function parseLimits(text: string): Record<string, { soft: string; hard: string; units: string }> {
  const out: Record<string, { soft: string; hard: string; units: string }> = {};
  for (const line of text.split("\n").slice(1)) {
    const m = line.match(/^(.+?)\s{2,}(\S+)\s+(\S+)\s*(\S*)\s*$/);
    if (m) out[m[1].trim()] = { soft: m[2], hard: m[3], units: m[4] };
  }
  return out;
}

/** Facts about the machine(s): systeminformation locally; a few commands per host over ssh. */
async function machineFacts(cfg: Config): Promise<Record<string, unknown>> {
  if (cfg.kind === "ssh") {
    const out: Record<string, unknown> = {};
    for (const h of hosts(cfg)) {
      const [kernel, cores, model, mem] = (await run(hostCommand(cfg, h, ["sh", "-c", 'uname -r; nproc; grep -m1 "model name" /proc/cpuinfo | cut -d: -f2; grep MemTotal /proc/meminfo']))).trim().split("\n");
      out[h] = { kernel, cores: Number(cores), cpuModel: model?.trim(), memTotal: mem?.replace(/^MemTotal:\s*/, "") };
    }
    return out;
  }
  const [cpu, mem, os, disks] = await Promise.all([si.cpu(), si.mem(), si.osInfo(), si.blockDevices()]);
  const globals = (await run(["sysctl", "-e", ...GLOBAL_SYSCTLS])).trim().split("\n").map((l) => l.split(" = "));
  return {
    cpu: { manufacturer: cpu.manufacturer, brand: cpu.brand, model: cpu.model, speedGHz: cpu.speed, cores: cpu.cores, physicalCores: cpu.physicalCores, cache: cpu.cache, virtualization: cpu.virtualization },
    cpuModelName: readFileSync("/proc/cpuinfo", "utf8").match(/^model name\s*:\s*(.*)$/m)?.[1] ?? null,
    memory: { totalBytes: mem.total, swapTotalBytes: mem.swaptotal },
    disks: disks.filter((b) => b.type === "disk" && b.size > 0).map((b) => ({ name: b.name, sizeBytes: b.size, physical: b.physical, model: b.model, mount: b.mount })),
    os: { distro: os.distro, release: os.release, kernel: os.kernel, arch: os.arch },
    kernelRelease: release(),
    kernelConfig: kernelConfig(),
    sysctls: Object.fromEntries(globals.filter((kv) => kv.length === 2).map(([k, v]) => [k, v.replace(/\t/g, " ")])),
    rlimits: parseLimits(readFileSync("/proc/self/limits", "utf8")),
  };
}
