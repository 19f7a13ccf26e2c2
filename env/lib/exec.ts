// Runs the testbed's commands locally or over ssh, or prints them (dry run); every change is an argv.
import { execFile } from "node:child_process";
import type { Config } from "./config.ts";

/** One command of a plan: where it runs (null = this machine, else an ssh target) and why. */
export interface Action {
  on: string | null;
  argv: string[];
  why: string;
}

export interface ExecOptions {
  dryRun?: boolean;                 // print every command instead of running it
  log?: (line: string) => void;     // progress and dry-run output
  signal?: AbortSignal;             // checked between commands: Ctrl-C stops a plan at a clean point
}

/** Quotes one word for a POSIX shell. */
export function shq(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The argv that runs `argv` on an ssh target: ssh joins its arguments into one remote shell line, so quote them. */
export function sshArgv(cfg: Config, target: string, argv: string[]): string[] {
  const remote = cfg.ssh.sudo ? ["sudo", "-n", ...argv] : argv;
  return ["ssh", ...cfg.ssh.options, target, "--", remote.map(shq).join(" ")];
}

/** The argv this machine actually executes for an action. */
export function localArgv(cfg: Config, a: Pick<Action, "on" | "argv">): string[] {
  return a.on === null ? a.argv : sshArgv(cfg, a.on, a.argv);
}

/** Runs an argv and returns its stdout; the error names the command and carries its stderr. */
export function run(argv: string[]): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile(argv[0], argv.slice(1), { maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${argv.map(shq).join(" ")} failed: ${String(stderr).trim() || err.message}`));
      else resolvePromise(String(stdout));
    });
  });
}

/** Executes a plan in order (or prints it); stops before the next command once the signal is aborted. */
export async function runPlan(cfg: Config, plan: Action[], opts: ExecOptions = {}): Promise<void> {
  const log = opts.log ?? (() => {});
  for (const a of plan) {
    if (opts.signal?.aborted) throw new AbortError();
    const argv = localArgv(cfg, a);
    if (opts.dryRun) {
      log(`# ${a.why}\n${argv.map(shq).join(" ")}`);
      continue;
    }
    try {
      await run(argv);
    } catch (e) {
      throw new Error(`${a.why}: ${(e as Error).message}`);
    }
  }
}

export class AbortError extends Error {
  constructor() {
    super("interrupted");
    this.name = "AbortError";
  }
}
