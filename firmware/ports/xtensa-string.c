/*
 * memmove for the bare-metal Xtensa ports (qemu-lx106, esp32). Debian's
 * picolibc for lx106 has an assembler memcpy (word moves, with a funnel shift
 * when source and destination are aligned differently) but a C memmove that
 * moves one byte per six instructions, and wasm2c turns every memory.copy into
 * memmove: the state arena's compaction sliding records down, a state value
 * copied out, a contract's MEM copy. On qemu-lx106 a store whose compaction
 * step moved ~6 KB took 854 µs, 6.7 × the same store on a near-empty state.
 *
 * An overlapping move is a run of memcpy calls, each a gap (|dst - src|)
 * long: copying front to back when dst < src (back to front when dst > src),
 * every call reads bytes no earlier call has written and writes only bytes an
 * earlier call has read, so each call's ranges are disjoint, as memcpy needs.
 * Below MIN_GAP bytes a call per gap costs more than the byte loop, and so
 * does a call for a move shorter than SMALL (a CBOR head, a one-byte value):
 * with every move through memcpy a 5,300-entry prior state's job took 4 %
 * longer on qemu-lx106 than with picolibc's byte loop, with SMALL 8 2 %.
 * Objects on the command line come before libc, so this definition wins.
 * For a host test (firmware/test/xtensa_string_test.c), define
 * MHR_STRING(name) to rename it.
 */
#include <stddef.h>
#include <string.h>

#define NO_LIBCALL __attribute__((optimize("no-tree-loop-distribute-patterns")))
#ifndef MHR_STRING
#define MHR_STRING(name) name
#endif
#define MIN_GAP 8u
#define SMALL 8u

/* The moves that call memcpy: n >= SMALL, gap >= MIN_GAP. Not inlined, so the
 * short moves in memmove stay a leaf with no stack frame. */
NO_LIBCALL __attribute__((noinline)) static void *move_long(unsigned char *d, const unsigned char *s, size_t n) {
  void *const dst = d;
  if (d < s) {
    const size_t g = (size_t)(s - d);
    for (; n > g; n -= g, d += g, s += g) memcpy(d, s, g);
  } else {
    const size_t g = (size_t)(d - s);
    for (; n > g; n -= g) memcpy(d + n - g, s + n - g, g);
  }
  memcpy(d, s, n);
  return dst;
}

NO_LIBCALL void *MHR_STRING(memmove)(void *dst, const void *src, size_t n) {
  unsigned char *d = dst;
  const unsigned char *s = src;
  const size_t g = d < s ? (size_t)(s - d) : (size_t)(d - s);
  if (n >= SMALL && g >= MIN_GAP) return move_long(d, s, n);
  if (d < s)
    while (n-- != 0) *d++ = *s++;
  else
    while (n-- != 0) d[n] = s[n];
  return dst;
}
