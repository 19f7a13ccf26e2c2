// Shared by the env tests: a private emulated testbed (own name prefix and cgroup folder) and leftover checks.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_HOSTS_FILE, loadConfig, type Config } from "../lib/testbed.ts";
import { controllerMounts } from "../lib/cgroups.ts";
import { run } from "../lib/exec.ts";

/**
 * Writes a hosts file for a testbed private to this test process, so that tests never touch (or collide with)
 * the default "wp-"/"webarch" testbed another tool may have up. `tag` keeps files of one process apart.
 */
export function testHostsFile(tag: string, patch: (raw: any) => void = () => {}): string {
  const raw = JSON.parse(readFileSync(DEFAULT_HOSTS_FILE, "utf8"));
  const id = `t${process.pid % 100000}${tag}`;
  raw.prefix = `wp-${id}-`;
  raw.cgroupParent = `webarch/${id}`;
  patch(raw);
  const file = join(mkdtempSync(join(tmpdir(), "wp-env-")), "hosts.json");
  writeFileSync(file, JSON.stringify(raw, null, 2));
  return file;
}

export function testConfig(tag: string, patch?: (raw: any) => void): Config {
  return loadConfig(testHostsFile(tag, patch));
}

/** Everything of this testbed that is visible on the machine: namespaces, interfaces, cgroup folders. */
export async function leftovers(cfg: Config): Promise<string[]> {
  const found: string[] = [];
  for (const ns of (await run(["ip", "netns", "list"])).split("\n")) if (ns.startsWith(cfg.prefix)) found.push(`netns ${ns.split(" ")[0]}`);
  for (const line of (await run(["ip", "-o", "link", "show"])).split("\n")) {
    const name = line.split(": ")[1]?.split("@")[0];
    if (name?.startsWith(cfg.prefix)) found.push(`link ${name}`);
  }
  for (const mount of new Set(Object.values(controllerMounts(cfg)))) {
    const dir = join(mount, cfg.cgroupParent);
    if (existsSync(dir)) found.push(`cgroup ${dir}`);
  }
  return found;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const REPO = new URL("../..", import.meta.url).pathname;

/** Asserts that a promise-returning call fails, with a message matching `re` when given (uvu has no rejects). */
export async function rejects(fn: () => Promise<unknown>, re?: RegExp): Promise<Error> {
  try {
    await fn();
  } catch (e) {
    if (re && !re.test((e as Error).message)) throw new Error(`error ${JSON.stringify((e as Error).message)} does not match ${re}`);
    return e as Error;
  }
  throw new Error("expected a rejection, got success");
}
