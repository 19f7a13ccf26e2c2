// Tests reading the machine's identity from the kernel's texts (a paravirtualised guest, a bare machine, dmesg unreadable
// or overwritten since boot).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { guestUnchecked, machineDifferences, machineIdentity, parseMachine } from "../machine.ts";

const CPUINFO = "processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu tsc x2apic hypervisor\n\nprocessor\t: 1\nmodel name\t: AMD EPYC\nflags\t\t: fpu tsc x2apic hypervisor\n";
const DMESG = "[    0.000000] Linux version 6.18.44 (gcc 12)\n[    0.000000] Hypervisor detected: PVM\n[    0.000022] pvm-pv: running under PVM (pv-lite)\n[    0.064981] Booting paravirtualized kernel on PVM\n";

test("a paravirtualised guest: hypervisor, paravirt and its driver's note from dmesg", () => {
  assert.equal(parseMachine(CPUINFO, DMESG, null, "kvm-clock", "6.18.44"), {
    cpuModel: "AMD EPYC", cpus: 2, hypervisorFlag: true, hypervisor: "PVM", paravirt: "PVM",
    paravirtNotes: ["pvm-pv: running under PVM (pv-lite)"], clocksource: "kvm-clock", kernel: "6.18.44", dmesgReadable: true,
  });
});

test("bare hardware, and a guest whose dmesg cannot be read", () => {
  const bare = parseMachine(CPUINFO.replaceAll(" hypervisor", ""), "[    0.00] Linux version 6.1\n[    0.05] Booting paravirtualized kernel on bare hardware\n", null, "tsc", "6.1");
  assert.is(bare.hypervisorFlag, false);
  assert.is(bare.hypervisor, null);
  assert.is(bare.paravirt, "bare hardware");
  const hidden = parseMachine(CPUINFO, null, "xen", null, "6.1");
  assert.equal([hidden.hypervisorFlag, hidden.hypervisor, hidden.paravirt, hidden.dmesgReadable], [true, "xen", null, false]);
});

test("a run may go on only on the same kind of machine: CPU, guest kind and kernel; the clock source may differ", () => {
  const amd = parseMachine(CPUINFO, DMESG, null, "kvm-clock", "6.18.44");
  assert.equal(machineDifferences(amd, { ...amd, clocksource: "tsc", paravirtNotes: [] }), []);
  const intel = { ...amd, cpuModel: "Intel(R) Xeon(R) Platinum 8481C CPU @ 2.70GHz", hypervisor: "KVM" };
  assert.equal(machineDifferences(amd, intel), [`cpuModel "AMD EPYC" → "${intel.cpuModel}"`, `hypervisor "PVM" → "KVM"`]);
  assert.equal(machineDifferences({ cpuModel: "AMD EPYC" }, amd).map((d) => d.split(" ")[0]), ["cpus", "hypervisor", "paravirt", "kernel"], "a record without the other fields differs in each one that is known now");
});

test("a kernel log overwritten since boot leaves the guest kind unknown, and a resume checks the rest", () => {
  const amd = parseMachine(CPUINFO, DMESG, null, "kvm-clock", "6.18.44");
  const later = parseMachine(CPUINFO, "[10924.352565]  ? __raw_callee_save_pvm_irq_enable+0x11/0x30\n", null, "kvm-clock", "6.18.44");
  assert.equal([later.hypervisor, later.paravirt, later.paravirtNotes, later.dmesgReadable], [null, null, [], false]);
  assert.ok(guestUnchecked(amd, later));
  assert.equal(machineDifferences(amd, later), []);
  assert.equal(machineDifferences(amd, { ...later, kernel: "6.1" }), [`kernel "6.18.44" → "6.1"`]);
  assert.ok(!guestUnchecked(amd, amd));
});

test("this machine has a CPU model, a processor count and a kernel release", () => {
  const m = machineIdentity();
  assert.ok(m.cpuModel.length > 0 && m.cpus >= 1 && m.kernel.length > 0, JSON.stringify(m));
});

test.run();
