import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import sodium from "libsodium-wrappers";
import { ed25519 } from "@noble/curves/ed25519.js";
import { bytesToHex } from "../../src/model/bytes.ts";
import { identityFromSeed, loadOrCreateIdentity, nodeIdOf, verifySignature, IdentityError } from "../../src/node/identity.ts";

const dirs: string[] = [];
const tmp = () => { const d = mkdtempSync(join(tmpdir(), "mhr-id-")); dirs.push(d); return d; };
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

describe("identity (D1, D2)", () => {
  it("NodeID is Blake2b-256 of the public key, first 16 bytes (checked against libsodium's generichash)", async () => {
    await sodium.ready;
    const id = identityFromSeed(new Uint8Array(32).fill(7));
    expect(bytesToHex(id.nodeId)).toBe(bytesToHex(sodium.crypto_generichash(32, id.publicKey, null).slice(0, 16)));
    // ...which is not the 16-byte-output Blake2b (a different function, D1's Why).
    expect(bytesToHex(id.nodeId)).not.toBe(bytesToHex(sodium.crypto_generichash(16, id.publicKey, null)));
    expect(nodeIdOf(id.publicKey)).toEqual(id.nodeId);
  });

  it("signs with the RFC 8032 key of its seed (the same signature noble gives)", () => {
    const seed = new Uint8Array(32).fill(9);
    const id = identityFromSeed(seed);
    expect(bytesToHex(id.publicKey)).toBe(bytesToHex(ed25519.getPublicKey(seed)));
    const msg = new TextEncoder().encode("mehr");
    const sig = id.sign(msg);
    expect(bytesToHex(sig)).toBe(bytesToHex(ed25519.sign(msg, seed)));
    expect(verifySignature(id.publicKey, msg, sig)).toBe(true);
    const bad = sig.slice(); bad[3] ^= 1;
    expect(verifySignature(id.publicKey, msg, bad)).toBe(false);
    expect(verifySignature(new Uint8Array(32).fill(0xff), msg, sig)).toBe(false);
    expect(id.keyMaterial()).toEqual({ seed, publicKey: id.publicKey });
  });

  it("creates DATA/node.key with mode 0600 in a 0700 directory, and reloads the same key", () => {
    const d = join(tmp(), "data");
    const a = loadOrCreateIdentity(d);
    expect(statSync(join(d, "node.key")).mode & 0o777).toBe(0o600);
    expect(statSync(d).mode & 0o777).toBe(0o700);
    expect(readFileSync(join(d, "node.key")).length).toBe(32);
    expect(loadOrCreateIdentity(d).nodeId).toEqual(a.nodeId);
  });

  it("refuses a key file others can read, or of the wrong size", () => {
    const d = tmp();
    loadOrCreateIdentity(d);
    chmodSync(join(d, "node.key"), 0o644);
    expect(() => loadOrCreateIdentity(d)).toThrow(IdentityError);
    expect(() => loadOrCreateIdentity(d)).toThrow(/chmod 600/);
    writeFileSync(join(d, "node.key"), new Uint8Array(31), { mode: 0o600 });
    chmodSync(join(d, "node.key"), 0o600);
    expect(() => loadOrCreateIdentity(d)).toThrow(/32-byte/);
  });
});
