/*
 * mhr_byte: the MHR-Byte VM as a C component (ESP-IDF or any C99 toolchain).
 *
 * The VM is the AssemblyScript interpreter (interpreter-as/) translated to C
 * by wasm2c (generated/mhr_vm.c) and run on a small bare-metal runtime
 * (runtime/). This header is the whole public API: put a job's bytes in the
 * job buffer, run it, read the canonical result (docs/SPEC.md §13) and final
 * state. One instance per program; not thread-safe; no heap.
 */
#ifndef MHR_BYTE_H
#define MHR_BYTE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Instantiates the VM (zeroes its memory, loads its static data). May be
 * called again to start over. 0 on success, negative on failure. */
int mhr_byte_init(void);

/* Where to put the job bytes; *capacity receives the buffer's size
 * (MAX_JOB_SIZE = 65536). NULL (and 0) before a successful mhr_byte_init. */
uint8_t *mhr_byte_job_buffer(size_t *capacity);

/* Runs the job of job_len bytes in the job buffer. Returns the result's
 * length and points *result at it (valid until the next run or init).
 * Returns 0 with *result = NULL when the VM trapped (a VM bug: never for any
 * job per docs/ABI.md) or was not initialized. */
size_t mhr_byte_run(size_t job_len, const uint8_t **result);

/* A run rewrites some opcodes of the code in the job buffer into the VM's
 * internal form (interpreter-as/README.md). Before running the same bytes
 * again without writing them (BENCH), put them back with this. */
void mhr_byte_restore(void);

/* The canonical encoding of the last run's final state (the prior state after
 * ABORT/TRAP); *len = 0 (and the pointer may be NULL) after an INVALID result
 * or before any run. */
const uint8_t *mhr_byte_state(size_t *len);

/* Hex SHA-256 of the VM's wasm module this C was generated from. */
const char *mhr_byte_build_id(void);

/* Diagnostics: the wasm trap of the last failed call (0 = none) and its name. */
int mhr_byte_last_trap(void);
const char *mhr_byte_trap_name(int trap);

#ifdef __cplusplus
}
#endif

#endif /* MHR_BYTE_H */
