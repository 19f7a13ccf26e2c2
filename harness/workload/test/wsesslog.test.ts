// Tests that the --wsesslog reader follows httperf 0.9.0's rules and that the writer's output reads back unchanged.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { SessionLogError, formatSessionLog, parseSessionLog, type LogSession } from "../wsesslog.ts";

test("httperf's man-page example: bursts, indented lines, think= on the burst, methods, sessions", () => {
  const text = [
    "# comment",
    "/foo.html think=2.0",
    "    /pict1.gif",
    "\t/pict2.gif",
    "/foo2.html method=HEAD",
    "    /pict3.gif",
    "",
    "",
    "   ", // whitespace only: still one delimiter, no empty session
    "/foo3.html",
    "/foo4.html method=HEAD",
  ].join("\n");
  const sessions = parseSessionLog(text);
  assert.equal(sessions, [
    {
      bursts: [
        { requests: [{ uri: "/foo.html", method: "GET" }, { uri: "/pict1.gif", method: "GET" }, { uri: "/pict2.gif", method: "GET" }], thinkS: 2 },
        { requests: [{ uri: "/foo2.html", method: "HEAD" }, { uri: "/pict3.gif", method: "GET" }], thinkS: null },
      ],
    },
    {
      bursts: [
        { requests: [{ uri: "/foo3.html", method: "GET" }], thinkS: null },
        { requests: [{ uri: "/foo4.html", method: "HEAD" }], thinkS: null },
      ],
    },
  ]);
});

test("think= on an indented line sets its burst's think time; a session's first line starts a burst even if indented", () => {
  const sessions = parseSessionLog("\t/a\n\t/b think=0.5\n/c think=1e-3\n");
  assert.equal(sessions[0].bursts.map((b) => [b.requests.length, b.thinkS]), [[2, 0.5], [1, 0.001]]);
});

test("'#' is a comment only in column 0; CRLF line ends are whitespace", () => {
  const sessions = parseSessionLog("/a#b\r\n \t#x\r\n\r\n/c\r\n");
  assert.equal(sessions.length, 2);
  assert.equal(sessions[0].bursts[0].requests.map((r) => r.uri), ["/a#b", "#x"]);
});

test("errors name the file and line", () => {
  const cases: Array<[string, number, RegExp]> = [
    ["/a\n/b thinc=1\n", 2, /unrecognised argument 'thinc=1'/],
    ["/a think=-1\n", 1, /think= needs seconds/],
    ["/a think=abc\n", 1, /think= needs seconds/],
    ["/a\n\n/b method=FETCH\n", 3, /unknown method 'FETCH'/],
    ["/a contents='x'\n", 1, /contents= .* not supported/],
    ["/" + "x".repeat(10_000) + "\n", 1, /longer than/],
  ];
  for (const [text, line, message] of cases) {
    try {
      parseSessionLog(text, "bad.log");
      assert.unreachable(`should fail: ${text.slice(0, 40)}`);
    } catch (e) {
      assert.instance(e, SessionLogError);
      const err = e as SessionLogError;
      assert.is(err.line, line);
      assert.ok(err.message.startsWith(`bad.log:${line}: `), err.message);
      assert.match(err.message, message);
    }
  }
});

test("more than httperf's 1,000 sessions in one file is an error unless a larger limit is asked for", () => {
  const sessions = (n: number) => Array.from({ length: n }, (_, i) => `/s${i}`).join("\n\n") + "\n";
  assert.is(parseSessionLog(sessions(1000)).length, 1000);
  assert.throws(() => parseSessionLog(sessions(1001), "big.log"), /big\.log:2001: more than 1000 sessions in one file \(httperf's limit\)/);
  assert.is(parseSessionLog(sessions(1001), "big.log", 5000).length, 1001);
  assert.throws(() => parseSessionLog(sessions(6), "six.log", 5), /six\.log:11: more than 5 sessions in one file$/);
  const many = Array.from({ length: 1001 }, () => ({ bursts: [{ requests: [{ uri: "/a", method: "GET" }], thinkS: null }] }));
  assert.throws(() => formatSessionLog([], many), /at most 1000 sessions per file, got 1001/);
  assert.is(parseSessionLog(formatSessionLog([], many, 2000), "f", 2000).length, 1001);
});

test("formatSessionLog output parses back to the same sessions (think after the last burst dropped)", () => {
  const sessions: LogSession[] = [
    { bursts: [{ requests: [{ uri: "/a", method: "GET" }, { uri: "/b", method: "HEAD" }], thinkS: 0.25 }, { requests: [{ uri: "/c", method: "GET" }], thinkS: null }] },
    { bursts: [{ requests: [{ uri: "/d", method: "GET" }], thinkS: 3.1234 }, { requests: [{ uri: "/e", method: "GET" }], thinkS: 9 }] },
  ];
  const text = formatSessionLog(["a header", "seed=1"], sessions);
  assert.ok(text.startsWith("# a header\n# seed=1\n"));
  assert.equal(parseSessionLog(text), [
    sessions[0],
    { bursts: [{ requests: [{ uri: "/d", method: "GET" }], thinkS: 3.123 }, { requests: [{ uri: "/e", method: "GET" }], thinkS: null }] },
  ]);
  assert.throws(() => formatSessionLog([], [{ bursts: [{ requests: [{ uri: "/a b", method: "GET" }], thinkS: null }] }]), /one word/);
  assert.throws(() => formatSessionLog(["x\ny"], []), /newline/);
});

test.run();
