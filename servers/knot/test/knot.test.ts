// knot's own black-box tests (content cache, worker pool, sendfile wrappers, counters) on the release build.
import { serverBin } from "../../test/lib.ts";
import { knotSuite } from "./knot-tests.ts";

knotSuite("knot", serverBin("knot"));
