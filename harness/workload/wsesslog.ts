// Reads and writes httperf --wsesslog session files, following the rules of httperf 0.9.0's parser.
//
// httperf's rules (gen/wsesslog.c and `man httperf`):
//   - a line whose first character is '#' is a comment (a '#' anywhere else belongs to the URI);
//   - a line with only whitespace ends the current session (several blank lines make no empty sessions);
//   - any other line is one request: its first word is the URI, further words are `method=M`, `think=SECONDS`
//     or `contents=DATA`;
//   - a request line starting in column 0 starts a new burst; one starting with whitespace joins the current
//     burst (the first request of a session always starts a burst, indented or not);
//   - `think=` on any line of a burst sets the user think time that follows that burst (after its last reply,
//     before the next burst is issued); bursts without it use the X of --wsesslog=N,X,F;
//   - within a burst, httperf sends the first request, waits for its reply, then sends the rest;
//   - at most 1,000 sessions per file (MAX_SESSION_TEMPLATES), and lines shorter than 10,000 characters.
// The 1,000-session rule is httperf's, not the format's: harness/loadgen has no such limit, so callers that write
// logs for it alone (a point's sessions must not repeat, or the workload touches a small part of the file set)
// pass a larger `maxSessions`.
// This parser is stricter than httperf where httperf silently accepts nonsense: a method must match exactly
// (httperf compares prefixes), think= must be a whole non-negative number, and contents= (request bodies, which
// this project never sends) is refused rather than half-supported.

/** httperf's limit on session templates in one --wsesslog file. */
export const HTTPERF_MAX_SESSIONS = 1000;
/** httperf reads lines into a 10,000-byte buffer; longer lines would be split. */
export const MAX_LINE_CHARS = 9999;

const METHODS = ["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT", "TRACE"];

export interface LogRequest { uri: string; method: string }
/** thinkS: seconds of user think time after this burst, or null for httperf's --wsesslog default. */
export interface LogBurst { requests: LogRequest[]; thinkS: number | null }
export interface LogSession { bursts: LogBurst[] }

/** A malformed session log; the message names the file and line, as the load generator's does. */
export class SessionLogError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    reason: string,
  ) {
    super(`${file}:${line}: ${reason}`);
    this.name = "SessionLogError";
  }
}

/** Parses the text of one --wsesslog file (`file` is used in error messages only). */
export function parseSessionLog(text: string, file = "<wsesslog>", maxSessions = HTTPERF_MAX_SESSIONS): LogSession[] {
  const sessions: LogSession[] = [];
  let current: LogSession | null = null;
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  lines.forEach((line, i) => {
    const lineNo = i + 1;
    const fail = (reason: string): never => {
      throw new SessionLogError(file, lineNo, reason);
    };
    if (line.length > MAX_LINE_CHARS) fail(`line longer than httperf's ${MAX_LINE_CHARS} characters`);
    if (line.startsWith("#")) return;
    const words = line.split(/[ \t\r\v\f]+/).filter((w) => w !== "");
    if (words.length === 0) {
      current = null; // session delimiter
      return;
    }
    const [uri, ...args] = words;
    const request: LogRequest = { uri, method: "GET" };
    let think: number | null = null;
    for (const arg of args) {
      const eq = arg.indexOf("=");
      const key = eq < 0 ? arg : arg.slice(0, eq);
      const value = arg.slice(eq + 1);
      if (key === "method") {
        if (!METHODS.includes(value)) fail(`unknown method '${value}'`);
        request.method = value;
      } else if (key === "think") {
        if (!/^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(value)) fail(`think= needs seconds ≥ 0, got '${value}'`);
        think = Number(value);
      } else if (key === "contents") {
        fail("contents= (request bodies) is not supported");
      } else {
        fail(`unrecognised argument '${arg}'`);
      }
    }
    if (current === null) {
      if (sessions.length === maxSessions) fail(`more than ${maxSessions} sessions in one file${maxSessions === HTTPERF_MAX_SESSIONS ? " (httperf's limit)" : ""}`);
      current = { bursts: [] };
      sessions.push(current);
    }
    const session: LogSession = current;
    const joinsBurst = /^\s/.test(line) && session.bursts.length > 0;
    if (!joinsBurst) session.bursts.push({ requests: [], thinkS: null });
    const burst = session.bursts[session.bursts.length - 1];
    burst.requests.push(request);
    if (think !== null) burst.thinkS = think;
  });
  return sessions;
}

/** Formats think times as httperf reads them: seconds with millisecond resolution (httperf's timer tick is 1 ms). */
export function formatThink(seconds: number): string {
  return seconds.toFixed(3);
}

/**
 * Writes sessions in --wsesslog format: `header` lines as comments, then sessions separated by a blank line,
 * every burst's first request in column 0 carrying `think=` (omitted after a session's last burst, where httperf
 * ignores it), further requests of a burst indented by a tab.
 */
export function formatSessionLog(header: ReadonlyArray<string>, sessions: ReadonlyArray<LogSession>, maxSessions = HTTPERF_MAX_SESSIONS): string {
  if (sessions.length > maxSessions) throw new RangeError(`at most ${maxSessions} sessions per file, got ${sessions.length}`);
  const out: string[] = header.map((h) => {
    if (h.includes("\n")) throw new RangeError(`a header line must not contain a newline: ${JSON.stringify(h)}`);
    return `# ${h}`.trimEnd();
  });
  for (const session of sessions) {
    out.push("");
    session.bursts.forEach((burst, b) => {
      burst.requests.forEach((req, r) => {
        if (!/^[^#\s]\S*$/.test(req.uri)) throw new RangeError(`a URI must be one word not starting with '#': ${JSON.stringify(req.uri)}`);
        const words = [req.uri];
        if (req.method !== "GET") words.push(`method=${req.method}`);
        if (r === 0 && burst.thinkS !== null && b < session.bursts.length - 1) words.push(`think=${formatThink(burst.thinkS)}`);
        out.push((r === 0 ? "" : "\t") + words.join(" "));
      });
    });
  }
  return out.join("\n") + "\n";
}
