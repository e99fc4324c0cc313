/*
 * Host test of firmware/ports/rv32-string.c against the C library: every
 * alignment of destination and source, lengths around the word and 16-byte
 * steps, and overlapping moves both ways. Built with
 * -DMHR_STRING(n)=test_##n so the C library's own stay in use.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *test_memset(void *dst, int c, size_t n);
void *test_memcpy(void *restrict dst, const void *restrict src, size_t n);
void *test_memmove(void *dst, const void *src, size_t n);

static unsigned char a[256], b[256], ref[256];

static void fill(unsigned char *p, unsigned seed) {
  for (int i = 0; i < 256; i++) p[i] = (unsigned char)(seed * 131u + (unsigned)i * 7u + 1u);
}

static int check(const char *what, size_t d, size_t s, size_t n) {
  if (memcmp(a, ref, sizeof a) == 0) return 0;
  printf("%s: differs at dst %zu src %zu len %zu\n", what, d, s, n);
  return 1;
}

int main(void) {
  int bad = 0;
  for (size_t d = 0; d < 8; d++)
    for (size_t n = 0; n <= 70; n++) {
      fill(a, (unsigned)(d + n)); memcpy(ref, a, sizeof a);
      memset(ref + d, 0xA5, n);
      if (test_memset(a + d, 0x1A5, n) != a + d) bad |= 1;
      bad |= check("memset", d, 0, n);
      for (size_t s = 0; s < 8; s++) {
        fill(a, (unsigned)(d * 8 + s)); fill(b, (unsigned)(n + 3)); memcpy(ref, a, sizeof a);
        memcpy(ref + d, b + 100 + s, n);
        if (test_memcpy(a + d, b + 100 + s, n) != a + d) bad |= 1;
        bad |= check("memcpy", d, s, n);
        // Overlapping moves within one buffer, forward and backward.
        for (int dir = 0; dir < 2; dir++) {
          size_t dd = dir ? 40 + d : 40 + d + (n / 3), ss = dir ? 40 + s + (n / 3) : 40 + s;
          fill(a, (unsigned)(n * 2 + (size_t)dir)); memcpy(ref, a, sizeof a);
          memmove(ref + dd, ref + ss, n);
          if (test_memmove(a + dd, a + ss, n) != a + dd) bad |= 1;
          bad |= check("memmove", dd, ss, n);
        }
      }
    }
  puts(bad ? "rv32-string: FAILED" : "rv32-string: ok");
  return bad;
}
