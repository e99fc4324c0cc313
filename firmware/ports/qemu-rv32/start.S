/* Reset entry for the qemu-rv32 port: gp, sp, zeroed .bss, painted stack, main(), exit. */
  .section .text.start, "ax"
  .globl _start
_start:
  .option push
  .option norelax
  la gp, __global_pointer$
  .option pop
  la sp, __stack_top

  /* .bss = 0 */
  la t0, __bss_start
  la t1, __bss_end
1:
  bgeu t0, t1, 2f
  sw zero, 0(t0)
  addi t0, t0, 4
  j 1b
2:
  /* stack = 0x5A5A5A5A up to the current sp: main() measures the high-water mark */
  la t0, __stack_bottom
  li t2, 0x5A5A5A5A
3:
  bgeu t0, sp, 4f
  sw t2, 0(t0)
  addi t0, t0, 4
  j 3b
4:
  call main
  call qemu_exit
5:
  wfi
  j 5b
