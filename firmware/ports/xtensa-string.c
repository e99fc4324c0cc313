/*
 * memmove for the bare-metal Xtensa ports (qemu-lx106, esp32). Debian's
 * picolibc for lx106 has an assembler memcpy (word moves, with a funnel shift
 * when source and destination are aligned differently) but a C memmove that
 * moves one byte per six instructions, and wasm2c turns every memory.copy into
 * memmove: the state arena's compaction sliding records down, a state value
 * copied out, the index's slots shifting by two bytes, a contract's MEM copy.
 * On qemu-lx106 a store whose compaction step moved ~6 KB took 854 µs, 6.7 ×
 * the same store on a near-empty state.
 *
 * An overlapping move a long gap (|dst - src| >= MIN_GAP) apart is a run of
 * memcpy calls, each a gap long: copying front to back when dst < src (back
 * to front when dst > src), every call reads bytes no earlier call has
 * written and writes only bytes an earlier call has read, so each call's
 * ranges are disjoint, as memcpy needs. A short gap (the compaction sliding a
 * record down past a small dead one: 6 bytes took the byte loop, ~6 ×
 * slower) is a word loop instead: aligned loads of the source, a funnel of
 * two of them when the two are aligned differently, aligned stores. It reads
 * each source word before it stores over any of its bytes, in the direction
 * of the move, so any gap of at least one byte is safe; a load may take up to
 * three bytes beyond the source's ends, inside the aligned word that holds
 * its first or last byte. Below SMALL bytes (a CBOR head, a one-byte value)
 * the byte loop is cheapest: with every move through memcpy a 5,300-entry
 * prior state's job took 4 % longer on qemu-lx106 than with picolibc's byte
 * loop, with SMALL 8 2 %.
 * Objects on the command line come before libc, so this definition wins.
 * For a host test (firmware/test/xtensa_string_test.c), define
 * MHR_STRING(name) to rename it.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define NO_LIBCALL __attribute__((optimize("no-tree-loop-distribute-patterns")))
#ifndef MHR_STRING
#define MHR_STRING(name) name
#endif
#define MIN_GAP 64u
#define SMALL 8u

typedef uint32_t __attribute__((may_alias)) word;

/* The moves that call memcpy: n >= SMALL, gap >= MIN_GAP. Not inlined, so the
 * short moves in memmove stay a leaf with no stack frame. */
NO_LIBCALL __attribute__((noinline)) static void move_long(unsigned char *d, const unsigned char *s, size_t n) {
  if (d < s) {
    const size_t g = (size_t)(s - d);
    for (; n > g; n -= g, d += g, s += g) memcpy(d, s, g);
  } else {
    const size_t g = (size_t)(d - s);
    for (; n > g; n -= g) memcpy(d + n - g, s + n - g, g);
  }
  memcpy(d, s, n);
}

/* Front to back (d < s), n >= SMALL. */
NO_LIBCALL __attribute__((noinline)) static void move_down(unsigned char *d, const unsigned char *s, size_t n) {
  for (; ((uintptr_t)d & 3u) != 0; n--) *d++ = *s++;
  const unsigned off = (unsigned)((uintptr_t)s & 3u);
  word *dw = (word *)d;
  const word *sw = (const word *)(s - off);
  const size_t words = n >> 2;
#if defined(__XTENSA__)
  /* GCC sets SAR again for every variable shift (10 instructions a word);
   * the funnel instruction with SAR set once, four words a turn, is 17 per 16
   * bytes, about what picolibc's memcpy takes. SAR = 0 when the two are
   * aligned alike (src then passes the low word through). It needs no
   * clobber (GCC has no name for it): GCC's shift patterns set it in the same
   * instruction pair that uses it, so it is never live across this. Each turn
   * loads its four words before it stores any, and stores only bytes below
   * the ones it loaded. */
  {
    uint32_t a, b, c, e, f, o;
    const word *r = sw;
    word *w = dw;
    word *const end4 = dw + (words & ~(size_t)3), *const end = dw + words;
    __asm__ volatile(
        "ssa8l %[s]\n"
        "l32i %[a], %[r], 0\n"
        "beq %[w], %[end4], 2f\n"
        "1: l32i %[b], %[r], 4\n"
        "l32i %[c], %[r], 8\n"
        "l32i %[e], %[r], 12\n"
        "l32i %[f], %[r], 16\n"
        "src %[o], %[b], %[a]\n"
        "s32i %[o], %[w], 0\n"
        "src %[o], %[c], %[b]\n"
        "s32i %[o], %[w], 4\n"
        "src %[o], %[e], %[c]\n"
        "s32i %[o], %[w], 8\n"
        "src %[o], %[f], %[e]\n"
        "s32i %[o], %[w], 12\n"
        "mov %[a], %[f]\n"
        "addi %[r], %[r], 16\n"
        "addi %[w], %[w], 16\n"
        "bne %[w], %[end4], 1b\n"
        "2: beq %[w], %[end], 4f\n"
        "3: l32i %[b], %[r], 4\n"
        "addi %[r], %[r], 4\n"
        "src %[o], %[b], %[a]\n"
        "s32i %[o], %[w], 0\n"
        "addi %[w], %[w], 4\n"
        "mov %[a], %[b]\n"
        "bne %[w], %[end], 3b\n"
        "4:\n"
        : [a] "=&r"(a), [b] "=&r"(b), [c] "=&r"(c), [e] "=&r"(e), [f] "=&r"(f), [o] "=&r"(o), [r] "+r"(r), [w] "+r"(w)
        : [s] "r"(s), [end4] "r"(end4), [end] "r"(end)
        : "memory");
  }
#else
  if (off == 0) {
    for (size_t i = 0; i < words; i++) dw[i] = sw[i];
  } else {
    const unsigned lo = 8u * off, hi = 32u - lo;
    uint32_t a = sw[0];
    for (size_t i = 0; i < words; i++) {
      const uint32_t b = sw[i + 1];
      dw[i] = (a >> lo) | (b << hi);
      a = b;
    }
  }
#endif
  d += words << 2;
  s += words << 2;
  for (n &= 3u; n != 0; n--) *d++ = *s++;
}

/* Back to front (d > s), n >= SMALL. */
NO_LIBCALL __attribute__((noinline)) static void move_up(unsigned char *d, const unsigned char *s, size_t n) {
  for (; ((uintptr_t)(d + n) & 3u) != 0; n--) d[n - 1] = s[n - 1];
  const unsigned off = (unsigned)((uintptr_t)(s + n) & 3u);
  word *dw = (word *)(d + n);
  const word *sw = (const word *)(s + n - off);
  const size_t words = n >> 2;
  if (off == 0) {
    for (size_t i = 1; i <= words; i++) dw[-(ptrdiff_t)i] = sw[-(ptrdiff_t)i];
  } else {
#if defined(__XTENSA__)
    uint32_t a, b, o;
    const word *end = dw - words;
    word *w = dw;
    const word *r = sw;
    __asm__ volatile(
        "ssa8l %[s]\n"
        "l32i %[b], %[r], 0\n"
        "1: addi %[r], %[r], -4\n"
        "l32i %[a], %[r], 0\n"
        "src %[o], %[b], %[a]\n"
        "addi %[w], %[w], -4\n"
        "s32i %[o], %[w], 0\n"
        "mov %[b], %[a]\n"
        "bne %[w], %[end], 1b\n"
        : [a] "=&r"(a), [b] "=&r"(b), [o] "=&r"(o), [r] "+r"(r), [w] "+r"(w)
        : [s] "r"(s + n), [end] "r"(end)
        : "memory");
#else
    const unsigned lo = 8u * off, hi = 32u - lo;
    uint32_t b = sw[0];
    for (size_t i = 1; i <= words; i++) {
      const uint32_t a = sw[-(ptrdiff_t)i];
      dw[-(ptrdiff_t)i] = (a >> lo) | (b << hi);
      b = a;
    }
#endif
  }
  for (n &= 3u; n != 0; n--) d[n - 1] = s[n - 1];
}

NO_LIBCALL void *MHR_STRING(memmove)(void *dst, const void *src, size_t n) {
  unsigned char *d = dst;
  const unsigned char *s = src;
  const size_t g = d < s ? (size_t)(s - d) : (size_t)(d - s);
  if (n >= SMALL && g != 0) {
    if (g >= MIN_GAP) move_long(d, s, n);
    else if (d < s) move_down(d, s, n);
    else move_up(d, s, n);
    return dst;
  }
  if (d < s)
    while (n-- != 0) *d++ = *s++;
  else
    while (n-- != 0) d[n] = s[n];
  return dst;
}
