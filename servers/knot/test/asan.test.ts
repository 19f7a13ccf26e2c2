// The ASan+UBSan build of knot through the shared conformance suite and knot's own tests, for all three variants:
// any sanitizer report on stderr, or a non-zero exit (LeakSanitizer), fails them.
import { execFileSync } from "node:child_process";
import { conformanceSuite } from "../../test/conformance.ts";
import { serverBin } from "../../test/lib.ts";
import { knotSuite } from "./knot-tests.ts";

execFileSync("make", ["-s", "-C", new URL("..", import.meta.url).pathname, "test-builds"], { stdio: "inherit" });
const bin = serverBin("knot", "asan");
conformanceSuite("asan knot-c", { bin, args: ["--variant", "c", "--workers", "8", "--cache-mb", "64"] });
conformanceSuite("asan knot-nb", { bin, args: ["--variant", "nb", "--workers", "8"] });
conformanceSuite("asan knot-b", { bin, args: ["--variant", "b", "--workers", "8"] });
knotSuite("asan knot", bin);
