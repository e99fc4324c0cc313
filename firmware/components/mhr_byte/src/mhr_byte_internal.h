/*
 * Not part of the public API: test and fuzzing access to the VM's linear
 * memory. Offsets inside it are the VM's business (interpreter-as/README.md).
 */
#ifndef MHR_BYTE_INTERNAL_H
#define MHR_BYTE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* The VM's linear memory and its backed size (NULL before mhr_byte_init). */
uint8_t *mhr_byte_memory(size_t *size);

#endif /* MHR_BYTE_INTERNAL_H */
