// watpipe through the shared conformance suite: the paper's configuration (25 writers), a single writer (every
// reply through one thread), and the AddressSanitizer+UBSan and ThreadSanitizer builds.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { conformanceSuite } from "../../test/conformance.ts";
import { SERVERS_DIR, serverBin } from "../../test/lib.ts";

execFileSync("make", ["-s", "-C", join(SERVERS_DIR, "watpipe"), "all", "test-builds"], { stdio: "inherit" });

conformanceSuite("watpipe 25 writers", { bin: serverBin("watpipe"), args: ["--writers", "25"] });
conformanceSuite("watpipe 1 writer", { bin: serverBin("watpipe"), args: ["--writers", "1"] });
conformanceSuite("watpipe asan 5 writers", { bin: serverBin("watpipe", "asan"), args: ["--writers", "5"] });
conformanceSuite("watpipe tsan 5 writers", { bin: serverBin("watpipe", "tsan"), args: ["--writers", "5"] });
