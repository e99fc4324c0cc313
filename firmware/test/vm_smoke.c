/*
 * Host check of the component API over the generated VM: runs each job file
 * given on the command line and prints one line per job:
 *   <result hex> <state hex>     (state "-" when there is none)
 *   TRAP <name>                  (a VM bug: mhr_byte_run returned no result)
 * "@toolarge" instead of a file runs a length one past the job buffer.
 * Exit status 1 on any API misbehaviour. Used by host-ts/test/firmware.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mhr_byte.h"

static void hex(const uint8_t *p, size_t n) {
  if (n == 0) { fputs("-", stdout); return; }
  for (size_t i = 0; i < n; i++) printf("%02x", p[i]);
}

int main(int argc, char **argv) {
  if (mhr_byte_init() != 0 || mhr_byte_init() != 0) { fprintf(stderr, "init failed\n"); return 1; } /* twice: re-init must work */
  size_t cap = 0;
  uint8_t *job = mhr_byte_job_buffer(&cap);
  if (job == NULL || cap != 65536) { fprintf(stderr, "job buffer %p cap %zu\n", (void *)job, cap); return 1; }
  if (strlen(mhr_byte_build_id()) != 64) { fprintf(stderr, "bad build id\n"); return 1; }
  for (int i = 1; i < argc; i++) {
    size_t len;
    if (strcmp(argv[i], "@toolarge") == 0) {
      len = cap + 1;
    } else {
      FILE *f = fopen(argv[i], "rb");
      if (!f) { perror(argv[i]); return 1; }
      len = fread(job, 1, cap, f);
      fclose(f);
    }
    const uint8_t *res = NULL;
    size_t n = mhr_byte_run(len, &res);
    if (n == 0) {
      printf("TRAP %s\n", mhr_byte_trap_name(mhr_byte_last_trap()));
      continue;
    }
    size_t sl = 0;
    const uint8_t *st = mhr_byte_state(&sl);
    hex(res, n);
    putchar(' ');
    hex(st, sl);
    putchar('\n');
  }
  return 0;
}
