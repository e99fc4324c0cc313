/**
 * The trust anchors and fixtures are what their SOURCES.md say: every sha256
 * matches, each ARK is self-signed, each ASK verifies under its ARK, the Intel
 * root is the one dcap-qvl ships, and a swapped file stops the verifier.
 */
import { describe, expect, it } from "vitest";
import { createHash, X509Certificate } from "node:crypto";
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import dcap from "@phala/dcap-qvl";
import { DEFAULT_ANCHOR_DIR, loadTrustAnchors, PRODUCT_LINES } from "../../../src/private/attestation/trust-anchors.ts";
import { readCertificate } from "../../../src/private/attestation/der.ts";
import * as F from "./fixtures.ts";
import { expectTee } from "./expect-tee.ts";

const FIXTURES = fileURLToPath(new URL("../../fixtures/attestation/", import.meta.url));
const sha256 = (p: string) => createHash("sha256").update(readFileSync(p)).digest("hex");

/** `| \`path\` | … | \`sha256\` | …` rows of a SOURCES.md table. */
function sourcesRows(dir: string): [string, string][] {
  const rows: [string, string][] = [];
  for (const line of readFileSync(join(dir, "SOURCES.md"), "utf8").split("\n")) {
    const m = /^\| `([^`]+)` \|.*?\| `([0-9a-f]{64})` \|/.exec(line);
    if (m) rows.push([m[1], m[2]]);
  }
  return rows;
}

describe("provenance", () => {
  it("every fixture file's sha256 is the one in its SOURCES.md", () => {
    const rows = sourcesRows(FIXTURES);
    const listed = rows.map(([p]) => p).sort();
    const present = (readdirSync(FIXTURES, { recursive: true }) as string[])
      .filter((p) => statSync(join(FIXTURES, p)).isFile() && p !== "SOURCES.md" && !p.startsWith("LICENSES")).sort();
    expect(listed).toEqual(present);
    expect(rows.length).toBe(12);
    for (const [path, sum] of rows) expect(sha256(join(FIXTURES, path)), path).toBe(sum);
  });
  it("every trust-anchor file's sha256 is the one in spec/attestation/SOURCES.md", () => {
    const rows = sourcesRows(DEFAULT_ANCHOR_DIR);
    expect(rows.length).toBe(7);
    for (const [path, sum] of rows) expect(sha256(join(DEFAULT_ANCHOR_DIR, path)), path).toBe(sum);
  });
  it("licence texts sit beside the data", () => {
    for (const f of ["virtee-sev.LICENSE.Apache-2.0.txt", "go-sev-guest.LICENSE.Apache-2.0.txt", "dcap-qvl.LICENSE.MIT.txt"]) {
      expect(readFileSync(join(FIXTURES, "LICENSES", f), "utf8")).toMatch(/License|LICENSE|Permission/);
    }
    for (const f of ["virtee-sev.LICENSE.Apache-2.0.txt", "dcap-qvl.LICENSE.MIT.txt"]) expect(readFileSync(join(DEFAULT_ANCHOR_DIR, "LICENSES", f), "utf8").length).toBeGreaterThan(1000);
  });
});

describe("trust anchors", () => {
  const a = loadTrustAnchors();
  it("one root per product line; each ARK self-signed with RSA-PSS, each ASK signed by its ARK", () => {
    expect([...a.amd.keys()]).toEqual([...PRODUCT_LINES]);
    for (const [line, r] of a.amd) {
      expect(r.ark.cert.subject).toContain(`CN=ARK-${line}`);
      expect(r.ask.cert.subject).toContain(`CN=SEV-${line}`);
      expect(r.ark.cert.verify(r.ark.cert.publicKey)).toBe(true);
      expect(r.ask.cert.verify(r.ark.cert.publicKey) && r.ask.cert.checkIssued(r.ark.cert)).toBe(true);
      expect(r.ark.cert.publicKey.asymmetricKeyType).toBe("rsa");
      expect(r.ark.fields.notBefore <= F.AT && F.AT <= r.ark.fields.notAfter).toBe(true);
    }
    // Cross-line: no ASK verifies under another line's ARK.
    expect(a.amd.get("Milan")!.ask.cert.verify(a.amd.get("Genoa")!.ark.cert.publicKey)).toBe(false);
  });
  it("the Intel SGX Root CA is the one built into dcap-qvl", () => {
    expect(Buffer.from(a.intelRootDer).equals(dcap.constants.TRUSTED_ROOT_CA_DER)).toBe(true);
  });
  it("the Turin KDS bundle (ASK then ARK, CRLF) holds the same two certificates", () => {
    const pems = F.fixtureText("sev-snp/turin-virtee/cert_chain_turin").match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)!;
    expect(pems).toHaveLength(2);
    const [ask, ark] = pems.map((p) => new X509Certificate(p));
    expect(ask.raw.equals(a.amd.get("Turin")!.ask.cert.raw)).toBe(true);
    expect(ark.raw.equals(a.amd.get("Turin")!.ark.cert.raw)).toBe(true);
  });
  it("dates come from the DER (Node 20 has no parsed dates)", () => {
    const f = readCertificate(F.virteeVcek());
    expect(f.notBefore.toISOString()).toBe("2023-04-03T19:23:43.000Z");
    expect(f.notAfter.toISOString()).toBe("2030-04-03T19:23:43.000Z");
    expect(f.extensions.size).toBeGreaterThanOrEqual(10);
  });
  it("a swapped anchor file or pin → ROOT_NOT_PINNED", () => {
    const dir = mkdtempSync(join(tmpdir(), "mhr-anchors-"));
    try {
      cpSync(DEFAULT_ANCHOR_DIR, dir, { recursive: true });
      cpSync(join(dir, "amd/genoa/ark.pem"), join(dir, "amd/milan/ark.pem"));
      expectTee(() => loadTrustAnchors(dir), "ROOT_NOT_PINNED");
      cpSync(join(DEFAULT_ANCHOR_DIR, "amd/milan/ark.pem"), join(dir, "amd/milan/ark.pem"));
      expect(() => loadTrustAnchors(dir)).not.toThrow();
      const j = JSON.parse(readFileSync(join(dir, "trust-anchors.json"), "utf8")) as { intel: { sha256: string } };
      j.intel.sha256 = "00".repeat(32);
      writeFileSync(join(dir, "trust-anchors.json"), JSON.stringify(j));
      expectTee(() => loadTrustAnchors(dir), "ROOT_NOT_PINNED");
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});
