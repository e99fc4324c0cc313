/*
 * Host test of firmware/ports/xtensa-string.c's memmove against the C
 * library's: every alignment of destination and source, gaps on both sides of
 * its MIN_GAP (the word loops below it, memcpy calls above), lengths shorter
 * and longer than the gap, both directions.
 * Built with -DMHR_STRING(n)=test_##n so the C library's own stays in use.
 */
#include <stdio.h>
#include <string.h>

void *test_memmove(void *dst, const void *src, size_t n);

static unsigned char a[512] __attribute__((aligned(4))), ref[512];

static void fill(unsigned char *p, unsigned seed) {
  for (int i = 0; i < 512; i++) p[i] = (unsigned char)(seed * 131u + (unsigned)i * 7u + 1u);
}

int main(void) {
  int bad = 0;
  for (size_t base = 0; base < 4; base++)
    for (size_t gap = 0; gap <= 80; gap++)
      for (size_t n = 0; n <= 150; n++)
        for (int dir = 0; dir < 2; dir++) {
          const size_t lo = 100 + base, hi = lo + gap;
          const size_t dd = dir ? hi : lo, ss = dir ? lo : hi;
          fill(a, (unsigned)(gap * 3 + n + (size_t)dir));
          memcpy(ref, a, sizeof a);
          memmove(ref + dd, ref + ss, n);
          if (test_memmove(a + dd, a + ss, n) != a + dd) bad |= 1;
          if (memcmp(a, ref, sizeof a) != 0) {
            if (!bad) printf("memmove: differs at dst %zu src %zu len %zu\n", dd, ss, n);
            bad = 1;
          }
        }
  puts(bad ? "xtensa-string: FAILED" : "xtensa-string: ok");
  return bad;
}
