// The shared black-box conformance suite, run against knot-c, knot-nb and knot-b (one thread per connection:
// the suite's --max-conns sets the thread count, 2,500 here, so its 2,000 concurrent connections all get a thread).
import { conformanceSuite } from "../../test/conformance.ts";
import { serverBin } from "../../test/lib.ts";

const bin = serverBin("knot");
conformanceSuite("knot-c", { bin, args: ["--variant", "c", "--workers", "8", "--cache-mb", "64"] });
conformanceSuite("knot-nb", { bin, args: ["--variant", "nb", "--workers", "8"] });
conformanceSuite("knot-b", { bin, args: ["--variant", "b", "--workers", "8"] });
