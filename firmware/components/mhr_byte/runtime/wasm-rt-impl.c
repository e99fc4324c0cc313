/*
 * The bare-metal wasm2c runtime (see wasm-rt.h): one caller-provided memory
 * buffer, traps by longjmp, no heap, no OS.
 */
#include "wasm-rt.h"

jmp_buf *wasm_rt_trap_target = NULL;

#if WASM_RT_STACK_DEPTH_COUNT
uint32_t wasm_rt_call_stack_depth = 0;
#endif

static bool initialized = false;
static uint8_t *buffer = NULL;
static uint32_t buffer_size = 0;

void wasm_rt_init(void) {
  initialized = true;
  wasm_rt_reset_call_depth();
}

bool wasm_rt_is_initialized(void) { return initialized; }

void wasm_rt_free(void) { initialized = false; }

void wasm_rt_reset_call_depth(void) {
#if WASM_RT_STACK_DEPTH_COUNT
  wasm_rt_call_stack_depth = 0;
#endif
}

void wasm_rt_trap(wasm_rt_trap_t code) {
  if (code == WASM_RT_TRAP_NONE) code = WASM_RT_TRAP_UNREACHABLE; /* 0 cannot travel through longjmp */
  if (wasm_rt_trap_target != NULL) longjmp(*wasm_rt_trap_target, (int)code);
  /* A trap outside WASM_RT_TRY is a bug of the embedding: stop here, visibly. */
  for (;;) {
  }
}

const char *wasm_rt_strerror(wasm_rt_trap_t code) {
  switch (code) {
    case WASM_RT_TRAP_NONE: return "no trap";
    case WASM_RT_TRAP_OOB: return "out-of-bounds memory access";
    case WASM_RT_TRAP_INT_OVERFLOW: return "integer overflow";
    case WASM_RT_TRAP_DIV_BY_ZERO: return "integer division by zero";
    case WASM_RT_TRAP_INVALID_CONVERSION: return "invalid conversion to integer";
    case WASM_RT_TRAP_UNREACHABLE: return "unreachable executed";
    case WASM_RT_TRAP_CALL_INDIRECT: return "bad call_indirect";
    case WASM_RT_TRAP_UNCAUGHT_EXCEPTION: return "uncaught exception";
    case WASM_RT_TRAP_UNALIGNED: return "unaligned atomic access";
    case WASM_RT_TRAP_NULL_REF: return "null reference";
    case WASM_RT_TRAP_EXHAUSTION: return "call stack exhausted";
  }
  return "unknown trap";
}

void wasm_rt_set_memory_buffer(uint8_t *data, uint32_t size) {
  buffer = data;
  buffer_size = size;
}

void wasm_rt_allocate_memory(wasm_rt_memory_t *mem, uint64_t initial_pages,
                             uint64_t max_pages, bool is64, uint32_t page_size) {
  /* Only 32-bit memories of 64 KiB pages fit the checks above; a missing buffer is an OOB at the first access. */
  if (is64 || page_size != 65536u || buffer == NULL) wasm_rt_trap(WASM_RT_TRAP_OOB);
  uint64_t declared = initial_pages * page_size;
  uint32_t size = declared < buffer_size ? (uint32_t)declared : buffer_size;
  memset(buffer, 0, size); /* wasm memory starts zeroed; instantiate runs again after RESET */
  mem->data = buffer;
  mem->pages = (uint32_t)initial_pages;
  mem->max_pages = (uint32_t)max_pages;
  mem->size = size;
  mem->is64 = false;
}

uint64_t wasm_rt_grow_memory(wasm_rt_memory_t *mem, uint64_t delta) {
  if (delta == 0) return mem->pages;
  return (uint64_t)-1; /* the buffer is fixed */
}

void wasm_rt_free_memory(wasm_rt_memory_t *mem) {
  mem->size = 0;
  mem->pages = 0;
}
