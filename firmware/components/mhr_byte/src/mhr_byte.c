/*
 * The component's public API (include/mhr_byte.h) over the generated VM.
 *
 * The VM's linear memory is one buffer owned here: by default a static array
 * sized to what the module really touches (MHR_VM_MEMORY_BYTES, computed by
 * scripts/build-firmware.ts from the module's data segments), not its
 * declared 4 pages. Under ESP-IDF, Kconfig can move it to PSRAM or take it
 * from the heap once at the first init (WASM_RT_DYNAMIC_MEMORY; elsewhere the
 * embedder then defines memory_buf itself).
 */
#include "mhr_byte.h"
#include "mhr_byte_internal.h"

#include "mhr_vm.h"
#include "wasm-rt.h"

#ifdef ESP_PLATFORM
#include "sdkconfig.h"
#include "esp_attr.h"
#if CONFIG_MHR_BYTE_MEMORY_HEAP
#include "esp_heap_caps.h"
#endif
#endif

#if defined(WASM_RT_STATIC_MEMORY_BYTES)
#if WASM_RT_STATIC_MEMORY_BYTES < MHR_VM_MEMORY_BYTES
#error "WASM_RT_STATIC_MEMORY_BYTES is below what the VM module touches (MHR_VM_MEMORY_BYTES)"
#endif
#define MEMORY_BYTES WASM_RT_STATIC_MEMORY_BYTES
#if defined(ESP_PLATFORM) && CONFIG_MHR_BYTE_MEMORY_PSRAM
#define MEMORY_ATTR EXT_RAM_BSS_ATTR
#else
#define MEMORY_ATTR
#endif
/* The runtime's static memory (runtime/wasm-rt.h): its base and size are constants in the generated code. */
uint8_t wasm_rt_static_memory[MEMORY_BYTES] MEMORY_ATTR __attribute__((aligned(16)));
#define memory_buf wasm_rt_static_memory
#else
/* WASM_RT_DYNAMIC_MEMORY: allocated once, at the first init (ESP-IDF: CONFIG_MHR_BYTE_MEMORY_HEAP). */
#define MEMORY_BYTES MHR_VM_MEMORY_BYTES
static uint8_t *memory_buf;
#endif

static w2c_mhrvm vm;
static int ready;
static int last_trap;
static uint8_t *job;
static uint32_t job_cap;

/* Whether [off, off + len) lies inside the backed memory. */
static int in_memory(uint32_t off, uint32_t len) {
  uint32_t size = vm.w2c_memory.size;
  return off <= size && len <= size - off;
}

int mhr_byte_init(void) {
  wasm_rt_trap_t trap;
  if (ready) {
    wasm2c_mhrvm_free(&vm);
    ready = 0;
  }
  job = NULL;
  job_cap = 0;
#if !defined(WASM_RT_STATIC_MEMORY_BYTES)
#if defined(ESP_PLATFORM)
  if (memory_buf == NULL) memory_buf = heap_caps_aligned_alloc(16, MEMORY_BYTES, MALLOC_CAP_8BIT);
#endif
  if (memory_buf == NULL) return -2;
#endif
  wasm_rt_init();
  wasm_rt_set_memory_buffer(memory_buf, (uint32_t)MEMORY_BYTES);
  volatile uint32_t abi = 0, ptr = 0, cap = 0;
  WASM_RT_TRY(trap, {
    wasm2c_mhrvm_instantiate(&vm);
    abi = w2c_mhrvm_mhr_abi_version(&vm);
    ptr = w2c_mhrvm_mhr_job_ptr(&vm);
    cap = w2c_mhrvm_mhr_job_cap(&vm);
  });
  last_trap = (int)trap;
  if (trap != WASM_RT_TRAP_NONE) return -1;
  if (abi != 2u || !in_memory(ptr, cap)) return -3;
  job = vm.w2c_memory.data + ptr;
  job_cap = cap;
  ready = 1;
  return 0;
}

uint8_t *mhr_byte_job_buffer(size_t *capacity) {
  if (capacity) *capacity = ready ? job_cap : 0;
  return ready ? job : NULL;
}

size_t mhr_byte_run(size_t job_len, const uint8_t **result) {
  *result = NULL;
  if (!ready) return 0;
  /* mhr_run answers JOB_TOO_LARGE for len > cap; clamp so that a size_t wider than i32 cannot wrap to a small length. */
  uint32_t len = job_len > 0x7FFFFFFFu ? 0x7FFFFFFFu : (uint32_t)job_len;
  volatile uint32_t n = 0, at = 0; /* written inside WASM_RT_TRY, read after its setjmp returns */
  wasm_rt_trap_t trap;
  WASM_RT_TRY(trap, {
    n = w2c_mhrvm_mhr_run(&vm, len);
    at = w2c_mhrvm_mhr_result_ptr(&vm);
  });
  last_trap = (int)trap;
  if (trap != WASM_RT_TRAP_NONE || n == 0 || !in_memory(at, n)) return 0;
  *result = vm.w2c_memory.data + at;
  return n;
}

void mhr_byte_restore(void) {
  if (!ready) return;
  wasm_rt_trap_t trap;
  WASM_RT_TRY(trap, { w2c_mhrvm_mhr_restore(&vm); });
  last_trap = (int)trap;
}

const uint8_t *mhr_byte_state(size_t *len) {
  *len = 0;
  if (!ready) return NULL;
  volatile uint32_t at = 0, n = 0;
  wasm_rt_trap_t trap;
  WASM_RT_TRY(trap, {
    at = w2c_mhrvm_mhr_state_ptr(&vm);
    n = w2c_mhrvm_mhr_state_len(&vm);
  });
  if (trap != WASM_RT_TRAP_NONE || n == 0 || !in_memory(at, n)) return NULL;
  *len = n;
  return vm.w2c_memory.data + at;
}

const char *mhr_byte_build_id(void) { return MHR_VM_BUILD_ID; }

int mhr_byte_last_trap(void) { return last_trap; }

const char *mhr_byte_trap_name(int trap) { return wasm_rt_strerror((wasm_rt_trap_t)trap); }

uint8_t *mhr_byte_memory(size_t *size) {
  *size = ready ? vm.w2c_memory.size : 0;
  return ready ? vm.w2c_memory.data : NULL;
}
