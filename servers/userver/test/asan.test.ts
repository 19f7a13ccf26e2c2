// The conformance suite against the ASan+UBSan build: each architecture once, the event mechanisms spread over them.
import { conformanceSuite } from "../../test/conformance.ts";
import { buildServer, serverBin } from "../../test/lib.ts";
import { ARCHITECTURES } from "./architectures.ts";

buildServer("userver");

const EVENTS = ["epoll", "select", "poll", "epoll"];

Object.entries(ARCHITECTURES).forEach(([arch, args], i) =>
  conformanceSuite(`userver (ASan+UBSan) ${arch} ${EVENTS[i]}`, { bin: serverBin("userver", "asan"), args: [...args, "--events", EVENTS[i]] }),
);
