/*
 * Entry from the ESP32 ROM loader. The ROM runs windowed-ABI code on its own
 * stack (0x3FFE0000-0x3FFE8000); this image is call0-ABI code from Debian's
 * lx106 compiler, which runs on the LX6 core as long as window overflow
 * exceptions stay off and no windowed ROM routine is called. So: PS with
 * WOE = 0 and every interrupt level masked, our own stack pointer (a1), zeroed
 * .bss, a painted stack, then main(). call0 ABI: a0 return address, a1 sp.
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
  /* PS: INTLEVEL 15, EXCM 0, UM 0, WOE 0 (call0), CALLINC 0 */
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
  /* 0x5A5A5A5A up to a1, so a debugger can read the stack's high-water mark */
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
  /* main() returns only when the link reports EOF, which a UART never does */
5:
  waiti 15
  j 5b
