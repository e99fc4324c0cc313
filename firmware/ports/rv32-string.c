/*
 * memset, memcpy and memmove a word at a time, for the bare-metal RV32 ports
 * (qemu-rv32, esp32c3). Debian's picolibc for rv32imc is built for size: its
 * versions move one byte per 4-6 instructions, and zeroing max_memory (32 KiB)
 * at the start of a call took 1.2 ms on the qemu-rv32 estimate, five times the
 * LX106 build's assembler memset. ESP-IDF links the ROM's word-wise routines,
 * so this only brings the ROM-booted images to what a C3 under ESP-IDF does.
 * Objects on the command line come before libc, so these definitions win.
 *
 * The loops must not be recognised as memset/memcpy and turned back into
 * calls to themselves, hence the optimize attribute. For a host test
 * (firmware/test/rv32_string_test.c), define MHR_STRING(name) to rename them.
 */
#include <stddef.h>
#include <stdint.h>

typedef uint32_t __attribute__((may_alias)) word;
/* A word read from any address. The MCU build tunes for size (-mtune=size), under which GCC
 * reads such a word with one lw, as it does for every wasm2c load: the RV32 ports rely on the
 * core completing a misaligned load (QEMU's virt machine and the C3 do). */
typedef uint32_t __attribute__((may_alias, aligned(1))) uword;
#define NO_LIBCALL __attribute__((optimize("no-tree-loop-distribute-patterns")))
#ifndef MHR_STRING
#define MHR_STRING(name) name
#endif

NO_LIBCALL void *MHR_STRING(memset)(void *dst, int c, size_t n) {
  unsigned char *p = dst;
  const unsigned char b = (unsigned char)c;
  while (n != 0 && ((uintptr_t)p & 3u) != 0) { *p++ = b; n--; }
  const uint32_t w = 0x01010101u * b;
  for (; n >= 16; n -= 16, p += 16) {
    ((word *)p)[0] = w; ((word *)p)[1] = w; ((word *)p)[2] = w; ((word *)p)[3] = w;
  }
  for (; n >= 4; n -= 4, p += 4) *(word *)p = w;
  while (n-- != 0) *p++ = b;
  return dst;
}

/* Forward copy; words when source and destination share their alignment. */
NO_LIBCALL static void copy_up(unsigned char *d, const unsigned char *s, size_t n) {
  if ((((uintptr_t)d ^ (uintptr_t)s) & 3u) == 0) {
    while (n != 0 && ((uintptr_t)d & 3u) != 0) { *d++ = *s++; n--; }
    for (; n >= 16; n -= 16, d += 16, s += 16) {
      const uint32_t a = ((const word *)s)[0], b = ((const word *)s)[1], c = ((const word *)s)[2], e = ((const word *)s)[3];
      ((word *)d)[0] = a; ((word *)d)[1] = b; ((word *)d)[2] = c; ((word *)d)[3] = e;
    }
    for (; n >= 4; n -= 4, d += 4, s += 4) *(word *)d = *(const word *)s;
  } else {
    // Differently aligned (a prior-state value copied into its record, which the job's
    // layout decides): aligned stores of misaligned loads, each word read before it is
    // written, so an overlapping d < s stays exact. Four bytes a round took a 32 KiB
    // state 2.7 times as long to load as a copy that happened to share its alignment.
    while (n != 0 && ((uintptr_t)d & 3u) != 0) { *d++ = *s++; n--; }
    for (; n >= 16; n -= 16, d += 16, s += 16) {
      const uint32_t a = ((const uword *)s)[0], b = ((const uword *)s)[1], c = ((const uword *)s)[2], e = ((const uword *)s)[3];
      ((word *)d)[0] = a; ((word *)d)[1] = b; ((word *)d)[2] = c; ((word *)d)[3] = e;
    }
    for (; n >= 4; n -= 4, d += 4, s += 4) *(word *)d = *(const uword *)s;
  }
  while (n-- != 0) *d++ = *s++;
}

/* Backward copy from the ends (d > s, overlapping). */
NO_LIBCALL static void copy_down(unsigned char *d, const unsigned char *s, size_t n) {
  d += n;
  s += n;
  if ((((uintptr_t)d ^ (uintptr_t)s) & 3u) == 0) {
    while (n != 0 && ((uintptr_t)d & 3u) != 0) { *--d = *--s; n--; }
    for (; n >= 4; n -= 4) { d -= 4; s -= 4; *(word *)d = *(const word *)s; }
  } else {
    while (n != 0 && ((uintptr_t)d & 3u) != 0) { *--d = *--s; n--; }
    for (; n >= 4; n -= 4) { d -= 4; s -= 4; *(word *)d = *(const uword *)s; }
  }
  while (n-- != 0) *--d = *--s;
}

void *MHR_STRING(memcpy)(void *restrict dst, const void *restrict src, size_t n) {
  copy_up(dst, src, n);
  return dst;
}

void *MHR_STRING(memmove)(void *dst, const void *src, size_t n) {
  unsigned char *d = dst;
  const unsigned char *s = src;
  if (d == s || n == 0) return dst;
  if (d < s || d >= s + n) copy_up(d, s, n);
  else copy_down(d, s, n);
  return dst;
}
