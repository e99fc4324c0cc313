/**
 * Child processes for multi-process tests: every process started through a
 * `ProcessGroup` is killed by `killAll()` (tests call it in afterAll) and, if
 * the test runner itself dies first, by an exit hook, so nothing is left
 * running even when a test fails half-way.
 */
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";

export interface Managed {
  readonly name: string;
  readonly child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `re` in its stdout (or stderr) so far; rejects if the process exits first or after `timeoutMs`. */
  waitFor(re: RegExp, timeoutMs?: number, stream?: "stdout" | "stderr"): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (or the signal name) once the process has ended. */
  readonly exited: Promise<number | string>;
  /** SIGKILL, no goodbye: the crash case. */
  kill9(): Promise<number | string>;
  /** SIGTERM, then SIGKILL if it has not ended after `graceMs`. */
  stop(graceMs?: number): Promise<number | string>;
}

export class ProcessGroup {
  private readonly live = new Set<Managed>();
  private readonly onExit = () => {
    for (const m of this.live) m.child.kill("SIGKILL");
  };

  constructor() {
    process.once("exit", this.onExit);
  }

  start(name: string, command: string, args: string[], options: SpawnOptions = {}): Managed {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], ...options });
    let out = "";
    let err = "";
    const waiters = new Set<() => void>();
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      for (const w of waiters) w();
    });
    child.stderr!.on("data", (d: Buffer) => {
      err += d.toString();
      for (const w of waiters) w();
    });
    const exited = new Promise<number | string>((resolve) => {
      child.once("exit", (code, signal) => {
        this.live.delete(m);
        for (const w of waiters) w();
        resolve(code ?? signal ?? -1);
      });
    });
    const ended = () => child.exitCode !== null || child.signalCode !== null;
    const m: Managed = {
      name,
      child,
      stdout: () => out,
      stderr: () => err,
      exited,
      waitFor: (re, timeoutMs = 60_000, stream = "stdout") =>
        new Promise((resolve, reject) => {
          const check = () => {
            const hit = (stream === "stdout" ? out : err).match(re);
            if (hit) {
              cleanup();
              resolve(hit);
            } else if (ended()) {
              cleanup();
              reject(new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before printing ${re}\n--- stdout\n${out}\n--- stderr\n${err}`));
            }
          };
          const timer = setTimeout(() => {
            cleanup();
            reject(new Error(`${name} did not print ${re} within ${timeoutMs} ms\n--- stdout\n${out}\n--- stderr\n${err}`));
          }, timeoutMs);
          const cleanup = () => {
            clearTimeout(timer);
            waiters.delete(check);
          };
          waiters.add(check);
          check();
        }),
      kill9: async () => {
        if (!ended()) child.kill("SIGKILL");
        return exited;
      },
      stop: async (graceMs = 5000) => {
        if (ended()) return exited;
        child.kill("SIGTERM");
        const force = setTimeout(() => child.kill("SIGKILL"), graceMs);
        const r = await exited;
        clearTimeout(force);
        return r;
      },
    };
    this.live.add(m);
    return m;
  }

  /** Processes still running. */
  running(): Managed[] {
    return [...this.live];
  }

  /** Stops every process (SIGTERM, then SIGKILL), and waits until all have ended. */
  async killAll(graceMs = 3000): Promise<void> {
    await Promise.all([...this.live].map((m) => m.stop(graceMs)));
    process.removeListener("exit", this.onExit);
  }
}
