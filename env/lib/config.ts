// Reads and validates a testbed hosts file (emulated, ssh or loopback) into one normalised Config.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { DiskModel } from "../../lib/latency-disk.ts";

export type Kind = "emulated" | "ssh" | "loopback";

/** The blkio read throttle of a real server's disk (ssh testbed). */
export interface DiskThrottle {
  device: string;          // "MAJ:MIN" of the whole disk
  readIops: number | null; // null = no IOPS limit
  readBps: number | null;  // null = no bytes/s limit
}

export interface ServerSpec {
  ssh: string | null;            // ssh target (ssh kind only)
  cpus: string;                  // cpuset list, e.g. "1"
  cpuQuota: number;              // fraction of one core, (0, 1]
  cpuPeriodUs: number;           // CFS period
  memoryLimitBytes: number | null;
  disk: DiskThrottle | null;      // ssh: blkio throttle of the real disk
  diskModel: DiskModel | null;   // emulated: the file set is served through the latency disk
  sysctls: Record<string, string>;
}

export interface ClientSpec {
  name: string;                  // "client1".."clientN"
  ssh: string | null;
  cpus: string | null;           // null = not confined (ssh clients without a cpuset)
  serverAddress: string;         // address this client uses to reach the server
  address: string | null;        // this client's own address on its link (emulated)
  sysctls: Record<string, string>;
}

export interface Config {
  kind: Kind;
  source: string;                // the hosts file it came from (or "<object>")
  prefix: string;                // namespace and veth name prefix, starts with "wp-"
  cgroupParent: string;          // cgroup folder under each controller, e.g. "webarch"
  ssh: { options: string[]; sudo: boolean };
  server: ServerSpec;
  clients: ClientSpec[];
}

export const DEFAULT_HOSTS_FILE = resolve(dirname(fileURLToPath(import.meta.url)), "../hosts/emulated.json");

/** Loads a hosts file (default: the emulated testbed) and validates every field. */
export function loadConfig(path: string = DEFAULT_HOSTS_FILE): Config {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new Error(`hosts file ${path}: cannot read it (${(e as Error).message})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`hosts file ${path}: not valid JSON (${(e as Error).message})`);
  }
  return parseConfig(raw, path);
}

/** Validates an already-parsed hosts object; errors name the offending field. */
export function parseConfig(raw: unknown, source = "<object>"): Config {
  const v = new Validator(source);
  const top = v.object(raw, "");
  v.only(top, "", ["$comment", "kind", "prefix", "cgroupParent", "ssh", "server", "clients"]);
  const kind = v.oneOf(top.kind, "kind", ["emulated", "ssh", "loopback"]) as Kind;
  const prefix = v.str(top.prefix ?? "wp-", "prefix");
  // veth names are prefix + "s12"/"c12" and Linux allows 15 characters per interface name.
  if (!/^wp-[a-z0-9-]{0,8}$/.test(prefix)) v.fail("prefix", `must match wp-[a-z0-9-]{0,8} (interface names are limited to 15 characters), got ${JSON.stringify(prefix)}`);
  const cgroupParent = v.str(top.cgroupParent ?? "webarch", "cgroupParent");
  if (!/^webarch(\/[A-Za-z0-9_.-]+)*$/.test(cgroupParent)) v.fail("cgroupParent", `must be "webarch" or "webarch/<sub>", got ${JSON.stringify(cgroupParent)}`);

  const sshRaw = v.object(top.ssh ?? {}, "ssh");
  v.only(sshRaw, "ssh", ["options", "sudo"]);
  const ssh = { options: v.strList(sshRaw.options ?? ["-o", "BatchMode=yes"], "ssh.options"), sudo: v.bool(sshRaw.sudo ?? true, "ssh.sudo") };

  const s = v.object(top.server, "server");
  v.only(s, "server", ["$comment", "ssh", "cpus", "cpuQuota", "cpuPeriodUs", "memoryLimitBytes", "disk", "sysctls"]);
  const server: ServerSpec = {
    ssh: kind === "ssh" ? v.str(s.ssh, "server.ssh") : v.absent(s.ssh, "server.ssh", kind),
    cpus: v.cpuList(s.cpus ?? "1", "server.cpus"),
    cpuQuota: v.num(s.cpuQuota ?? 1, "server.cpuQuota", (x) => x > 0 && x <= 1, "a fraction of one core in (0, 1]"),
    cpuPeriodUs: v.num(s.cpuPeriodUs ?? 10000, "server.cpuPeriodUs", (x) => Number.isInteger(x) && x >= 1000 && x <= 1000000, "an integer number of microseconds in [1000, 1000000]"),
    memoryLimitBytes: s.memoryLimitBytes === null ? null : v.num(s.memoryLimitBytes ?? 2 ** 31, "server.memoryLimitBytes", (x) => Number.isInteger(x) && x >= 2 ** 24, "an integer ≥ 16 MiB, or null"),
    ...parseDisk(v, s.disk, kind),
    sysctls: v.sysctls(s.sysctls ?? {}, "server.sysctls"),
  };
  if (kind !== "loopback" && server.cpuQuota * server.cpuPeriodUs < 1000) {
    v.fail("server.cpuQuota", `× cpuPeriodUs must be ≥ 1000 µs (the kernel's minimum quota), got ${server.cpuQuota} × ${server.cpuPeriodUs}`);
  }

  // The loopback fallback can set none of these; say so in the config rather than carry defaults it ignores.
  if (kind === "loopback") Object.assign(server, { cpuQuota: 1, memoryLimitBytes: null, disk: null, diskModel: null, sysctls: {} });

  const clients = kind === "ssh" ? parseSshClients(v, top.clients) : parseLocalClients(v, top.clients, kind);
  return { kind, source, prefix, cgroupParent, ssh, server, clients };
}

const THROTTLE_FIELDS = ["device", "readIops", "readBps"];
const MODEL_FIELDS = ["seekMs", "trackToTrackMs", "fullStrokeMs", "cylinders", "rotationMs", "mbPerS", "capacityGB", "spread", "deadlineMs"];

/** server.disk: a blkio throttle of the real disk over ssh; the latency disk's model on the emulated testbed (where
 *  the server's reads are done by the latency disk's daemon, outside the server's cgroups, so blkio would see none). */
function parseDisk(v: Validator, raw: unknown, kind: Kind): { disk: DiskThrottle | null; diskModel: DiskModel | null } {
  if (raw === null || raw === undefined || kind === "loopback") return { disk: null, diskModel: null };
  const d = v.object(raw, "server.disk");
  if (kind === "emulated") {
    for (const f of THROTTLE_FIELDS.concat("path")) {
      if (f in d) v.fail(`server.disk.${f}`, `is a blkio throttle field (ssh testbed only): the emulated testbed's disk is the latency disk, set by ${MODEL_FIELDS.join(", ")}`);
    }
    v.only(d, "server.disk", ["$comment", ...MODEL_FIELDS]);
    const ms = (f: string) => v.num(d[f], `server.disk.${f}`, (x) => x >= 0 && x <= 1000, "a number of milliseconds in [0, 1000]");
    const diskModel: DiskModel = { seekMs: ms("seekMs"), trackToTrackMs: ms("trackToTrackMs"), fullStrokeMs: ms("fullStrokeMs"),
      cylinders: v.num(d.cylinders, "server.disk.cylinders", (x) => Number.isInteger(x) && x >= 2 && x <= 10_000_000, "an integer number of cylinders in [2, 10^7]"),
      rotationMs: ms("rotationMs"),
      mbPerS: v.num(d.mbPerS, "server.disk.mbPerS", (x) => x > 0 && x <= 100000, "a transfer rate in MB/s in (0, 100000]"),
      capacityGB: v.num(d.capacityGB, "server.disk.capacityGB", (x) => x > 0 && x <= 1e6, "a capacity in GB (10^9 bytes) in (0, 10^6]"),
      spread: v.num(d.spread, "server.disk.spread", (x) => x > 0 && x <= 1, "a fraction of the disk in (0, 1]"),
      deadlineMs: v.num(d.deadlineMs, "server.disk.deadlineMs", (x) => x > 0 && x <= 60000, "a number of milliseconds in (0, 60000]") };
    // The seek curve needs a full stroke longer than a track-to-track seek, and an average between them that a
    // sqrt-then-linear curve can have (the daemon fits it and checks the exact bounds).
    if (!(diskModel.trackToTrackMs < diskModel.seekMs && diskModel.seekMs < diskModel.fullStrokeMs)) {
      v.fail("server.disk.seekMs", `(the average seek) must lie between trackToTrackMs (${diskModel.trackToTrackMs}) and fullStrokeMs (${diskModel.fullStrokeMs})`);
    }
    return { disk: null, diskModel };
  }
  v.only(d, "server.disk", ["$comment", ...THROTTLE_FIELDS]);
  const limit = (x: unknown, field: string) => (x === null || x === undefined ? null : v.num(x, field, (n) => Number.isInteger(n) && n > 0, "a positive integer, or null"));
  const device = d.device;
  // The remote disk cannot be looked up from a path in a dry run: it is named by its device numbers.
  if (typeof device !== "string" || !/^\d+:\d+$/.test(device)) v.fail("server.disk.device", `must be "MAJOR:MINOR" of the server's disk (required over ssh), got ${JSON.stringify(device)}`);
  return { disk: { device: device as string, readIops: limit(d.readIops, "server.disk.readIops"), readBps: limit(d.readBps, "server.disk.readBps") }, diskModel: null };
}

function parseLocalClients(v: Validator, raw: unknown, kind: Kind): ClientSpec[] {
  const c = v.object(raw ?? {}, "clients");
  v.only(c, "clients", ["$comment", "count", "cpus", "sysctls"]);
  const count = v.num(c.count ?? 4, "clients.count", (x) => Number.isInteger(x) && x >= 1 && x <= 99, "an integer in [1, 99]");
  const cpus = v.cpuList(c.cpus ?? "0", "clients.cpus");
  const sysctls = kind === "loopback" ? {} : v.sysctls(c.sysctls ?? {}, "clients.sysctls");
  return Array.from({ length: count }, (_, k) => {
    const i = k + 1;
    // Link i is 198.18.i.0/24 (RFC 2544 benchmarking range): the server side is .1, client i is .2.
    const emulated = kind === "emulated";
    return {
      name: `client${i}`, ssh: null, cpus, sysctls,
      serverAddress: emulated ? `198.18.${i}.1` : "127.0.0.1",
      address: emulated ? `198.18.${i}.2` : null,
    };
  });
}

function parseSshClients(v: Validator, raw: unknown): ClientSpec[] {
  if (!Array.isArray(raw) || raw.length === 0) v.fail("clients", `must be a non-empty array of {ssh, serverAddress, cpus?, sysctls?} for an ssh testbed`);
  return (raw as unknown[]).map((item, k) => {
    const f = `clients[${k}]`;
    const c = v.object(item, f);
    v.only(c, f, ["$comment", "ssh", "serverAddress", "cpus", "sysctls"]);
    return {
      name: `client${k + 1}`,
      ssh: v.str(c.ssh, `${f}.ssh`),
      cpus: c.cpus === undefined || c.cpus === null ? null : v.cpuList(c.cpus, `${f}.cpus`),
      serverAddress: v.ipv4(c.serverAddress, `${f}.serverAddress`),
      address: null,
      sysctls: v.sysctls(c.sysctls ?? {}, `${f}.sysctls`),
    };
  });
}

/** Type checks that throw one error naming the hosts file and the field. */
class Validator {
  constructor(private source: string) {}
  fail(field: string, msg: string): never {
    throw new Error(`hosts file ${this.source}: field "${field || "(top level)"}" ${msg}`);
  }
  object(x: unknown, field: string): Record<string, unknown> {
    if (typeof x !== "object" || x === null || Array.isArray(x)) this.fail(field, `must be an object, got ${JSON.stringify(x)}`);
    return x as Record<string, unknown>;
  }
  only(o: Record<string, unknown>, field: string, allowed: string[]): void {
    for (const k of Object.keys(o)) if (!allowed.includes(k)) this.fail(field ? `${field}.${k}` : k, `is not a known field (known: ${allowed.filter((a) => a !== "$comment").join(", ")})`);
  }
  str(x: unknown, field: string): string {
    if (typeof x !== "string" || x === "") this.fail(field, `must be a non-empty string, got ${JSON.stringify(x)}`);
    return x as string;
  }
  bool(x: unknown, field: string): boolean {
    if (typeof x !== "boolean") this.fail(field, `must be true or false, got ${JSON.stringify(x)}`);
    return x as boolean;
  }
  num(x: unknown, field: string, ok: (n: number) => boolean, what: string): number {
    if (typeof x !== "number" || !Number.isFinite(x) || !ok(x)) this.fail(field, `must be ${what}, got ${JSON.stringify(x)}`);
    return x as number;
  }
  oneOf(x: unknown, field: string, options: string[]): string {
    if (typeof x !== "string" || !options.includes(x)) this.fail(field, `must be one of ${options.join(", ")}, got ${JSON.stringify(x)}`);
    return x as string;
  }
  absent(x: unknown, field: string, kind: string): null {
    if (x !== undefined && x !== null) this.fail(field, `is only allowed for an ssh testbed (this one is ${kind})`);
    return null;
  }
  strList(x: unknown, field: string): string[] {
    if (!Array.isArray(x) || !x.every((s) => typeof s === "string")) this.fail(field, `must be an array of strings, got ${JSON.stringify(x)}`);
    return x as string[];
  }
  cpuList(x: unknown, field: string): string {
    if (typeof x !== "string" || !/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(x)) this.fail(field, `must be a cpu list such as "1" or "0-1", got ${JSON.stringify(x)}`);
    return x as string;
  }
  ipv4(x: unknown, field: string): string {
    const ok = typeof x === "string" && /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(x) && x.split(".").every((p) => Number(p) <= 255);
    if (!ok) this.fail(field, `must be an IPv4 address, got ${JSON.stringify(x)}`);
    return x as string;
  }
  sysctls(x: unknown, field: string): Record<string, string> {
    const o = this.object(x, field);
    const out: Record<string, string> = {};
    for (const [k, val] of Object.entries(o)) {
      if (k === "$comment") continue;
      if (!/^[a-z0-9_]+(\.[a-z0-9_]+)+$/.test(k)) this.fail(`${field}.${k}`, `is not a sysctl name`);
      if (typeof val !== "string" && typeof val !== "number") this.fail(`${field}.${k}`, `must be a string or number, got ${JSON.stringify(val)}`);
      out[k] = String(val);
    }
    return out;
  }
}
