import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { DerError, decodeOid, decodeSmallUint, readCertificate, readTlv, children } from "../../../src/private/attestation/der.ts";
import * as F from "./fixtures.ts";

describe("strict DER reader", () => {
  it("reads short and long lengths, refuses non-minimal, indefinite and overlong ones", () => {
    expect(readTlv(Uint8Array.from([0x04, 0x02, 1, 2])).value).toEqual(Uint8Array.from([1, 2]));
    const long = Uint8Array.from([0x04, 0x81, 0x80, ...new Uint8Array(0x80)]);
    expect(readTlv(long).value.length).toBe(0x80);
    expect(() => readTlv(Uint8Array.from([0x04, 0x81, 0x05, 1, 2, 3, 4, 5]))).toThrow(DerError);
    expect(() => readTlv(Uint8Array.from([0x04, 0x82, 0x00, 0x80]))).toThrow(DerError);
    expect(() => readTlv(Uint8Array.from([0x30, 0x80, 0, 0]))).toThrow(DerError);
    expect(() => readTlv(Uint8Array.from([0x04, 0x05, 1]))).toThrow(DerError);
    expect(() => readTlv(Uint8Array.from([0x1f, 0x01, 0]))).toThrow(DerError);
  });
  it("decodes OIDs and small unsigned INTEGERs", () => {
    expect(decodeOid(Uint8Array.from([0x2b, 0x06, 0x01, 0x04, 0x01, 0x9c, 0x78, 0x01, 0x03, 0x08]))).toBe("1.3.6.1.4.1.3704.1.3.8");
    expect(() => decodeOid(Uint8Array.from([0x2b, 0x80, 0x01]))).toThrow(DerError);
    expect(decodeSmallUint(Uint8Array.from([0x73]))).toBe(115);
    expect(decodeSmallUint(Uint8Array.from([0x00, 0x80]))).toBe(128);
    expect(() => decodeSmallUint(Uint8Array.from([0x00, 0x05]))).toThrow(DerError);
    expect(() => decodeSmallUint(Uint8Array.from([0x80]))).toThrow(DerError);
  });
  it("random bytes and truncated certificates raise DerError only (property)", () => {
    const der = F.virteeVcek();
    fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 0, max: der.length - 1 }).map((n) => der.subarray(0, n))), (b) => {
      try { readCertificate(b); children(b); } catch (e) { expect(e).toBeInstanceOf(DerError); }
    }), { numRuns: 400 });
  });
});
