// Runs the common core's C unit tests (cache, parser split at every byte, path checks) built with ASan+UBSan.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { buildServer, serverBin } from "../../test/lib.ts";

buildServer("common");

test("common-unit passes under ASan+UBSan", () => {
  const r = spawnSync(serverBin("common-unit", "asan"), { encoding: "utf8", timeout: 60_000 });
  assert.is(r.status, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /^all passed$/m);
  assert.not.match(r.stdout + r.stderr, /not ok|Sanitizer|runtime error/);
});

test.run();
