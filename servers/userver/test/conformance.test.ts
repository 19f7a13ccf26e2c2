// The conformance suite for userver's four architectures (SPED, SYMPED-4p, shared-SYMPED-10p, blocking-100p) × three event mechanisms.
import { conformanceSuite } from "../../test/conformance.ts";
import { buildServer, serverBin } from "../../test/lib.ts";
import { ARCHITECTURES } from "./architectures.ts";

buildServer("userver");

for (const [arch, args] of Object.entries(ARCHITECTURES))
  for (const events of ["poll", "select", "epoll"])
    conformanceSuite(`userver ${arch} ${events}`, { bin: serverBin("userver"), args: [...args, "--events", events] });
