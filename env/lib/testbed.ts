// The testbed: bring hosts up and down, run a command "on host X", set and read the server's limits.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import type { Config } from "./config.ts";
import { type Controller, controllerMounts, hostCgroupDirs, hostControllers, parentDirs } from "./cgroups.ts";
import { diskCommand, diskRunning, readDiskState, startDisk, stopDisk, type DiskModel, type DiskStats } from "../../lib/latency-disk.ts";
import { protectFromReclaim, unprotectFromReclaim } from "./reclaim.ts";
import { AbortError, type Action, type ExecOptions, localArgv, run, runPlan, sshArgv } from "./exec.ts";

export { loadConfig, parseConfig, DEFAULT_HOSTS_FILE, type Config } from "./config.ts";
export type { ExecOptions } from "./exec.ts";
export type { DiskStats } from "../../lib/latency-disk.ts";

// Shell snippets, each run with its arguments as "$@" so that nothing is interpolated into the script text.
const SH_WRITE = 'printf "%s\\n" "$1" > "$2"';
const SH_COPY_PARENT_CPUSET = 'for f in cpuset.cpus cpuset.mems; do cat "$1/../$f" > "$1/$f" || exit 1; done';
const SH_COPY_PARENT_MEMS = 'cat "$1/../cpuset.mems" > "$1/cpuset.mems"';
// Gives a veth end ($2, in namespace $1) a receive thread of its own (threaded NAPI; veth uses NAPI once GRO is on, and
// hands TCP to it only from a sender without TSO) and no RPS to move that work elsewhere, then moves the thread into
// the cgroups whose cgroup.procs files follow. The thread is the one that appeared: its name is cut to 15 characters.
const SH_THREADED_RX = [
  'ns=$1; dev=$2; shift 2',
  'napi() { for c in /proc/[0-9]*/comm; do read -r n < "$c" 2>/dev/null && case $n in napi/*) p=${c#/proc/}; echo "${p%/comm}";; esac; done; }',
  'old=" $(napi | tr "\\n" " ")"',
  `ip netns exec "$ns" sh -c 'echo 1 > /sys/class/net/"$1"/threaded && for q in /sys/class/net/"$1"/queues/rx-*; do echo 0 > "$q/rps_cpus" || exit 1; done' sh "$dev" || exit 1`,
  'n=0; for p in $(napi); do case "$old " in *" $p "*) ;; *) for f; do echo "$p" > "$f" || exit 1; done; n=$((n+1));; esac; done',
  '[ $n -gt 0 ] || { echo "$dev: no receive thread appeared" >&2; exit 1; }',
].join("; ");
// Moves every kernel thread (no executable) in the given cgroup.procs files back to its hierarchy's root (argument
// pairs: the root's cgroup.procs, the host's).
const SH_RELEASE_KTHREADS = 'while [ $# -gt 1 ]; do for p in $(cat "$2" 2>/dev/null); do readlink "/proc/$p/exe" >/dev/null 2>&1 || echo "$p" > "$1" 2>/dev/null; done; shift 2; done; exit 0';
const SH_MKDIR = 'for d; do [ -d "$d" ] || mkdir "$d" || exit 1; done';
const SH_RMDIR = 'for d; do [ ! -d "$d" ] || rmdir "$d" || exit 1; done';
const SH_RMDIR_IF_EMPTY = 'for d; do rmdir "$d" 2>/dev/null; done; exit 0'; // parents may still hold another instance
// Ends every process in the given cgroups ("…/cgroup.procs") and namespaces ("ns:NAME"): TERM, wait 2 s, KILL.
const SH_KILL = [
  'pids() { for a; do case $a in ns:*) ip netns pids "${a#ns:}" 2>/dev/null;; *) cat "$a" 2>/dev/null;; esac; done; }',
  'p=$(pids "$@"); [ -z "$p" ] && exit 0; kill -TERM $p 2>/dev/null',
  'i=0; while [ $i -lt 20 ]; do sleep 0.1; p=$(pids "$@"); [ -z "$p" ] && exit 0; i=$((i+1)); done',
  'kill -KILL $p 2>/dev/null; sleep 0.2; p=$(pids "$@"); [ -z "$p" ] || { echo "still running: $p" >&2; exit 1; }',
].join("; "); // one line, so that a dry run prints one command per line
// Joins this shell to the host's cgroups (arguments up to "--"), then becomes the command.
const SH_JOIN = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"';

export type HostName = "server" | `client${number}`;

/** Every host of the testbed: "server", "client1".."clientN". */
export function hosts(cfg: Config): HostName[] {
  return ["server", ...cfg.clients.map((c) => c.name as HostName)];
}

/** The network namespace of a host (emulated testbed). */
export function namespaceOf(cfg: Config, host: string): string {
  return `${cfg.prefix}${host}`;
}

function sshTarget(cfg: Config, host: string): string | null {
  if (cfg.kind !== "ssh") return null;
  return host === "server" ? cfg.server.ssh : (cfg.clients.find((c) => c.name === host)?.ssh ?? null);
}

function hostCpus(cfg: Config, host: string): string | null {
  return host === "server" ? cfg.server.cpus : (cfg.clients.find((c) => c.name === host)?.cpus ?? null);
}

/** Hex CPU mask of a cpu list such as "0-1,3". */
export function cpuMask(list: string): string {
  let mask = 0n;
  for (const part of list.split(",")) {
    const [a, b] = part.split("-").map(Number);
    for (let c = a; c <= (b ?? a); c++) mask |= 1n << BigInt(c);
  }
  return mask.toString(16);
}

/** The controllers a host's receive threads join: where they run and who pays for their CPU time. */
const NAPI_CONTROLLERS: Controller[] = ["cpuset", "cpu", "cpuacct"];

function write(on: string | null, path: string, value: string | number, why: string): Action {
  return { on, argv: ["sh", "-c", SH_WRITE, "sh", String(value), path], why };
}

/** Commands that create the cgroups of every confined host and set their limits. */
function cgroupPlan(cfg: Config): Action[] {
  const mounts = controllerMounts(cfg);
  const plan: Action[] = [];
  const server = sshTarget(cfg, "server");
  // Parents once per machine (all hosts share this machine when emulated), then each confined host.
  const machines = new Map<string | null, Controller[]>();
  for (const h of hosts(cfg)) machines.set(sshTarget(cfg, h), [...new Set([...(machines.get(sshTarget(cfg, h)) ?? []), ...hostControllers(cfg, h)])]);
  for (const [on, controllers] of machines) {
    if (!controllers.length) continue;
    const parents = parentDirs(cfg, mounts, controllers);
    plan.push({ on, argv: ["sh", "-c", SH_MKDIR, "sh", ...parents], why: `create the cgroup parent ${cfg.cgroupParent}` });
    // A v1 cpuset child accepts tasks only once it has cpus and mems; its parents need them first.
    for (const p of parents.filter((d) => d.startsWith(mounts.cpuset + "/"))) {
      plan.push({ on, argv: ["sh", "-c", SH_COPY_PARENT_CPUSET, "sh", p], why: `give ${p} its parent's cpus and mems` });
    }
  }
  for (const h of hosts(cfg)) {
    const on = sshTarget(cfg, h);
    const dirs = hostCgroupDirs(cfg, h, mounts);
    if (!dirs.cpuset) continue;
    plan.push({ on, argv: ["sh", "-c", SH_MKDIR, "sh", ...new Set(Object.values(dirs))], why: `create the cgroups of ${h}` });
    plan.push(write(on, join(dirs.cpuset, "cpuset.cpus"), hostCpus(cfg, h) as string, `pin ${h} to cpus ${hostCpus(cfg, h)}`));
    plan.push({ on, argv: ["sh", "-c", SH_COPY_PARENT_MEMS, "sh", dirs.cpuset], why: `give ${h} its parent's memory nodes` });
  }
  const s = hostCgroupDirs(cfg, "server", mounts);
  plan.push(...cpuQuotaPlan(cfg, cfg.server.cpuQuota, s.cpu as string, server));
  if (cfg.server.memoryLimitBytes !== null) {
    plan.push(write(server, join(s.memory as string, "memory.limit_in_bytes"), cfg.server.memoryLimitBytes, `limit the server's memory (page cache included) to ${cfg.server.memoryLimitBytes} bytes`));
  }
  const disk = cfg.server.disk;
  if (disk && (disk.readIops !== null || disk.readBps !== null)) plan.push(...diskPlan(disk.device, disk.readIops, disk.readBps, s.blkio as string, server));
  return plan;
}

/** The kernel's smallest CFS quota, µs. */
const MIN_QUOTA_US = 1000;

/** The smallest fraction of a core the server's CFS period allows. */
export function minQuotaFraction(cfg: Config): number {
  return MIN_QUOTA_US / cfg.server.cpuPeriodUs;
}

function cpuQuotaPlan(cfg: Config, fraction: number, cpuDir: string, on: string | null): Action[] {
  const period = cfg.server.cpuPeriodUs;
  const quota = Math.round(fraction * period);
  if (!(fraction > 0 && fraction <= 1) || quota < MIN_QUOTA_US) throw new Error(`CPU quota ${fraction} of a core × period ${period} µs = ${quota} µs; it must be in (0, 1] and ≥ 1000 µs (kernel minimum)`);
  return [
    write(on, join(cpuDir, "cpu.cfs_period_us"), period, `set the server's CFS period to ${period} µs`),
    write(on, join(cpuDir, "cpu.cfs_quota_us"), quota, `give the server ${quota} µs of CPU per period (${fraction} of a core)`),
  ];
}

function diskPlan(device: string, iops: number | null, bps: number | null, blkioDir: string, on: string | null): Action[] {
  // Writing 0 removes a limit, so a null in the hosts file really means "unthrottled".
  return [
    write(on, join(blkioDir, "blkio.throttle.read_iops_device"), `${device} ${iops ?? 0}`, `throttle the server's reads from ${device} to ${iops ?? "unlimited"} IOPS`),
    write(on, join(blkioDir, "blkio.throttle.read_bps_device"), `${device} ${bps ?? 0}`, `throttle the server's reads from ${device} to ${bps ?? "unlimited"} bytes/s`),
  ];
}

/** Commands that create the namespaces and links of the emulated testbed and tune them. */
function networkPlan(cfg: Config): Action[] {
  const plan: Action[] = [];
  const mounts = controllerMounts(cfg);
  const srv = namespaceOf(cfg, "server");
  for (const h of hosts(cfg)) {
    plan.push({ on: null, argv: ["ip", "netns", "add", namespaceOf(cfg, h)], why: `create host ${h}` });
    plan.push({ on: null, argv: ["ip", "-n", namespaceOf(cfg, h), "link", "set", "lo", "up"], why: `bring up ${h}'s loopback` });
  }
  cfg.clients.forEach((c, k) => {
    const i = k + 1;
    const cns = namespaceOf(cfg, c.name);
    const [sv, cv] = [`${cfg.prefix}s${i}`, `${cfg.prefix}c${i}`];
    const why = `link ${i} (server ${c.serverAddress} ↔ ${c.name} ${c.address})`;
    plan.push({ on: null, argv: ["ip", "-n", srv, "link", "add", sv, "type", "veth", "peer", "name", cv, "netns", cns], why });
    plan.push({ on: null, argv: ["ip", "-n", srv, "addr", "add", `${c.serverAddress}/24`, "dev", sv], why });
    plan.push({ on: null, argv: ["ip", "-n", cns, "addr", "add", `${c.address}/24`, "dev", cv], why });
    plan.push({ on: null, argv: ["ip", "-n", srv, "link", "set", sv, "up"], why });
    plan.push({ on: null, argv: ["ip", "-n", cns, "link", "set", cv, "up"], why });
    // Each host pays for receiving its own packets, in its own cgroups: a softirq would run on whatever core sent the
    // packet and be charged to nobody, outside the server's CPU quota (env/README.md has the numbers).
    for (const [host, ns, dev] of [["server", srv, sv], [c.name, cns, cv]]) {
      plan.push({ on: null, argv: ["ip", "netns", "exec", ns, "ethtool", "-K", dev, "tso", "off", "gro", "on"], why: `give ${dev} NAPI receive (GRO on, TSO off)` });
      const dirs = hostCgroupDirs(cfg, host, mounts);
      const procs = new Set(NAPI_CONTROLLERS.flatMap((k) => (dirs[k] ? [join(dirs[k]!, "cgroup.procs")] : [])));
      plan.push({ on: null, argv: ["sh", "-c", SH_THREADED_RX, "sh", ns, dev, ...procs], why: `receive ${dev}'s packets in a kernel thread charged to ${host}'s CPU, without RPS` });
    }
  });
  return plan;
}

function sysctlsOf(cfg: Config, host: string): Record<string, string> {
  return host === "server" ? cfg.server.sysctls : (cfg.clients.find((c) => c.name === host)?.sysctls ?? {});
}

/** Commands that set each host's sysctls (inside its namespace when emulated). */
function sysctlPlan(cfg: Config): Action[] {
  const plan: Action[] = [];
  for (const h of hosts(cfg)) {
    const settings = Object.entries(sysctlsOf(cfg, h)).map(([k, v]) => `${k}=${v}`);
    if (!settings.length) continue;
    const argv = ["sysctl", "-q", "-w", ...settings];
    plan.push({ on: sshTarget(cfg, h), argv: cfg.kind === "emulated" ? ["ip", "netns", "exec", namespaceOf(cfg, h), ...argv] : argv, why: `tune ${h} for heavy connection load` });
  }
  return plan;
}

/** The whole bring-up, in order: checks first, then cgroups, namespaces and links, sysctls. */
export function planUp(cfg: Config): Action[] {
  if (cfg.kind === "loopback") return [];
  return [...cgroupPlan(cfg), ...(cfg.kind === "emulated" ? networkPlan(cfg) : []), ...sysctlPlan(cfg)];
}

/** What of ours exists on this machine (emulated) — or everything that might exist (ssh, where down is guarded). */
interface Present { namespaces: string[]; hostDirs: Record<string, string[]>; parents: string[] }

function observe(cfg: Config): Present {
  const ours = new RegExp(`^${cfg.prefix.replace(/-/g, "\\-")}(server|client\\d+)$`);
  const hostDirs: Record<string, string[]> = {};
  if (cfg.kind === "ssh") {
    for (const h of hosts(cfg)) hostDirs[h] = [...new Set(Object.values(hostCgroupDirs(cfg, h)))];
    return { namespaces: [], hostDirs, parents: parentDirs(cfg) };
  }
  const namespaces = existsSync("/run/netns") ? readdirSync("/run/netns").filter((n) => ours.test(n)) : [];
  const mounts = controllerMounts(cfg);
  // A parent folder counts as ours only if it holds nothing but our own folders (another testbed may share "webarch").
  const all = parentDirs(cfg, mounts);
  const ownsOnly = (d: string) => readdirSync(d, { withFileTypes: true }).filter((e) => e.isDirectory())
    .every((e) => all.includes(join(d, e.name)) || (d.endsWith("/" + cfg.cgroupParent) && /^(server|client\d+)$/.test(e.name)));
  const parents = all.filter((d) => existsSync(d) && ownsOnly(d));
  // Any server/clientN folder under our parent is ours, including clients beyond the current count.
  for (const mount of new Set(Object.values(mounts))) {
    const parent = join(mount, cfg.cgroupParent);
    if (!existsSync(parent)) continue;
    for (const name of readdirSync(parent)) {
      if (/^(server|client\d+)$/.test(name)) (hostDirs[name] ??= []).push(join(parent, name));
    }
  }
  return { namespaces, hostDirs, parents };
}

/** Commands that end our processes and remove our namespaces and cgroups (only what exists). */
export function planDown(cfg: Config): Action[] {
  if (cfg.kind === "loopback") return [];
  const present = observe(cfg);
  const plan: Action[] = [];
  const targets = new Set([...Object.keys(present.hostDirs), ...present.namespaces.map((n) => n.slice(cfg.prefix.length))]);
  for (const h of targets) {
    const on = sshTarget(cfg, h);
    const dirs = present.hostDirs[h] ?? [];
    const ns = present.namespaces.includes(namespaceOf(cfg, h)) ? [`ns:${namespaceOf(cfg, h)}`] : [];
    if (!dirs.length && !ns.length) continue;
    // Kernel threads cannot be ended; the receive threads go back to the root so that the cgroups can be removed.
    if (cfg.kind === "emulated" && dirs.length) {
      const pairs = dirs.flatMap((d) => [join(d.slice(0, -`/${cfg.cgroupParent}/${h}`.length), "cgroup.procs"), join(d, "cgroup.procs")]);
      plan.push({ on, argv: ["sh", "-c", SH_RELEASE_KTHREADS, "sh", ...pairs], why: `return ${h}'s receive threads to the root cgroups` });
    }
    plan.push({ on, argv: ["sh", "-c", SH_KILL, "sh", ...dirs.map((d) => join(d, "cgroup.procs")), ...ns], why: `end the processes left on ${h}` });
    if (ns.length) plan.push({ on, argv: ["ip", "netns", "del", namespaceOf(cfg, h)], why: `remove host ${h} (and its links)` });
    if (dirs.length) plan.push({ on, argv: ["sh", "-c", SH_RMDIR, "sh", ...dirs], why: `remove the cgroups of ${h}` });
  }
  const ons = cfg.kind === "ssh" ? [...new Set(hosts(cfg).map((h) => sshTarget(cfg, h)))] : [null];
  if (present.parents.length) {
    for (const on of ons) plan.push({ on, argv: ["sh", "-c", SH_RMDIR_IF_EMPTY, "sh", ...[...present.parents].reverse()], why: `remove the cgroup parent ${cfg.cgroupParent} if no other testbed uses it` });
  }
  return plan;
}

export interface Status {
  kind: Config["kind"];
  source: string;
  up: boolean;                      // everything of the testbed exists
  partial: boolean;                 // some but not all of it exists (an interrupted up or down)
  namespaces: Record<string, boolean>;
  cgroups: Record<string, boolean>;
  links: Record<string, boolean>;
}

/** What of the testbed exists right now. */
export async function status(cfg: Config): Promise<Status> {
  const st: Status = { kind: cfg.kind, source: cfg.source, up: true, partial: false, namespaces: {}, cgroups: {}, links: {} };
  if (cfg.kind === "loopback") return st;
  for (const h of hosts(cfg)) {
    for (const d of new Set(Object.values(hostCgroupDirs(cfg, h)))) st.cgroups[d] = await dirExists(cfg, sshTarget(cfg, h), d);
  }
  if (cfg.kind === "emulated") {
    for (const h of hosts(cfg)) st.namespaces[namespaceOf(cfg, h)] = existsSync(join("/run/netns", namespaceOf(cfg, h)));
    const srv = namespaceOf(cfg, "server");
    const names = st.namespaces[srv] ? (await run(["ip", "-n", srv, "-o", "link", "show"])).split("\n").map((l) => l.split(/: /)[1]?.split("@")[0]) : [];
    cfg.clients.forEach((_, k) => (st.links[`${cfg.prefix}s${k + 1}`] = names.includes(`${cfg.prefix}s${k + 1}`)));
  }
  const all = [...Object.values(st.namespaces), ...Object.values(st.cgroups), ...Object.values(st.links)];
  st.up = all.every(Boolean);
  const present = observe(cfg);
  st.partial = !st.up && (cfg.kind === "emulated" ? present.namespaces.length > 0 || Object.keys(present.hostDirs).length > 0 || present.parents.length > 0 : all.some(Boolean));
  return st;
}

async function dirExists(cfg: Config, on: string | null, dir: string): Promise<boolean> {
  if (on === null) return existsSync(dir);
  return (await run(sshArgv(cfg, on, ["sh", "-c", '[ -d "$1" ] && echo yes || echo no', "sh", dir]))).trim() === "yes";
}

function preflight(cfg: Config): void {
  if (cfg.kind !== "emulated") return;
  if (process.getuid?.() !== 0) throw new Error("the emulated testbed needs root (namespaces, cgroups); use env/hosts/loopback.json without root (less faithful)");
  const root = controllerMounts(cfg).cpuset;
  const online = readFileSync(join(root, "cpuset.effective_cpus"), "utf8").trim();
  for (const [field, list] of [["server.cpus", cfg.server.cpus], ["clients.cpus", cfg.clients[0].cpus ?? "0"]]) {
    const want = BigInt("0x" + cpuMask(list));
    if ((want & BigInt("0x" + cpuMask(online))) !== want) throw new Error(`hosts file ${cfg.source}: field "${field}" asks for cpus ${list}, but this machine has ${online}`);
  }
}

/**
 * Brings the testbed up; a no-op when it is already up. An error or an aborted signal part-way through
 * tears down whatever was created, so nothing is left behind.
 */
export async function up(cfg: Config, opts: ExecOptions = {}): Promise<"created" | "already-up" | "planned"> {
  const log = opts.log ?? (() => {});
  if (opts.dryRun) {
    await runPlan(cfg, planUp(cfg), opts);
    return "planned";
  }
  if (cfg.kind === "loopback") {
    log("loopback testbed: nothing to set up (LESS FAITHFUL: no namespaces, CPU quota, memory limit or disk throttle)");
    return "already-up";
  }
  preflight(cfg);
  const st = await status(cfg);
  if (st.up) {
    log(`testbed already up (${cfg.source})`);
    return "already-up";
  }
  if (st.partial) {
    log("removing the remains of an earlier, unfinished testbed");
    await down(cfg, { log });
  }
  try {
    await runPlan(cfg, planUp(cfg), opts);
    if (cfg.kind === "emulated" && protectFromReclaim(serverMemcgPath(cfg)) > 0) {
      log("the VM's proactive reclaim (DAMON pageout) now skips the server's memory cgroup");
    }
  } catch (e) {
    log(e instanceof AbortError ? "interrupted: tearing down what was created" : `failed: tearing down what was created`);
    await down(cfg, { log });
    throw e;
  }
  log(`testbed up: ${describe(cfg)}`);
  return "created";
}

/** Tears the testbed down (a no-op when nothing of it exists). Not interruptible: it always finishes. */
export async function down(cfg: Config, opts: ExecOptions = {}): Promise<"removed" | "already-down" | "planned"> {
  const plan = planDown(cfg);
  if (opts.dryRun) {
    if (readDiskState(serverDiskDir(cfg))) opts.log?.(`# stop the latency disk of ${serverDiskDir(cfg)} and unmount it`);
    await runPlan(cfg, plan, { ...opts, signal: undefined });
    return "planned";
  }
  // The disk first: a server asleep in a held or queued read cannot be ended until the daemon answers it.
  const diskStopped = cfg.kind === "emulated" && (await stopServerDisk(cfg));
  if (diskStopped) opts.log?.("latency disk stopped and unmounted");
  // before the cgroup goes: DAMON names it by path
  if (cfg.kind === "emulated" && unprotectFromReclaim(serverMemcgPath(cfg)) > 0) opts.log?.("DAMON pageout filter for the server removed");
  if (!plan.length) {
    if (diskStopped) return "removed";
    opts.log?.("testbed already down");
    return "already-down";
  }
  await runPlan(cfg, plan, { ...opts, signal: undefined });
  opts.log?.("testbed down");
  return "removed";
}

/** The server's memory cgroup as DAMON names it: its path from the memory hierarchy's root. */
function serverMemcgPath(cfg: Config): string {
  const mounts = controllerMounts(cfg);
  return "/" + relative(mounts.memory, hostCgroupDirs(cfg, "server", mounts).memory as string);
}

function describe(cfg: Config): string {
  const s = cfg.server;
  const parts = [`server on cpus ${s.cpus} at ${s.cpuQuota} of a core`, s.memoryLimitBytes ? `${s.memoryLimitBytes} bytes of memory` : "unlimited memory"];
  if (s.disk) parts.push(`disk reads ≤ ${s.disk.readIops ?? "∞"} IOPS and ${s.disk.readBps ?? "∞"} B/s`);
  if (s.diskModel) parts.push(`latency disk (${describeDisk(s.diskModel)}) once mounted`);
  parts.push(`${cfg.clients.length} clients on cpus ${cfg.clients[0].cpus ?? "(not confined)"}`);
  return parts.join(", ");
}

/**
 * The argv that runs `argv` on a host, inside its namespace and cgroups (emulated), over ssh (ssh),
 * or pinned to the host's cpus with taskset (loopback). Everything the process starts stays confined.
 */
export function hostCommand(cfg: Config, host: string, argv: string[]): string[] {
  if (!hosts(cfg).includes(host as HostName)) throw new Error(`unknown host ${JSON.stringify(host)} (hosts: ${hosts(cfg).join(", ")})`);
  if (!argv.length) throw new Error("hostCommand: empty command");
  if (cfg.kind === "loopback") {
    const cpus = hostCpus(cfg, host);
    return cpus ? ["taskset", "-c", cpus, ...argv] : argv;
  }
  const procs = [...new Set(Object.values(hostCgroupDirs(cfg, host)))].map((d) => join(d, "cgroup.procs"));
  // Join the cgroups before entering the namespace: `ip netns exec` remounts /sys, hiding /sys/fs/cgroup.
  const inner = cfg.kind === "emulated" ? ["ip", "netns", "exec", namespaceOf(cfg, host), ...argv] : argv;
  const confined = procs.length ? ["sh", "-c", SH_JOIN, `wp-${host}`, ...procs, "--", ...inner] : inner;
  const target = sshTarget(cfg, host);
  return target === null ? confined : sshArgv(cfg, target, confined);
}

/** The address client host `clientIndex` (1..N) uses to reach the server. */
export function serverAddress(cfg: Config, clientIndex: number): string {
  const c = cfg.clients[clientIndex - 1];
  if (!Number.isInteger(clientIndex) || !c) throw new Error(`serverAddress: client index ${clientIndex} is not in 1..${cfg.clients.length}`);
  return c.serverAddress;
}

function requireCgroups(cfg: Config, what: string): void {
  if (cfg.kind === "loopback") throw new Error(`${what}: the loopback testbed has no cgroups (it needs root and the emulated or ssh testbed)`);
}

/** Sets the server's CPU quota to a fraction of one core, and returns what the kernel now holds. */
export async function setServerCpuQuota(cfg: Config, fractionOfOneCore: number, opts: ExecOptions = {}): Promise<{ quotaUs: number; periodUs: number }> {
  requireCgroups(cfg, "setServerCpuQuota");
  const dir = hostCgroupDirs(cfg, "server").cpu as string;
  const plan = cpuQuotaPlan(cfg, fractionOfOneCore, dir, sshTarget(cfg, "server"));
  await runPlan(cfg, plan, opts);
  if (opts.dryRun) return { quotaUs: Number(plan[1].argv[4]), periodUs: cfg.server.cpuPeriodUs };
  const f = await readFiles(cfg, "server", [join(dir, "cpu.cfs_quota_us"), join(dir, "cpu.cfs_period_us")]);
  return { quotaUs: Number(f[0]), periodUs: Number(f[1]) };
}

/** Sets the server's disk read throttle (ssh testbed; null = unlimited); the runner scales the paper's disk by k with it. */
export async function setServerDiskThrottle(cfg: Config, limits: { readIops: number | null; readBps: number | null }, opts: ExecOptions = {}): Promise<void> {
  requireCgroups(cfg, "setServerDiskThrottle");
  const disk = cfg.server.disk;
  if (!disk) throw new Error(`setServerDiskThrottle: hosts file ${cfg.source} has no blkio throttle (server.disk with a device: ssh testbed)`);
  await runPlan(cfg, diskPlan(disk.device, limits.readIops, limits.readBps, hostCgroupDirs(cfg, "server").blkio as string, sshTarget(cfg, "server")), opts);
}

export interface CgroupStats {
  cpuUsageNs: number;        // cpuacct.usage: CPU time of every task of the server host
  periods: number;           // cpu.stat nr_periods: CFS periods in which the server host had runnable tasks
  throttledPeriods: number;  // cpu.stat nr_throttled: periods in which the quota ran out
  throttledNs: number;       // cpu.stat throttled_time
  memoryUsageBytes: number;  // memory.usage_in_bytes (page cache included)
  pageCacheBytes: number;    // memory.stat cache
  rssBytes: number;          // memory.stat rss
  oomKills: number;          // memory.oom_control oom_kill: processes the memory limit killed
  diskReads: number;         // blkio: reads issued to the throttled disk (ssh; 0 on the emulated testbed, see serverDiskStats)
  diskReadBytes: number;
}

/** Cumulative counters of the server host's cgroups (sample before and after a point and subtract). */
export async function serverCgroupStats(cfg: Config): Promise<CgroupStats> {
  requireCgroups(cfg, "serverCgroupStats");
  const d = hostCgroupDirs(cfg, "server");
  const [usage, cpuStat, memUsage, memStat, oom, ios, bytes] = await readFiles(cfg, "server", [
    join(d.cpuacct as string, "cpuacct.usage"), join(d.cpu as string, "cpu.stat"),
    join(d.memory as string, "memory.usage_in_bytes"), join(d.memory as string, "memory.stat"), join(d.memory as string, "memory.oom_control"),
    join(d.blkio as string, "blkio.throttle.io_serviced"), join(d.blkio as string, "blkio.throttle.io_service_bytes"),
  ]);
  const disk = cfg.server.disk;
  const field = (text: string, key: string) => Number(text.match(new RegExp(`^${key} (\\d+)$`, "m"))?.[1] ?? 0);
  return {
    cpuUsageNs: Number(usage),
    periods: field(cpuStat, "nr_periods"),
    throttledPeriods: field(cpuStat, "nr_throttled"),
    throttledNs: field(cpuStat, "throttled_time"),
    memoryUsageBytes: Number(memUsage),
    pageCacheBytes: field(memStat, "cache"),
    rssBytes: field(memStat, "rss"),
    oomKills: field(oom, "oom_kill"),
    diskReads: disk ? field(ios, `${disk.device} Read`) : 0,
    diskReadBytes: disk ? field(bytes, `${disk.device} Read`) : 0,
  };
}

/** The folder of the testbed's latency disk: its daemon's state files and its mount point, "mnt". */
export function serverDiskDir(cfg: Config): string {
  return join("/run/webarch-disk", cfg.prefix.replace(/-$/, ""));
}

/**
 * The document root servers should use for the file set `realRoot`: on the emulated testbed with a disk model, the
 * mount point of the latency disk (started on first use, pinned to the clients' cores, outside the server's cgroups;
 * the same mount for the same root), else `realRoot` itself. Mount before starting the server: `ip netns exec`
 * gives the server host a copy of the mounts that exist when it starts.
 */
export async function mountServerDisk(cfg: Config, realRoot: string, log: (m: string) => void = () => {}): Promise<string> {
  const model = cfg.kind === "emulated" ? cfg.server.diskModel : null;
  if (!model) return realRoot;
  const dir = serverDiskDir(cfg);
  const real = resolve(realRoot);
  const st = readDiskState(dir);
  if (st && diskRunning(st.pid)) {
    if (st.realRoot === real) return st.mountPoint;
    throw new Error(`the server disk of ${cfg.source} already serves ${st.realRoot} (one disk per testbed); bring the testbed down to serve ${real}`);
  }
  await stopServerDisk(cfg); // the remains of a daemon that died
  const mnt = join(dir, "mnt");
  mkdirSync(mnt, { recursive: true });
  await startDisk({ dir, realRoot: real, mountPoint: mnt, model, scale: 1, cpus: cfg.clients[0].cpus }, log);
  log(`server disk: ${real} served at ${mnt} by the latency disk (${describeDisk(model)})`);
  return mnt;
}

async function stopServerDisk(cfg: Config): Promise<boolean> {
  const dir = serverDiskDir(cfg);
  const stopped = await stopDisk(dir);
  // rmdir, not rm -r: a folder that is not empty (a mount still there) must stay; /run/webarch-disk may hold others'
  for (const d of [join(dir, "mnt"), dir]) if (existsSync(d)) rmdirSync(d);
  return stopped;
}

function requireServerDisk(cfg: Config, what: string): string {
  const dir = serverDiskDir(cfg);
  if (cfg.kind !== "emulated" || !cfg.server.diskModel) throw new Error(`${what}: hosts file ${cfg.source} has no latency disk (an emulated testbed with server.disk)`);
  if (!readDiskState(dir)) throw new Error(`${what}: no latency disk is mounted for ${cfg.source} (mountServerDisk first)`);
  return dir;
}

/** Divides the latency disk's service times by k (the runner's scale), or switches the delay off (null) for set-up
 *  work that is not measured, such as warming the page cache. Returns the disk's counters and settings. */
export async function setServerDiskScale(cfg: Config, k: number | null): Promise<DiskStats> {
  const dir = requireServerDisk(cfg, "setServerDiskScale");
  if (k !== null && !(k > 0 && Number.isFinite(k))) throw new RangeError(`setServerDiskScale: scale must be > 0 (or null for no delay), got ${k}`);
  return diskCommand(dir, k === null ? "off" : `scale ${k}`);
}

/** The latency disk's cumulative counters (reads, bytes, busy time, queueing), or null when none is mounted. */
export async function serverDiskStats(cfg: Config): Promise<DiskStats | null> {
  if (cfg.kind !== "emulated" || !readDiskState(serverDiskDir(cfg))) return null;
  return diskCommand(serverDiskDir(cfg), "stats");
}

// Writes back and drops from the page cache every file under a directory (POSIX_FADV_DONTNEED), printing the count.
const PY_EVICT = `import os, sys
n = 0
for root, _, names in os.walk(sys.argv[1]):
    for name in names:
        fd = os.open(os.path.join(root, name), os.O_RDONLY)
        os.fdatasync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        os.close(fd)
        n += 1
print(n)`;

/**
 * Drops a directory's files (the file set) from the page cache. Cached pages stay charged to the cgroup that first
 * read or wrote them, so without this the server would serve a freshly generated file set from memory that its
 * own memory limit never sees. Returns the number of files.
 */
export async function evictFromPageCache(cfg: Config, dir: string): Promise<number> {
  return Number(await run(hostCommand(cfg, "server", ["/usr/bin/python3", "-c", PY_EVICT, dir])));
}

/** Reads files on a host (locally, or with one ssh round trip). */
export async function readFiles(cfg: Config, host: string, paths: string[]): Promise<string[]> {
  const on = sshTarget(cfg, host);
  if (on === null) return paths.map((p) => readFileSync(p, "utf8").trim());
  const out = await run(localArgv(cfg, { on, argv: ["sh", "-c", 'for f; do cat "$f" || exit 1; echo "\x1e"; done', "sh", ...paths] }));
  return out.split("\x1e\n").slice(0, paths.length).map((s) => s.trim());
}

/** The latency disk's model in a few words, for logs. */
function describeDisk(m: DiskModel): string {
  return `seek ${m.trackToTrackMs}–${m.fullStrokeMs} ms by distance, mean ${m.seekMs} ms, + rotation ${m.rotationMs} ms, ${m.mbPerS} MB/s, C-LOOK queue`;
}
