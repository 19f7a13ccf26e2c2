// Where the testbed's cgroup v1 folders live.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "./config.ts";

export type Controller = "cpuset" | "cpu" | "cpuacct" | "memory" | "blkio";
export const SERVER_CONTROLLERS: Controller[] = ["cpuset", "cpu", "cpuacct", "memory", "blkio"];
export const CLIENT_CONTROLLERS: Controller[] = ["cpuset", "cpuacct"];

/** Mount point of each cgroup v1 controller: read from this machine's mount table, assumed standard over ssh. */
export function controllerMounts(cfg: Config): Record<Controller, string> {
  const all = [...SERVER_CONTROLLERS];
  if (cfg.kind === "ssh") return Object.fromEntries(all.map((c) => [c, `/sys/fs/cgroup/${c}`])) as Record<Controller, string>;
  const found: Partial<Record<Controller, string>> = {};
  for (const line of readFileSync("/proc/self/mounts", "utf8").split("\n")) {
    const [, dir, type, options] = line.split(" ");
    if (type !== "cgroup") continue;
    for (const opt of options.split(",")) if ((all as string[]).includes(opt)) found[opt as Controller] = dir;
  }
  const missing = all.filter((c) => !found[c]);
  if (missing.length) throw new Error(`cgroup v1 controller(s) not mounted: ${missing.join(", ")} (the emulated testbed needs cgroup v1 cpuset, cpu, cpuacct, memory and blkio)`);
  return found as Record<Controller, string>;
}

/** The controllers a host is confined by. */
export function hostControllers(cfg: Config, host: string): Controller[] {
  if (host === "server") return SERVER_CONTROLLERS;
  const client = cfg.clients.find((c) => c.name === host);
  if (!client) throw new Error(`unknown host ${JSON.stringify(host)} (hosts: server, ${cfg.clients.map((c) => c.name).join(", ")})`);
  return client.cpus === null ? [] : CLIENT_CONTROLLERS;
}

/** One host's cgroup folder in each of its controllers (co-mounted controllers share one folder). */
export function hostCgroupDirs(cfg: Config, host: string, mounts = controllerMounts(cfg)): Partial<Record<Controller, string>> {
  return Object.fromEntries(hostControllers(cfg, host).map((c) => [c, join(mounts[c], cfg.cgroupParent, host)]));
}

/** The distinct folders, in creation order (parents first), of the cgroup parent path in the given controllers. */
export function parentDirs(cfg: Config, mounts = controllerMounts(cfg), controllers: Controller[] = SERVER_CONTROLLERS): string[] {
  const parts = cfg.cgroupParent.split("/");
  const dirs: string[] = [];
  for (const mount of new Set(controllers.map((c) => mounts[c]))) {
    for (let i = 1; i <= parts.length; i++) dirs.push(join(mount, ...parts.slice(0, i)));
  }
  return dirs;
}
