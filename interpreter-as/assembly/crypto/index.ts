// Public entry points of the crypto library. All pointers address linear
// memory; the caller guarantees each range lies inside it. None of these
// functions allocates, imports from the host, or traps.
//
// Scratch state is static, so the functions are not reentrant (there are no
// callbacks, so single-threaded callers never observe that). The SHA-512
// streaming context is private to sha512Init/Update/Final and survives calls
// to every other function here; blake3Hash resets the BLAKE3 stream.

export { blake3Init, blake3Update, blake3Final, blake3Hash } from "./blake3";
export { sha512Init, sha512Update, sha512Final, sha512Hash } from "./sha512";
export { ed25519Verify } from "./ed25519";
export { ecvrfVerify } from "./ecvrf";
