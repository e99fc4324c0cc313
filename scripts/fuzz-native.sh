#!/usr/bin/env bash
# Builds the libFuzzer target firmware/fuzz/fuzz_run.c (the generated C VM,
# its runtime and component, under ASan+UBSan) and runs it.
#   scripts/fuzz-native.sh [seconds]      default 60; CI runs the default
# Corpus: build/fuzz/corpus (seeded from firmware/fuzz/seeds); crashes land in
# build/fuzz/artifacts/ and fail the script. Extra libFuzzer flags: FUZZ_FLAGS.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_TO_RUN="${1:-60}"
CC="${FUZZ_CC:-clang}"
C=firmware/components/mhr_byte
OUT=build/fuzz
mkdir -p "$OUT/corpus" "$OUT/artifacts"

if ! command -v "$CC" >/dev/null; then
  echo "fuzz-native: $CC not found (apt-get install clang libclang-rt-14-dev)" >&2
  exit 2
fi
if [ ! -f "$C/generated/mhr_vm.c" ]; then
  echo "fuzz-native: $C/generated/mhr_vm.c missing: run npm run build:firmware" >&2
  exit 2
fi

"$CC" -std=c11 -g -O1 -fno-omit-frame-pointer \
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
  -Wall -Wno-unused-function -Wno-unused-parameter -Wno-unused-variable -Wno-unused-label -Wno-unused-but-set-variable \
  -I"$C/include" -I"$C/src" -I"$C/runtime" -I"$C/generated" -Ifirmware/fuzz \
  firmware/fuzz/fuzz_run.c "$C/src/mhr_byte.c" "$C/runtime/wasm-rt-impl.c" "$C/generated/mhr_vm.c" \
  -o "$OUT/fuzz_run"

cp -n firmware/fuzz/seeds/* "$OUT/corpus/" 2>/dev/null || true
echo "fuzz-native: running $OUT/fuzz_run for ${SECONDS_TO_RUN}s"
# -max_len: a job is at most 64 KiB; most interesting inputs are small, and
# libFuzzer grows lengths from its corpus anyway.
UBSAN_OPTIONS=print_stacktrace=1 ASAN_OPTIONS=detect_leaks=0 \
"$OUT/fuzz_run" "$OUT/corpus" -max_total_time="$SECONDS_TO_RUN" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$OUT/artifacts/" -print_final_stats=1 ${FUZZ_FLAGS:-} 2>&1 | tail -n 25
status=${PIPESTATUS[0]}
if [ "$status" -ne 0 ]; then
  echo "fuzz-native: FAILED (exit $status); reproducer(s) in $OUT/artifacts/" >&2
  exit "$status"
fi
echo "fuzz-native: no crash in ${SECONDS_TO_RUN}s"
