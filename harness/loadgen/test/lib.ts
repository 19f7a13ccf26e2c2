// Helpers of the load generator's tests: session logs and a scriptable HTTP server (running it: ../launch.ts).
import net from "node:net";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathSize } from "../../../lib/specweb.ts";

/** Writes a session log into `dir` and returns its path. */
export function writeLog(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/**
 * A raw-socket HTTP/1.1 server whose behaviour each URI chooses, so every error class can be produced:
 *   .../classC_F       200 with the SPECweb99 size of that file (bytes of 'x'), keep-alive
 *   /close/...         the same with `Connection: close`, then closes
 *   /stall             accepts the request and never answers
 *   /reset             answers with a TCP reset
 *   /garbage           answers with bytes that are not HTTP
 *   /truncated         promises 100 bytes, sends 10, closes
 *   anything else      404 with a short body
 */
export interface TestServer { port: number; connections: () => number; close: () => Promise<void> }

export async function startTestServer(): Promise<TestServer> {
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const reply = (sock: net.Socket, uri: string): boolean => {
    const size = pathSize(uri);
    if (uri.startsWith("/stall")) return false;
    if (uri.startsWith("/reset")) {
      sock.resetAndDestroy();
      return false;
    }
    if (uri.startsWith("/garbage")) {
      sock.write("NOT HTTP AT ALL\r\n\r\n");
      return false;
    }
    if (uri.startsWith("/truncated")) {
      sock.end("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
      return false;
    }
    const close = uri.startsWith("/close/");
    const body = size !== null ? Buffer.alloc(size, "x") : Buffer.from("not found\n");
    const head = `HTTP/1.1 ${size !== null ? "200 OK" : "404 Not Found"}\r\nContent-Length: ${body.length}\r\n` +
      (close ? "Connection: close\r\n" : "") + "\r\n";
    sock.write(Buffer.concat([Buffer.from(head), body]));
    if (close) sock.end();
    return !close;
  };
  const server = net.createServer((sock) => {
    connections++;
    sockets.add(sock);
    sock.on("close", () => sockets.delete(sock));
    sock.on("error", () => {});
    let buf = "", alive = true;
    sock.on("data", (d) => {
      buf += d.toString("latin1");
      let end: number;
      while (alive && (end = buf.indexOf("\r\n\r\n")) >= 0) {
        const uri = buf.slice(0, end).split(" ")[1] ?? "/";
        buf = buf.slice(end + 4);
        alive = reply(sock, uri); // after a stall, reset or close, later pipelined requests get nothing
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => connections,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
