// The machine a result was measured on, as its kernel reports it: CPU model, hypervisor and paravirtualisation, clock
// source, kernel release. Profiles and the CPU quota behave differently from one kind of guest to another, so every
// run records this (run.json's `machine`) and every figure's caption shows it.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { release } from "node:os";

export interface MachineIdentity {
  cpuModel: string;            // /proc/cpuinfo "model name"
  cpus: number;                // processors in /proc/cpuinfo
  hypervisorFlag: boolean;     // the CPU's "hypervisor" flag: running as a guest
  hypervisor: string | null;   // who: dmesg "Hypervisor detected: X", else /sys/hypervisor/type; null if not said
  paravirt: string | null;     // dmesg "Booting paravirtualized kernel on X" (X may be "bare hardware")
  paravirtNotes: string[];     // dmesg lines of the paravirt drivers saying how they run (e.g. "running under PVM (pv-lite)")
  clocksource: string | null;  // the kernel's current clock source
  kernel: string;              // kernel release
  dmesgReadable: boolean;      // false when dmesg no longer holds the boot messages (unreadable, or overwritten since
                               // boot): then hypervisor and paravirt come from /sys only and are unknown, not absent
}

const read = (path: string) => (existsSync(path) ? readFileSync(path, "utf8").trim() : null);

/** Reads the identity from /proc/cpuinfo and dmesg texts (the parsing, apart from where the texts come from). */
export function parseMachine(cpuinfo: string, dmesg: string | null, sysHypervisor: string | null, clocksource: string | null,
  kernel: string): MachineIdentity {
  const field = (name: string) => new RegExp(`^${name}\\s*:\\s*(.*)$`, "m").exec(cpuinfo)?.[1].trim();
  const flags = (field("flags") ?? "").split(/\s+/);
  // the kernel log is a ring: on a machine up long enough the boot's first lines, which name the hypervisor, are gone
  const boot = dmesg !== null && /\] Linux version /.test(dmesg) ? dmesg : null;
  const said = (re: RegExp) => (boot ? re.exec(boot)?.[1].trim() ?? null : null);
  return {
    cpuModel: field("model name") ?? "unknown",
    cpus: (cpuinfo.match(/^processor\s*:/gm) ?? []).length,
    hypervisorFlag: flags.includes("hypervisor"),
    hypervisor: said(/Hypervisor detected: (.+)$/m) ?? sysHypervisor,
    paravirt: said(/Booting paravirtualized kernel on (.+)$/m),
    paravirtNotes: boot ? [...boot.matchAll(/^\[[\s\d.]+\]\s+([\w-]+: running (?:under|on) .+)$/gm)].map((m) => m[1].trim()) : [],
    clocksource,
    kernel,
    dmesgReadable: boot !== null,
  };
}

/** This machine's identity. */
export function machineIdentity(): MachineIdentity {
  let dmesg: string | null = null;
  try { dmesg = execFileSync("dmesg", { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 5000 }); } catch { /* not readable */ }
  return parseMachine(read("/proc/cpuinfo") ?? "", dmesg, read("/sys/hypervisor/type"),
    read("/sys/devices/system/clocksource/clocksource0/current_clocksource"), release());
}

/** The fields in which two machines differ as far as a measurement is concerned (CPU, guest kind, kernel); empty when
 *  a run begun on one may go on on the other. The guest kind is compared only when both identities read it from the
 *  boot messages (see guestUnchecked). */
export function machineDifferences(was: Partial<MachineIdentity>, now: MachineIdentity): string[] {
  const keys = guestUnchecked(was, now) ? ["cpuModel", "cpus", "kernel"] as const
    : ["cpuModel", "cpus", "hypervisor", "paravirt", "kernel"] as const;
  return keys.filter((k) => JSON.stringify(was[k] ?? null) !== JSON.stringify(now[k] ?? null))
    .map((k) => `${k} ${JSON.stringify(was[k] ?? null)} → ${JSON.stringify(now[k])}`);
}

/** True when one of the two identities could not read the boot messages, so their hypervisors cannot be compared. */
export function guestUnchecked(was: Partial<MachineIdentity>, now: MachineIdentity): boolean {
  return was.dmesgReadable === false || !now.dmesgReadable;
}
