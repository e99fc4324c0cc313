// Test harness entry: the public crypto API plus a few internals, and a
// scratch area the host writes inputs into.
export {
  blake3Init, blake3Update, blake3Final, blake3Hash,
  sha512Init, sha512Update, sha512Final, sha512Hash,
  ed25519Verify, ecvrfVerify,
} from "../assembly/crypto/index";
export { scReduce64 } from "../assembly/crypto/sc25519";

// 2 MiB + 64 KiB: room for large hash inputs plus small argument slots.
const SCRATCH: usize = memory.data(2 * 1024 * 1024 + 65536, 16);

export function scratch(): usize {
  return SCRATCH;
}
