/*
 * Reset stub for the qemu-lx106 port. picolibc's crt0 assumes a1 (the stack
 * pointer) is set; on this bare core nothing sets it, so do it here, zero
 * .bss, paint the stack for the high-water measurement, then call main.
 * call0 ABI: a0 return address, a1 stack pointer.
 */
  .section .text.start, "ax"
  .literal_position
  .literal .Lstack_top, __stack_top
  .literal .Lstack_bottom, __stack_bottom
  .literal .Lbss_start, __bss_start
  .literal .Lbss_end, __bss_end
  .literal .Lpaint, 0x5A5A5A5A
  .literal .Lmain, main
  .align 4
  .global _start
_start:
  /* PS: interrupts masked (INTLEVEL 15), EXCM clear, so exceptions are ordinary ones */
  movi a2, 0x0F
  wsr a2, ps
  rsync
  l32r a1, .Lstack_top

  l32r a2, .Lbss_start
  l32r a3, .Lbss_end
  movi a4, 0
1:
  bgeu a2, a3, 2f
  s32i a4, a2, 0
  addi a2, a2, 4
  j 1b
2:
  l32r a2, .Lstack_bottom
  l32r a4, .Lpaint
3:
  bgeu a2, a1, 4f
  s32i a4, a2, 0
  addi a2, a2, 4
  j 3b
4:
  l32r a0, .Lmain
  callx0 a0
5:
  /* simcall SYS_exit(0) */
  movi a3, 0
  movi a2, 1
  simcall
  j 5b
