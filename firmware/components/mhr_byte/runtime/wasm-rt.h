/*
 * A bare-metal runtime for wasm2c 1.0.39 output, written for MHR-Compute.
 *
 * The upstream wabt runtime wants pthreads, mmap'd guard pages and
 * sigsetjmp; a microcontroller wants none of that. This header declares
 * exactly what the generated C of one module with one 32-bit memory, no
 * imports and no tables references, and nothing more:
 *
 *   - the memory is a caller-provided static buffer (wasm_rt_set_memory_buffer)
 *     whose size may be smaller than the module's declared pages: every
 *     access is bounds-checked against the buffer, so the cap is safe;
 *   - a trap longjmps to the innermost WASM_RT_TRY; no malloc anywhere;
 *   - wasm_rt_memcpy is the load/store primitive of the generated code: it has
 *     an aligned fast path for strict-alignment cores (Xtensa, RISC-V);
 *   - WASM_RT_OOB32 is the 32-bit bounds check the generator's build script
 *     patches into the generated MEMCHECK (see scripts/build-firmware.ts).
 *
 * Configuration (all optional, -D or sdkconfig):
 *   WASM_RT_STATIC_MEMORY_BYTES    the memory is the embedder's static array
 *                                  wasm_rt_static_memory of this size
 *   WASM_RT_STACK_DEPTH_COUNT      1 = count wasm call depth, trap EXHAUSTION
 *                                  (default 0: `npm run size` bounds the
 *                                  stack statically, scripts/size.ts
 *                                  peakStack; the host-asan port sets 1)
 *   WASM_RT_MAX_CALL_STACK_DEPTH   the depth limit (default 128)
 */
#ifndef WASM_RT_H_
#define WASM_RT_H_

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- compiler helpers ----------------------------------------------------- */

#if defined(__GNUC__) || defined(__clang__)
#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)
#define WASM_RT_NO_RETURN __attribute__((noreturn))
/*
 * The generated load/store/bounds-check helpers are marked WASM_RT_ALWAYS_INLINE.
 * Forcing them inline is what a speed build (-O2) wants: about 2x fewer
 * instructions per access. At -Os it costs ~16 KiB of flash, so a size build
 * leaves the choice to the compiler (it keeps one out-of-line copy of each
 * helper). -DWASM_RT_FORCE_INLINE=1 or =0 overrides the default either way;
 * -DWASM_RT_ALWAYS_INLINE=... sets the attribute outright.
 */
#ifndef WASM_RT_FORCE_INLINE
#ifdef __OPTIMIZE_SIZE__
#define WASM_RT_FORCE_INLINE 0
#else
#define WASM_RT_FORCE_INLINE 1
#endif
#endif
#ifndef WASM_RT_ALWAYS_INLINE
#if WASM_RT_FORCE_INLINE
#define WASM_RT_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define WASM_RT_ALWAYS_INLINE inline
#endif
#endif
#else
#define LIKELY(x) (x)
#define UNLIKELY(x) (x)
#define WASM_RT_NO_RETURN
#ifndef WASM_RT_ALWAYS_INLINE
#define WASM_RT_ALWAYS_INLINE inline
#endif
#endif

#ifndef __has_builtin
#define __has_builtin(x) 0
#endif

/* ---- features this runtime has (and has not) ------------------------------ */

#define WASM_RT_USE_SEGUE 0            /* x86-64 segment-register trick: no */
#define WASM_RT_SEGUE_FREE_SEGMENT 0
#define WASM_RT_MEMCHECK_GUARD_PAGES 0 /* no MMU: every access is checked */
#define WASM_RT_SANITY_CHECKS 0
#define WASM_RT_NONCONFORMING_UNCHECKED_STACK_EXHAUSTION 0

#ifndef WASM_RT_STACK_DEPTH_COUNT
#define WASM_RT_STACK_DEPTH_COUNT 0
#endif
#ifndef WASM_RT_MAX_CALL_STACK_DEPTH
#define WASM_RT_MAX_CALL_STACK_DEPTH 128
#endif

#if WASM_RT_STACK_DEPTH_COUNT
extern uint32_t wasm_rt_call_stack_depth;
#endif

/* ---- traps ---------------------------------------------------------------- */

typedef enum {
  WASM_RT_TRAP_NONE,
  WASM_RT_TRAP_OOB,
  WASM_RT_TRAP_INT_OVERFLOW,
  WASM_RT_TRAP_DIV_BY_ZERO,
  WASM_RT_TRAP_INVALID_CONVERSION,
  WASM_RT_TRAP_UNREACHABLE,
  WASM_RT_TRAP_CALL_INDIRECT,
  WASM_RT_TRAP_UNCAUGHT_EXCEPTION,
  WASM_RT_TRAP_UNALIGNED,
  WASM_RT_TRAP_NULL_REF,
  WASM_RT_TRAP_EXHAUSTION,
} wasm_rt_trap_t;

/* Raises a trap: longjmps to the innermost WASM_RT_TRY with the trap code. */
WASM_RT_NO_RETURN void wasm_rt_trap(wasm_rt_trap_t code);

/* Human-readable name of a trap code. */
const char *wasm_rt_strerror(wasm_rt_trap_t code);

/* The jump target of the innermost WASM_RT_TRY (NULL outside one). */
extern jmp_buf *wasm_rt_trap_target;

/*
 * Runs the statements with traps caught; `trap_out` (a wasm_rt_trap_t lvalue) is
 * WASM_RT_TRAP_NONE when they completed, or the trap code. Not reentrant
 * across nested WASM_RT_TRY in the same frame; restores the outer target.
 */
#define WASM_RT_TRY(trap_out, ...)                                    \
  do {                                                                \
    jmp_buf wasm_rt_jb_;                                              \
    jmp_buf *volatile wasm_rt_outer_ = wasm_rt_trap_target;           \
    int wasm_rt_code_ = setjmp(wasm_rt_jb_);                          \
    if (wasm_rt_code_ == 0) {                                         \
      wasm_rt_trap_target = &wasm_rt_jb_;                             \
      __VA_ARGS__;                                                    \
      (trap_out) = WASM_RT_TRAP_NONE;                                 \
    } else {                                                          \
      (trap_out) = (wasm_rt_trap_t)wasm_rt_code_;                     \
      wasm_rt_reset_call_depth();                                     \
    }                                                                 \
    wasm_rt_trap_target = wasm_rt_outer_;                             \
  } while (0)

void wasm_rt_reset_call_depth(void);

/* ---- value and function types --------------------------------------------- */

typedef enum {
  WASM_RT_I32,
  WASM_RT_I64,
  WASM_RT_F32,
  WASM_RT_F64,
  WASM_RT_V128,
  WASM_RT_FUNCREF,
  WASM_RT_EXTERNREF,
  WASM_RT_EXNREF,
} wasm_rt_type_t;

typedef void (*wasm_rt_function_ptr_t)(void);
typedef const char *wasm_rt_func_type_t; /* a 32-byte type hash, or NULL */

struct wasm_rt_tailcallee_t;
typedef void (*wasm_rt_tailcallee_fn_t)(void **instance_ptr, void *tail_call_stack,
                                        struct wasm_rt_tailcallee_t *next);
typedef struct wasm_rt_tailcallee_t {
  wasm_rt_tailcallee_fn_t fn;
} wasm_rt_tailcallee_t;

typedef struct {
  wasm_rt_func_type_t func_type;
  wasm_rt_function_ptr_t func;
  wasm_rt_tailcallee_t func_tailcallee;
  void *module_instance;
} wasm_rt_funcref_t;

typedef void *wasm_rt_externref_t;

#define wasm_rt_funcref_null_value \
  ((wasm_rt_funcref_t){NULL, NULL, {NULL}, NULL})
#define wasm_rt_externref_null_value ((wasm_rt_externref_t){NULL})

/* Tables exist only as types: the VM module declares none. */
typedef struct {
  wasm_rt_funcref_t *data;
  uint32_t max_size;
  uint32_t size;
} wasm_rt_funcref_table_t;

typedef struct {
  wasm_rt_externref_t *data;
  uint32_t max_size;
  uint32_t size;
} wasm_rt_externref_table_t;

/* ---- memory ----------------------------------------------------------------- */

typedef struct {
  uint8_t *data;      /* the buffer given to wasm_rt_set_memory_buffer */
  uint32_t pages;     /* declared pages (what memory.size reports) */
  uint32_t max_pages;
  uint32_t size;      /* bytes actually backed: every access is checked against this */
  bool is64;
} wasm_rt_memory_t;

/*
 * Gives the runtime the buffer the next wasm_rt_allocate_memory uses. size may
 * be below the module's declared pages x 64 KiB: accesses past it trap (OOB).
 * The buffer must be 8-byte aligned.
 */
void wasm_rt_set_memory_buffer(uint8_t *data, uint32_t size);

/* Called by the generated instantiate: zeroes the buffer and fills the fields. */
void wasm_rt_allocate_memory(wasm_rt_memory_t *mem, uint64_t initial_pages,
                             uint64_t max_pages, bool is64, uint32_t page_size);
/* memory.grow: the buffer is fixed, so any growth fails (returns -1). */
uint64_t wasm_rt_grow_memory(wasm_rt_memory_t *mem, uint64_t delta);
void wasm_rt_free_memory(wasm_rt_memory_t *mem);

/*
 * Where the memory's bytes are. With WASM_RT_STATIC_MEMORY_BYTES defined, the
 * embedder provides `wasm_rt_static_memory`, an array of exactly that many
 * bytes, and base and size are link-time constants: the compiler need not
 * reload them after every store (a store through a byte pointer may alias
 * the memory struct). Otherwise they are read from the memory struct.
 */
#ifdef WASM_RT_STATIC_MEMORY_BYTES
extern uint8_t wasm_rt_static_memory[];
#define WASM_RT_MEM_BASE(mem) (wasm_rt_static_memory)
#define WASM_RT_MEM_SIZE(mem) ((uint32_t)(WASM_RT_STATIC_MEMORY_BYTES))
#else
#define WASM_RT_MEM_BASE(mem) ((mem)->data)
#define WASM_RT_MEM_SIZE(mem) ((mem)->size)
#endif

/*
 * Bounds check for a default-page-size 32-bit memory: `a` is the u64 effective
 * address (u32 base + u32 offset), n the access size. Done in 32-bit
 * arithmetic: the high word is only the carry of base + offset.
 */
#define WASM_RT_OOB32(mem, a, n) \
  ((uint32_t)((uint64_t)(a) >> 32) != 0u || (uint32_t)(a) > WASM_RT_MEM_SIZE(mem) - (uint32_t)(n))

/*
 * Range check of memory.fill/copy/init and data segments: offset o and length n
 * (u64 holding 32-bit values for a 32-bit memory) must satisfy o + n <= size.
 * 32-bit arithmetic, and with a static memory the size is a constant: the
 * checks of the constant data segments at instantiation fold away.
 */
#define WASM_RT_RANGE_OOB32(mem, o, n)                                           \
  (((uint32_t)((uint64_t)(o) >> 32) | (uint32_t)((uint64_t)(n) >> 32)) != 0u || \
   (uint32_t)(n) > WASM_RT_MEM_SIZE(mem) || (uint32_t)(o) > WASM_RT_MEM_SIZE(mem) - (uint32_t)(n))

/* ---- wasm_rt_memcpy: the load/store primitive ------------------------------ */

/* WASM_RT_STRICT_ALIGNMENT forces the strict-alignment path (host tests of the MCU code path). */
#if (defined(__x86_64__) || defined(__i386__) || defined(__aarch64__) || defined(WASM_RT_UNALIGNED_OK)) && !defined(WASM_RT_STRICT_ALIGNMENT)
/* Cores with cheap unaligned access: the compiler turns a fixed-size memcpy into one move. */
#define wasm_rt_memcpy memcpy
#else
typedef uint16_t wasm_rt_u16a_ __attribute__((may_alias));
typedef uint32_t wasm_rt_u32a_ __attribute__((may_alias));

/*
 * Strict-alignment cores: a memcpy of unknown alignment becomes byte loads.
 * Wasm code from AssemblyScript is nearly always naturally aligned, so test
 * the alignment at run time and use whole-word moves when it holds (8-byte
 * values move as two words). n is a compile-time constant at every call site
 * of the generated code, so only one branch survives.
 */
static WASM_RT_ALWAYS_INLINE void wasm_rt_memcpy_(void *d, const void *s, size_t n) {
  uintptr_t both = (uintptr_t)d | (uintptr_t)s;
  if (n == 4 && LIKELY((both & 3u) == 0)) {
    *(wasm_rt_u32a_ *)d = *(const wasm_rt_u32a_ *)s;
  } else if (n == 8 && LIKELY((both & 3u) == 0)) {
    ((wasm_rt_u32a_ *)d)[0] = ((const wasm_rt_u32a_ *)s)[0];
    ((wasm_rt_u32a_ *)d)[1] = ((const wasm_rt_u32a_ *)s)[1];
  } else if (n == 2 && LIKELY((both & 1u) == 0)) {
    *(wasm_rt_u16a_ *)d = *(const wasm_rt_u16a_ *)s;
  } else if (n == 1) {
    *(uint8_t *)d = *(const uint8_t *)s;
  } else {
    memcpy(d, s, n);
  }
}
#define wasm_rt_memcpy wasm_rt_memcpy_
#endif

/* ---- loads and stores of the generated code ------------------------------------ */

/*
 * The generated C's DEFINE_LOAD / DEFINE_STORE are patched (scripts/build-firmware.ts,
 * PATCHES) to these: value-returning helpers with no memcpy temporary, one bounds
 * check and an aligned fast path the compiler sees.
 *
 *   - Bounds: the effective address is taken modulo 2^32 and checked with one
 *     unsigned compare against the buffer size minus the access size (a
 *     link-time constant with a static memory). A wrapped address (base +
 *     offset >= 2^32, which the VM never forms) is then checked like any
 *     other: an access can never leave the buffer, which is the property this
 *     check exists for (the contract's own memory is fenced by the VM's checks,
 *     SPEC §2). Upstream wasm2c traps on it instead; nothing else differs.
 *   - Alignment: the buffer is 8-byte aligned, so the wasm address's low bits
 *     are the pointer's: a naturally aligned access (all of the VM's stack,
 *     code-table and cell accesses) is one word move (two for 64-bit values,
 *     which need only 4-byte alignment on a 32-bit core); anything else takes
 *     the byte-wise memcpy path. With a constant address (the VM's globals and
 *     tables) check and test fold away and the access is a direct load.
 * Forced inline (WASM_RT_ACCESS_INLINE): each is a handful of instructions, about
 * the size of the call it replaces.
 */
#ifndef WASM_RT_ACCESS_INLINE
#if defined(__GNUC__) || defined(__clang__)
#define WASM_RT_ACCESS_INLINE static inline __attribute__((always_inline))
#else
#define WASM_RT_ACCESS_INLINE static inline
#endif
#endif

#if (defined(__x86_64__) || defined(__i386__) || defined(__aarch64__) || defined(WASM_RT_UNALIGNED_OK)) && !defined(WASM_RT_STRICT_ALIGNMENT)
/* Cheap unaligned access: a fixed-size memcpy is one move whatever the address. */
#define WASM_RT_ANY_ALIGNMENT_ 1
#else
#define WASM_RT_ANY_ALIGNMENT_ 0
#endif
/* 8-byte values need 4-byte alignment: they move as two 32-bit words on 32-bit cores. */
#define WASM_RT_WORD_ALIGN_(t1) (sizeof(t1) > 4 ? 4 : sizeof(t1))
#define WASM_RT_ALIGNED_(a, n) (((a) & ((n) > 4 ? 3u : (uint32_t)(n) - 1u)) == 0u)

/*
 * With a static memory, one limit for every access size: the address must not
 * exceed size - 8. An access of n <= 8 bytes then ends inside the buffer; the
 * last 8 bytes are never the start of an access, which costs nothing because
 * the buffer is at least MHR_VM_MEMORY_BYTES (src/mhr_byte.c checks), which
 * the build sizes 8 bytes past a 4 KiB multiple that covers all the module's
 * data (scripts/build-firmware.ts): one constant for all sizes, on RV32 a
 * single `lui`, or one register for the loop.
 */
#ifdef WASM_RT_STATIC_MEMORY_BYTES
#define WASM_RT_ACCESS_LIMIT_(mem, n) ((uint32_t)(WASM_RT_STATIC_MEMORY_BYTES) - 8u)
#else
#define WASM_RT_ACCESS_LIMIT_(mem, n) (WASM_RT_MEM_SIZE(mem) - (uint32_t)(n))
#endif

#define WASM_RT_ACCESS_PTR_(mem, addr, t1, a)                                 \
  uint32_t a = (uint32_t)(addr);                                           \
  if (UNLIKELY(a > WASM_RT_ACCESS_LIMIT_(mem, sizeof(t1))))               \
    wasm_rt_trap(WASM_RT_TRAP_OOB);

#define WASM_RT_DEFINE_LOAD(name, t1, t2, t3)                                  \
  WASM_RT_ACCESS_INLINE t3 name##_default32(wasm_rt_memory_t *mem, u64 addr) { \
    WASM_RT_ACCESS_PTR_(mem, addr, t1, a_)                                     \
    const uint8_t *p_ = WASM_RT_MEM_BASE(mem) + a_;                            \
    t1 r_;                                                                     \
    if (WASM_RT_ANY_ALIGNMENT_ || sizeof(t1) == 1 || !LIKELY(WASM_RT_ALIGNED_(a_, sizeof(t1)))) \
      memcpy(&r_, p_, sizeof(t1));                                             \
    else                                                                       \
      __builtin_memcpy(&r_, __builtin_assume_aligned(p_, WASM_RT_WORD_ALIGN_(t1)), sizeof(t1)); \
    return (t3)(t2)r_;                                                         \
  }                                                                            \
  WASM_RT_ACCESS_INLINE t3 name(wasm_rt_memory_t *mem, u64 addr) {             \
    return name##_default32(mem, addr);                                        \
  }

#define WASM_RT_DEFINE_STORE(name, t1, t2)                                     \
  WASM_RT_ACCESS_INLINE void name##_default32(wasm_rt_memory_t *mem, u64 addr, \
                                              t2 value) {                      \
    WASM_RT_ACCESS_PTR_(mem, addr, t1, a_)                                     \
    uint8_t *p_ = WASM_RT_MEM_BASE(mem) + a_;                                  \
    t1 w_ = (t1)value;                                                         \
    if (WASM_RT_ANY_ALIGNMENT_ || sizeof(t1) == 1 || !LIKELY(WASM_RT_ALIGNED_(a_, sizeof(t1)))) \
      memcpy(p_, &w_, sizeof(t1));                                             \
    else                                                                       \
      __builtin_memcpy(__builtin_assume_aligned(p_, WASM_RT_WORD_ALIGN_(t1)), &w_, sizeof(t1)); \
  }                                                                            \
  WASM_RT_ACCESS_INLINE void name(wasm_rt_memory_t *mem, u64 addr, t2 value) { \
    name##_default32(mem, addr, value);                                        \
  }

/* ---- lifecycle ---------------------------------------------------------------- */

void wasm_rt_init(void);
bool wasm_rt_is_initialized(void);
void wasm_rt_free(void);

#ifdef __cplusplus
}
#endif

#endif /* WASM_RT_H_ */
