import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { selectShareholders, neighbourhoodOf, SEARCH_STEPS, type ShareholderCandidate } from "../../../src/private/shamir/select.ts";

const id = (n: number) => Uint8Array.from({ length: 16 }, (_, i) => (i === 15 ? n & 0xff : i === 14 ? n >> 8 : 0xaa));
const cand = (n: number, address: string, introducer?: number): ShareholderCandidate => ({ nodeId: id(n), address, introducer: introducer === undefined ? undefined : id(introducer) });

describe("neighbourhoods", () => {
  it("group public IPv4 by /16 and IPv6 by /32; private and loopback hosts by host (or host and port)", () => {
    expect(neighbourhoodOf("/ip4/203.0.113.5/tcp/4001")).toBe("ip4:cb000000/16");
    expect(neighbourhoodOf("/ip4/203.0.200.9/udp/9/quic-v1")).toBe("ip4:cb000000/16");
    expect(neighbourhoodOf("/ip4/198.51.100.1/tcp/1")).toBe("ip4:c6330000/16");
    expect(neighbourhoodOf("/ip4/203.0.113.5/tcp/4001", { ipv4PrefixBits: 24 })).toBe("ip4:cb007100/24");
    expect(neighbourhoodOf("/ip6/2001:db8:1234::1/tcp/1")).toBe("ip6:20010db8000000000000000000000000/32");
    expect(neighbourhoodOf("/ip6/2001:0db8:ffff:1::9/tcp/1")).toBe(neighbourhoodOf("/ip6/2001:db8::/tcp/1"));
    expect(neighbourhoodOf("/ip6/::ffff:203.0.113.5/tcp/1")).toBe("ip4:cb000000/16");
    expect(neighbourhoodOf("/ip4/127.0.0.1/tcp/4001")).toBe("local:127.0.0.1");
    expect(neighbourhoodOf("/ip4/127.0.0.1/tcp/4001", { local: "endpoint" })).toBe("local:127.0.0.1/tcp/4001");
    expect(neighbourhoodOf("/ip4/192.168.1.7/tcp/1")).toBe("local:192.168.1.7");
    expect(neighbourhoodOf("/ip4/10.1.2.3/tcp/1")).toBe("local:10.1.2.3");
    expect(neighbourhoodOf("/ip4/100.64.0.1/tcp/1")).toBe("local:100.64.0.1");
    expect(neighbourhoodOf("/ip6/::1/tcp/1")).toBe("local:0:0:0:0:0:0:0:1");
    expect(neighbourhoodOf("/ip6/fe80::1/tcp/1")?.startsWith("local:")).toBe(true);
    expect(neighbourhoodOf("/dns4/Node.Example.org/tcp/1")).toBe("dns:node.example.org");
    expect(neighbourhoodOf("/memory/a")).toBe("memory:a");
    for (const bad of ["", "ip4/1.2.3.4", "/ip4/1.2.3", "/ip4/256.1.1.1/tcp/1", "/ip4/01.2.3.4/tcp/1", "/ip6/1::2::3/tcp/1", "/ip6/12345::/tcp/1", "/ip6/1:2:3:4:5:6:7/tcp/1", "/unix/x"]) {
      expect(neighbourhoodOf(bad)).toBeNull();
    }
  });
});

describe("selectShareholders", () => {
  it("picks the first three from pairwise distinct neighbourhoods, in the given order, never the consumer itself", () => {
    const cs = [
      cand(1, "/ip4/203.0.113.1/tcp/1"), cand(2, "/ip4/203.0.7.7/tcp/1"), // same /16 as 1
      cand(3, "/ip4/198.51.100.1/tcp/1"), cand(4, "/ip6/2001:db8::1/tcp/1"), cand(5, "/ip4/192.0.2.1/tcp/1"),
    ];
    const s = selectShareholders(cs, { self: id(3) });
    expect(s.shareholders.map((c) => c.nodeId[15])).toEqual([1, 4, 5]);
    expect(new Set(s.neighbourhoods).size).toBe(3);
  });

  it("never takes two candidates with the same introducer, or a candidate together with its introducer", () => {
    const cs = [
      cand(1, "/ip4/1.1.0.1/tcp/1", 9), cand(2, "/ip4/2.2.0.1/tcp/1", 9), // same introducer as 1
      cand(3, "/ip4/3.3.0.1/tcp/1", 1), // introduced by 1
      cand(4, "/ip4/4.4.0.1/tcp/1"), cand(5, "/ip4/5.5.0.1/tcp/1", 8),
    ];
    expect(selectShareholders(cs).shareholders.map((c) => c.nodeId[15])).toEqual([1, 4, 5]);
  });

  it("backtracks where the greedy choice would fail", () => {
    // Greedy takes 1 and 2, then 3 shares 2's introducer and 4 shares 2's /16; {1, 3, 4} is a valid set.
    const cs = [cand(1, "/ip4/1.1.0.1/tcp/1"), cand(2, "/ip4/2.2.0.1/tcp/1", 7), cand(3, "/ip4/3.3.0.1/tcp/1", 7), cand(4, "/ip4/2.2.200.1/tcp/1")];
    expect(selectShareholders(cs).shareholders.map((c) => c.nodeId[15])).toEqual([1, 3, 4]);
  });

  it("fails with NOT_ENOUGH_NEIGHBOURHOODS when three distinct neighbourhoods are not available", () => {
    const cs = [cand(1, "/ip4/127.0.0.1/tcp/1"), cand(2, "/ip4/127.0.0.1/tcp/2"), cand(3, "/ip4/127.0.0.1/tcp/3")];
    expect(() => selectShareholders(cs)).toThrow(/NOT_ENOUGH_NEIGHBOURHOODS/);
    // Three nodes on one machine (a loopback test network) are accepted only with local: "endpoint".
    expect(selectShareholders(cs, { local: "endpoint" }).shareholders.length).toBe(3);
  });

  it("refuses malformed candidates with CANDIDATE_INVALID", () => {
    expect(() => selectShareholders([{ nodeId: new Uint8Array(15), address: "/ip4/1.1.1.1/tcp/1" }])).toThrow(/CANDIDATE_INVALID/);
    expect(() => selectShareholders([cand(1, "/ip4/1.1.1.1/tcp/1"), cand(1, "/ip4/2.2.2.2/tcp/1")])).toThrow(/CANDIDATE_INVALID.*twice/);
    expect(() => selectShareholders([cand(1, "nowhere")])).toThrow(/CANDIDATE_INVALID/);
    expect(() => selectShareholders([], { count: 2 })).toThrow(/PARAMETERS_INVALID/);
  });

  it("a seed ranks candidates by Blake3(seed ‖ NodeID): deterministic for one seed, different across seeds", () => {
    const cs = Array.from({ length: 40 }, (_, i) => cand(i, `/ip4/${i + 1}.9.0.1/tcp/1`));
    const pick = (seed: number) => selectShareholders(cs, { seed: new Uint8Array([seed]) }).shareholders.map((c) => c.nodeId[15]);
    expect(pick(1)).toEqual(pick(1));
    const distinct = new Set([1, 2, 3, 4, 5, 6].map((s) => pick(s).join(",")));
    expect(distinct.size).toBeGreaterThan(3);
  });

  it("a flood from one neighbourhood or one introducer is capped and cannot slow the search", () => {
    const flood = Array.from({ length: 1000 }, (_, i) => cand(i + 100, `/ip4/6.6.${i >> 8}.${i & 255}/tcp/1`));
    const byIntro = Array.from({ length: 500 }, (_, i) => cand(i + 2000, `/ip4/${(i % 200) + 10}.${i >> 1}.0.1/tcp/1`, 3));
    const honest = [cand(1, "/ip4/1.1.0.1/tcp/1"), cand(2, "/ip4/2.2.0.1/tcp/1")];
    expect(() => selectShareholders([...flood, ...byIntro])).toThrow(/NOT_ENOUGH_NEIGHBOURHOODS/); // 6.6/16 and introducer 3: two groups only
    const s = selectShareholders([...flood, ...byIntro, ...honest]);
    expect(s.shareholders.map((c) => c.nodeId[15])).toEqual([100 & 255, (2000 & 255), 1]);
    expect(s.searchSteps).toBeLessThan(40); // 7 of the flood and 7 of introducer 3 kept, then the honest ones
    expect(s.searchSteps).toBeLessThan(SEARCH_STEPS);
  });

  it("property: every selection satisfies the rule", () => {
    const arb = fc.array(fc.record({ n: fc.integer({ min: 0, max: 500 }), a: fc.integer({ min: 1, max: 6 }), b: fc.integer({ min: 0, max: 3 }), intro: fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined }) }), { maxLength: 30 })
      .map((rs) => { const seen = new Set<number>(); return rs.filter((r) => !seen.has(r.n) && seen.add(r.n)); });
    fc.assert(fc.property(arb, (rs) => {
      const cs = rs.map((r) => cand(r.n, `/ip4/${r.a}.${r.b}.0.1/tcp/1`, r.intro));
      let s;
      try { s = selectShareholders(cs); } catch (e) { expect(String(e)).toMatch(/NOT_ENOUGH_NEIGHBOURHOODS/); return; }
      const hex = (u?: Uint8Array) => (u ? Buffer.from(u).toString("hex") : null);
      const ch = s.shareholders;
      expect(new Set(s.neighbourhoods).size).toBe(3);
      for (const a of ch) for (const b of ch) {
        if (a === b) continue;
        if (a.introducer) expect(hex(a.introducer)).not.toBe(hex(b.introducer));
        expect(hex(a.introducer)).not.toBe(hex(b.nodeId));
      }
    }));
  });
});
