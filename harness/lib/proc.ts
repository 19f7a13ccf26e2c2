// Background processes the harness starts: tracked by PID so that a stop, an error or Ctrl-C ends exactly them.
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, type WriteStream } from "node:fs";
import { createInterface } from "node:readline";
import { kernelWaits } from "../../lib/procfs.ts";

export interface Proc {
  name: string;
  child: ChildProcess;
  pid: number;
  /** resolves with the exit code (or the signal's name) when the process has exited */
  exited: Promise<number | string>;
  exitStatus: number | string | null;
  /** stdout lines seen so far (kept only when asked) */
  lines: string[];
  /** calls fn on every stdout line from now on */
  onLine(fn: (line: string) => void): void;
}

/** Every live process we started; `stopAll` ends them (Ctrl-C, errors). */
const live = new Set<Proc>();

export interface StartOptions {
  stdoutFile?: string;   // copy stdout here
  stderrFile?: string;   // copy stderr here
  keepLines?: boolean;   // keep stdout lines in memory (small outputs only)
  env?: NodeJS.ProcessEnv;
}

/** Starts argv in its own process group (so a wrapper such as `ip netns exec` and what it runs are ended together). */
export function start(name: string, argv: string[], o: StartOptions = {}): Proc {
  const child = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "pipe"], detached: true, env: o.env ?? process.env });
  const listeners: Array<(l: string) => void> = [];
  const p: Proc = {
    name, child, pid: child.pid ?? -1, lines: [], exitStatus: null,
    exited: new Promise((resolve) => {
      child.on("exit", (code, sig) => { p.exitStatus = code ?? sig ?? "unknown"; live.delete(p); resolve(p.exitStatus); });
      child.on("error", (e) => { p.exitStatus = `spawn failed: ${e.message}`; live.delete(p); resolve(p.exitStatus); });
    }),
    onLine: (fn) => { listeners.push(fn); },
  };
  const files: WriteStream[] = [];
  const tee = (stream: NodeJS.ReadableStream, file?: string) => {
    if (!file) { stream.resume(); return; }
    const w = createWriteStream(file);
    files.push(w);
    stream.pipe(w);
  };
  tee(child.stderr!, o.stderrFile);
  if (o.stdoutFile) { const w = createWriteStream(o.stdoutFile); files.push(w); child.stdout!.pipe(w); }
  createInterface({ input: child.stdout! }).on("line", (line) => {
    if (o.keepLines) p.lines.push(line);
    for (const fn of listeners) fn(line);
  });
  if (p.pid > 0) live.add(p);
  return p;
}

/** Sends a signal to the process group of p (its own PID), ignoring a group that is already gone. */
export function signal(p: Proc, sig: NodeJS.Signals): void {
  if (p.exitStatus !== null) return;
  try { process.kill(-p.pid, sig); } catch { /* already exited */ }
}

/** p's value, or "timeout" after ms; the timer is cleared either way, and holds the event loop while it runs. */
async function within<T>(p: Promise<T>, ms: number): Promise<T | "timeout"> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** SIGTERM, then SIGKILL after graceMs; resolves with how it ended and whether it needed the SIGKILL. A process
 *  still there killWaitMs after SIGKILL is stuck in the kernel (a thread in uninterruptible sleep): that throws,
 *  rather than hang the run, naming what its threads wait on. After a SIGKILL, `waits` says what the process and its
 *  descendants waited on when the grace ran out. */
export async function stop(p: Proc, graceMs = 5000, killWaitMs = 60_000): Promise<{ status: number | string; killed: boolean; waits?: string }> {
  if (p.exitStatus !== null) return { status: p.exitStatus, killed: false };
  signal(p, "SIGTERM");
  if ((await within(p.exited, graceMs)) !== "timeout") return { status: p.exitStatus!, killed: false };
  const waits = kernelWaits(p.pid); // what held it, seen before the kill ends it
  signal(p, "SIGKILL");
  const status = await within(p.exited, killWaitMs);
  if (status === "timeout") {
    throw new Error(`${p.name} (pid ${p.pid}) did not exit ${killWaitMs / 1000} s after SIGKILL; its threads wait in the kernel: ${kernelWaits(p.pid)}`);
  }
  return { status, killed: true, waits };
}

/** Ends every process still running (Ctrl-C, error paths). */
export async function stopAll(graceMs = 3000): Promise<void> {
  await Promise.all([...live].map((p) => stop(p, graceMs)));
}

export function liveProcesses(): Proc[] {
  return [...live];
}

/** Waits for the first stdout line satisfying pred, or fails when the process exits or time runs out. */
export function waitForLine(p: Proc, pred: (line: string) => boolean, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (f: () => void) => { if (!done) { done = true; clearTimeout(t); f(); } };
    const t = setTimeout(() => finish(() => reject(new Error(`${p.name}: no expected output within ${timeoutMs} ms`))), timeoutMs);
    p.onLine((l) => { if (pred(l)) finish(() => resolve(l)); });
    p.exited.then((s) => finish(() => reject(new Error(`${p.name} exited (${s}) before it was ready`))));
  });
}

/** Runs argv to completion, returning its exit code and output (for short commands). */
export function run(argv: string[], timeoutMs = 60_000): Promise<{ code: number | string; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "", stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const t = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (e) => { clearTimeout(t); resolve({ code: `spawn failed: ${e.message}`, stdout, stderr }); });
    child.on("exit", (code, sig) => { clearTimeout(t); resolve({ code: code ?? sig ?? "unknown", stdout, stderr }); });
  });
}
