/**
 * The local control API is the owner's only (docs/NODE.md §13): a unix
 * socket of mode 0600 in a data directory of mode 0700. Another uid
 * (`nobody`, through runuser) is refused by the kernel — through the
 * directory, and through the socket's own mode when the directory is opened.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, rmSync, statSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryNetwork } from "../../src/node/memory-transport.ts";
import { MeshNode } from "../../src/node/mesh-node.ts";
import { controlCall, ControlError } from "../../src/node/control-client.ts";
import type { NodeStatus } from "../../src/node/mesh-node.ts";
import { sumJob, tempDir } from "./helpers.ts";

let node: MeshNode;
let dir: string;
beforeAll(async () => {
  dir = tempDir();
  node = await MeshNode.start({ dataDir: dir, profile: "community", engine: "reference", transport: (id) => new MemoryNetwork().transport("solo", { publicKey: id.publicKey }) });
});
afterAll(async () => {
  await node?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function rawLine(line: string): Promise<string[]> {
  return new Promise((resolve) => {
    const s = connect(join(dir, "control.sock"));
    let buf = "";
    s.on("data", (d) => (buf += d));
    s.on("close", () => resolve(buf.trim().split("\n")));
    s.on("connect", () => s.write(line + "\n"));
  });
}

const canSwitchUser = process.getuid?.() === 0 && spawnSync("runuser", ["--help"]).status === 0;

describe("control API", () => {
  it("is a 0600 socket in a 0700 directory", () => {
    const st = statSync(join(dir, "control.sock"));
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it("answers its owner: status and a local submit", async () => {
    const s = (await controlCall(dir, "status")) as NodeStatus;
    expect(s.nodeId).toBe(node.nodeId);
    const events: string[] = [];
    const r = (await controlCall(dir, "submit", { job: Buffer.from(sumJob(10)).toString("hex") }, (e) => events.push(e.stage))) as { ranOn: string; status: number };
    expect(r).toMatchObject({ ranOn: "local", status: 0 });
    expect(events).toContain("run");
  });

  it("refuses what is not a request, and unknown methods", async () => {
    const bad = await rawLine("not json");
    expect(JSON.parse(bad[0])).toMatchObject({ error: { code: "BAD_REQUEST" } });
    const unknown = await rawLine(JSON.stringify({ id: 3, method: "shell", params: {} }));
    expect(JSON.parse(unknown[0])).toMatchObject({ id: 3, error: { code: "BAD_REQUEST" } });
    await expect(controlCall(dir, "submit", { job: "zz" })).rejects.toThrow(/not hex/);
    await expect(controlCall(join(dir, "nowhere"), "status")).rejects.toThrow(ControlError);
  });

  it.skipIf(!canSwitchUser)("refuses another uid (runuser -u nobody), through the directory and through the socket's own mode", () => {
    const probe = `require("net").connect(${JSON.stringify(join(dir, "control.sock"))}).on("connect", () => { console.log("CONNECTED"); process.exit(0); }).on("error", (e) => { console.log(e.code); process.exit(0); });`;
    const asNobody = () => execFileSync("runuser", ["-u", "nobody", "--", process.execPath, "-e", probe], { encoding: "utf8" }).trim();
    expect(asNobody()).toBe("EACCES");
    chmodSync(dir, 0o711); // let nobody reach the socket: its 0600 mode must refuse on its own
    try {
      expect(asNobody()).toBe("EACCES");
    } finally {
      chmodSync(dir, 0o700);
    }
  });

  it.runIf(!canSwitchUser)("(skipped: switching to another uid needs root and runuser)", () => {
    expect(canSwitchUser).toBe(false);
  });
});
