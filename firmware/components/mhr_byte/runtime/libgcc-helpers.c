/*
 * Integer arithmetic helpers that GCC calls on cores without the instruction,
 * for toolchains whose libgcc lacks them: Debian's xtensa-lx106-elf libgcc has
 * none of the division helpers nor the 64-bit multiply ones, and the lx106
 * core has a 32x32->32 multiplier (MULL) but no divider and no high-word
 * multiply. Built only for the qemu-lx106 port (ESP-IDF's toolchains ship a
 * complete libgcc). Plain C that needs nothing but 32-bit multiply, shifts
 * and adds, so it cannot recurse into itself.
 *
 * For a host test, define MHR_HELPER(name) to rename the symbols.
 */
#include <stdint.h>

#if defined(__XTENSA__) || defined(MHR_HELPER)

#ifndef MHR_HELPER
#define MHR_HELPER(name) name
#endif

typedef int64_t di_t;
typedef uint64_t udi_t;
typedef int32_t si_t;
typedef uint32_t usi_t;

udi_t MHR_HELPER(__umulsidi3)(usi_t a, usi_t b);
di_t MHR_HELPER(__muldi3)(di_t a, di_t b);
usi_t MHR_HELPER(__udivsi3)(usi_t n, usi_t d);
usi_t MHR_HELPER(__umodsi3)(usi_t n, usi_t d);
si_t MHR_HELPER(__divsi3)(si_t n, si_t d);
si_t MHR_HELPER(__modsi3)(si_t n, si_t d);
udi_t MHR_HELPER(__udivdi3)(udi_t n, udi_t d);
udi_t MHR_HELPER(__umoddi3)(udi_t n, udi_t d);
di_t MHR_HELPER(__divdi3)(di_t n, di_t d);
di_t MHR_HELPER(__moddi3)(di_t n, di_t d);

/* ---- multiplication ----------------------------------------------------------- */

/* 32x32 -> 64 from four 16x16 -> 32 partial products (each fits a 32-bit MULL). */
udi_t MHR_HELPER(__umulsidi3)(usi_t a, usi_t b) {
  usi_t al = a & 0xFFFFu, ah = a >> 16;
  usi_t bl = b & 0xFFFFu, bh = b >> 16;
  usi_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
  /* middle column: at most 3 x 0xFFFF, no overflow */
  usi_t mid = (ll >> 16) + (lh & 0xFFFFu) + (hl & 0xFFFFu);
  usi_t lo = (ll & 0xFFFFu) | (mid << 16);
  usi_t hi = hh + (lh >> 16) + (hl >> 16) + (mid >> 16);
  return ((udi_t)hi << 32) | lo;
}

/* 64x64 -> 64 (the low half): the cross terms only matter modulo 2^32. */
di_t MHR_HELPER(__muldi3)(di_t a, di_t b) {
  udi_t ua = (udi_t)a, ub = (udi_t)b;
  usi_t al = (usi_t)ua, ah = (usi_t)(ua >> 32);
  usi_t bl = (usi_t)ub, bh = (usi_t)(ub >> 32);
  udi_t r = MHR_HELPER(__umulsidi3)(al, bl);
  usi_t cross = al * bh + ah * bl;
  return (di_t)(r + ((udi_t)cross << 32));
}

/* ---- division: restoring shift-subtract, starting at the divisor's top bit ---- */

static int clz32(usi_t x) {
  int n = 0;
  if (x == 0) return 32;
  while ((x & 0x80000000u) == 0) {
    x <<= 1;
    n++;
  }
  return n;
}

static usi_t udivmod32(usi_t n, usi_t d, usi_t *rem) {
  if (d == 0) { /* C leaves it undefined; wasm2c traps before ever dividing by zero */
    *rem = n;
    return 0xFFFFFFFFu;
  }
  if (n < d) {
    *rem = n;
    return 0;
  }
  int shift = clz32(d) - clz32(n);
  usi_t q = 0;
  d <<= shift;
  for (int i = 0; i <= shift; i++) {
    q <<= 1;
    if (n >= d) {
      n -= d;
      q |= 1u;
    }
    d >>= 1;
  }
  *rem = n;
  return q;
}

static int clz64(udi_t x) {
  usi_t hi = (usi_t)(x >> 32);
  return hi ? clz32(hi) : 32 + clz32((usi_t)x);
}

static udi_t udivmod64(udi_t n, udi_t d, udi_t *rem) {
  if ((n >> 32) == 0 && (d >> 32) == 0) {
    usi_t r32;
    usi_t q32 = udivmod32((usi_t)n, (usi_t)d, &r32);
    *rem = r32;
    return q32;
  }
  if (d == 0) {
    *rem = n;
    return ~(udi_t)0;
  }
  if (n < d) {
    *rem = n;
    return 0;
  }
  int shift = clz64(d) - clz64(n);
  udi_t q = 0;
  d <<= shift;
  for (int i = 0; i <= shift; i++) {
    q <<= 1;
    if (n >= d) {
      n -= d;
      q |= 1u;
    }
    d >>= 1;
  }
  *rem = n;
  return q;
}

usi_t MHR_HELPER(__udivsi3)(usi_t n, usi_t d) {
  usi_t r;
  return udivmod32(n, d, &r);
}

usi_t MHR_HELPER(__umodsi3)(usi_t n, usi_t d) {
  usi_t r;
  (void)udivmod32(n, d, &r);
  return r;
}

/* Signed: divide the magnitudes; the quotient is negative when the signs differ, the remainder takes the dividend's sign. */
si_t MHR_HELPER(__divsi3)(si_t n, si_t d) {
  usi_t un = n < 0 ? 0u - (usi_t)n : (usi_t)n;
  usi_t ud = d < 0 ? 0u - (usi_t)d : (usi_t)d;
  usi_t r;
  usi_t q = udivmod32(un, ud, &r);
  return (si_t)(((n < 0) != (d < 0)) ? 0u - q : q);
}

si_t MHR_HELPER(__modsi3)(si_t n, si_t d) {
  usi_t un = n < 0 ? 0u - (usi_t)n : (usi_t)n;
  usi_t ud = d < 0 ? 0u - (usi_t)d : (usi_t)d;
  usi_t r;
  (void)udivmod32(un, ud, &r);
  return (si_t)(n < 0 ? 0u - r : r);
}

udi_t MHR_HELPER(__udivdi3)(udi_t n, udi_t d) {
  udi_t r;
  return udivmod64(n, d, &r);
}

udi_t MHR_HELPER(__umoddi3)(udi_t n, udi_t d) {
  udi_t r;
  (void)udivmod64(n, d, &r);
  return r;
}

di_t MHR_HELPER(__divdi3)(di_t n, di_t d) {
  udi_t un = n < 0 ? 0u - (udi_t)n : (udi_t)n;
  udi_t ud = d < 0 ? 0u - (udi_t)d : (udi_t)d;
  udi_t r;
  udi_t q = udivmod64(un, ud, &r);
  return (di_t)(((n < 0) != (d < 0)) ? 0u - q : q);
}

di_t MHR_HELPER(__moddi3)(di_t n, di_t d) {
  udi_t un = n < 0 ? 0u - (udi_t)n : (udi_t)n;
  udi_t ud = d < 0 ? 0u - (udi_t)d : (udi_t)d;
  udi_t r;
  (void)udivmod64(un, ud, &r);
  return (di_t)(n < 0 ? 0u - r : r);
}

#endif
