// Access-control contract (WASM twin of examples/contracts/access-control.masm).
//
// State key "admin": the 16-byte admin NodeID. Key "acl:" || 32-byte Ed25519
// public key: a 1-byte level.
//   init()        0 args, 0 rets: "admin" absent: set it to SENDER; else ABORT 1.
//   grant(level)  1 arg, 0 rets: SENDER must be the admin (else ABORT 2, also
//                 when "admin" is absent); input = a 32-byte public key (else
//                 ABORT 3); level in 0..255 (else ABORT 4); level 0 deletes the
//                 entry, otherwise stores the level byte.
//   check()       0 args, 1 ret: input = pubkey (32) || signature (64) ||
//                 message (the rest); shorter than 96 bytes: ABORT 3. The
//                 signature is verified first; if invalid, LOG the 32-byte
//                 public key and return 0. If valid, return the key's level,
//                 or 0 if it has no entry.
import { abortWith, ascii, concat, equal, input, stateGet, log, mehr_verify_sig, stateDelete, stateSet, sender } from "./lib/mehr";

export function init(): void {
  const key = ascii("admin");
  if (stateGet(key) !== null) abortWith(1);
  stateSet(key, sender());
}

export function grant(level: i64): void {
  const admin = stateGet(ascii("admin"));
  if (admin === null || !equal(admin, sender())) abortWith(2);
  const pk = input();
  if (pk.length != 32) abortWith(3);
  if (level < 0 || level > 255) abortWith(4);
  const key = concat(ascii("acl:"), pk);
  if (level == 0) {
    stateDelete(key);
  } else {
    const v = new Uint8Array(1);
    v[0] = <u8>level;
    stateSet(key, v);
  }
}

export function check(): i64 {
  const data = input();
  if (data.length < 96) abortWith(3);
  const pk = data.subarray(0, 32);
  const ok = mehr_verify_sig(data.dataStart, data.dataStart + 96, data.length - 96, data.dataStart + 32);
  if (ok == 0) {
    log(pk);
    return 0;
  }
  const v = stateGet(concat(ascii("acl:"), pk));
  if (v === null || v.length < 1) return 0;
  return <i64>v[0];
}
