/*
 * Host test of runtime/libgcc-helpers.c: the helpers, renamed, against the
 * host compiler's own arithmetic on edge cases and pseudo-random operands.
 * Build: cc -O1 -DMHR_HELPER(n)=test_##n -I. libgcc_helpers_test.c ../components/mhr_byte/runtime/libgcc-helpers.c
 */
#include <stdint.h>
#include <stdio.h>

#define H(n) test_##n
uint64_t H(__umulsidi3)(uint32_t, uint32_t);
int64_t H(__muldi3)(int64_t, int64_t);
uint32_t H(__udivsi3)(uint32_t, uint32_t);
uint32_t H(__umodsi3)(uint32_t, uint32_t);
int32_t H(__divsi3)(int32_t, int32_t);
int32_t H(__modsi3)(int32_t, int32_t);
uint64_t H(__udivdi3)(uint64_t, uint64_t);
uint64_t H(__umoddi3)(uint64_t, uint64_t);
int64_t H(__divdi3)(int64_t, int64_t);
int64_t H(__moddi3)(int64_t, int64_t);

static uint64_t state = 0x9E3779B97F4A7C15u;
static uint64_t next(void) { /* splitmix64 */
  uint64_t z = (state += 0x9E3779B97F4A7C15u);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
  return z ^ (z >> 31);
}
/* operands with varied magnitudes, so both the 32-bit and 64-bit division paths run */
static uint64_t operand(void) {
  static const uint64_t edge[] = {0, 1, 2, 3, 0x7FFFFFFF, 0x80000000u, 0xFFFFFFFFu, 0x100000000u, 0x7FFFFFFFFFFFFFFFu, 0x8000000000000000u, 0xFFFFFFFFFFFFFFFFu};
  uint64_t r = next();
  switch (r & 7) {
    case 0: return edge[(r >> 8) % (sizeof edge / sizeof edge[0])];
    case 1: return r >> (32 + ((r >> 3) & 31));
    case 2: return r >> ((r >> 3) & 63);
    default: return next();
  }
}

int main(void) {
  long bad = 0;
  for (long i = 0; i < 2000000 && bad < 10; i++) {
    uint64_t a = operand(), b = operand();
    uint32_t a32 = (uint32_t)a, b32 = (uint32_t)b;
#define CHECK(expr, want)                                                                   \
  if ((expr) != (want)) {                                                                   \
    bad++;                                                                                  \
    printf("FAIL %s a=%016llx b=%016llx\n", #expr, (unsigned long long)a, (unsigned long long)b); \
  }
    CHECK(H(__umulsidi3)(a32, b32), (uint64_t)a32 * b32);
    CHECK((uint64_t)H(__muldi3)((int64_t)a, (int64_t)b), a * b);
    if (b32) {
      CHECK(H(__udivsi3)(a32, b32), a32 / b32);
      CHECK(H(__umodsi3)(a32, b32), a32 % b32);
      if (!((int32_t)a32 == INT32_MIN && (int32_t)b32 == -1)) {
        CHECK(H(__divsi3)((int32_t)a32, (int32_t)b32), (int32_t)a32 / (int32_t)b32);
        CHECK(H(__modsi3)((int32_t)a32, (int32_t)b32), (int32_t)a32 % (int32_t)b32);
      }
    }
    if (b) {
      CHECK(H(__udivdi3)(a, b), a / b);
      CHECK(H(__umoddi3)(a, b), a % b);
      if (!((int64_t)a == INT64_MIN && (int64_t)b == -1)) {
        CHECK(H(__divdi3)((int64_t)a, (int64_t)b), (int64_t)a / (int64_t)b);
        CHECK(H(__moddi3)((int64_t)a, (int64_t)b), (int64_t)a % (int64_t)b);
      }
    }
  }
  printf(bad ? "libgcc-helpers: %ld failures\n" : "libgcc-helpers: ok\n", bad);
  return bad ? 1 : 0;
}
