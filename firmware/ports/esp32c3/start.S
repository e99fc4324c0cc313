/*
 * Entry from the ESP32-C3 ROM loader. The ROM jumps here in machine mode on
 * its own stack (0x3FCDC710-0x3FCDE710), which this image never uses: take
 * our own, mask interrupts (the ROM's vector table stays installed, but
 * nothing here enables a source), zero .bss, paint the stack, call main().
 */
  .section .text.start, "ax"
  .globl _start
_start:
  .option push
  .option arch, +zicsr
  csrci mstatus, 8            /* MIE = 0 */
  .option pop
  .option push
  .option norelax
  la gp, __global_pointer$
  .option pop
  la sp, __stack_top

  la t0, __bss_start
  la t1, __bss_end
1:
  bgeu t0, t1, 2f
  sw zero, 0(t0)
  addi t0, t0, 4
  j 1b
2:
  /* 0x5A5A5A5A up to sp, so a debugger can read the stack's high-water mark */
  la t0, __stack_bottom
  li t2, 0x5A5A5A5A
3:
  bgeu t0, sp, 4f
  sw t2, 0(t0)
  addi t0, t0, 4
  j 3b
4:
  call main
  /* main() returns only when the link reports EOF, which a UART never does */
5:
  wfi
  j 5b
