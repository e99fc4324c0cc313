// Naming contract (WASM twin of examples/contracts/naming.masm).
//
//   register()  0 args, 1 ret: input = the name (1..32 bytes, else ABORT 1);
//               state key "n:" || name. Absent: store SENDER (16 bytes) and
//               return 1. Present with SENDER as owner: return 0 (idempotent).
//               Owned by someone else: ABORT 2.
//   resolve()   0 args, 1 ret: input = the name (1..32 bytes, else ABORT 1); if
//               registered EMIT the 16-byte owner and return 1, else return 0.
import { abortWith, ascii, concat, emit, equal, input, stateGet, stateSet, sender } from "./lib/mehr";

function nameKey(): Uint8Array {
  const name = input();
  if (name.length < 1 || name.length > 32) abortWith(1);
  return concat(ascii("n:"), name);
}

export function register(): i64 {
  const key = nameKey();
  const me = sender();
  const owner = stateGet(key);
  if (owner === null) {
    stateSet(key, me);
    return 1;
  }
  if (equal(owner, me)) return 0;
  abortWith(2);
  return 0;
}

export function resolve(): i64 {
  const owner = stateGet(nameKey());
  if (owner === null) return 0;
  emit(owner);
  return 1;
}
