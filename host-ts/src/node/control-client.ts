/** The client side of the control API (control-api.ts), for the CLI and tests. */
import { connect } from "node:net";
import { join } from "node:path";
import { CONTROL_SOCKET } from "./control-api.ts";

export class ControlError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = "ControlError";
  }
}

export interface ProgressEvent {
  stage: string;
  detail?: string;
}

/** One call: connects to DATA/control.sock, sends the request, streams progress, returns the result. */
export function controlCall(dataDir: string, method: string, params: Record<string, unknown> = {}, onProgress?: (e: ProgressEvent) => void): Promise<unknown> {
  const path = join(dataDir, CONTROL_SOCKET);
  return new Promise((resolve, reject) => {
    const s = connect(path);
    let buf = "";
    let settled = false;
    const done = (f: () => void) => {
      if (settled) return;
      settled = true;
      s.destroy();
      f();
    };
    s.setEncoding("utf8");
    s.once("connect", () => s.write(JSON.stringify({ id: 1, method, params }) + "\n"));
    s.on("data", (chunk: string) => {
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        let msg: { event?: string; result?: unknown; error?: { code: string; message: string }; stage?: string; detail?: string };
        try {
          msg = JSON.parse(line);
        } catch {
          done(() => reject(new ControlError("BAD_REPLY", "the node sent a line that is not JSON")));
          return;
        }
        if (msg.event === "progress") onProgress?.({ stage: String(msg.stage), detail: msg.detail });
        else if (msg.error) done(() => reject(new ControlError(msg.error!.code, msg.error!.message)));
        else if ("result" in msg) done(() => resolve(msg.result));
      }
    });
    s.on("error", (e: NodeJS.ErrnoException) => {
      const m = e.code === "ENOENT" || e.code === "ECONNREFUSED" ? `no node is running with data directory ${dataDir} (start one with \`mhr node start --data ${dataDir}\`)`
        : e.code === "EACCES" ? `permission denied on ${path}: the node belongs to another user`
        : `cannot reach the node at ${path}: ${e.message}`;
      done(() => reject(new ControlError(e.code ?? "CONNECT", m)));
    });
    s.on("close", () => done(() => reject(new ControlError("CLOSED", "the node closed the connection without answering"))));
  });
}
