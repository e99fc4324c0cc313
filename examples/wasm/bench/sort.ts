// Benchmark kernel: fill n u32 values from xorshift32 and sort them (in-place
// quicksort with insertion sort for short ranges); returns a checksum.
function insertion(base: usize, lo: i32, hi: i32): void {
  for (let i = lo + 1; i <= hi; i++) {
    const v = load<u32>(base + (<usize>i << 2));
    let j = i - 1;
    while (j >= lo && load<u32>(base + (<usize>j << 2)) > v) {
      store<u32>(base + (<usize>(j + 1) << 2), load<u32>(base + (<usize>j << 2)));
      j--;
    }
    store<u32>(base + (<usize>(j + 1) << 2), v);
  }
}

function quicksort(base: usize, lo: i32, hi: i32): void {
  while (hi - lo > 16) {
    const p = load<u32>(base + (<usize>((lo + hi) >>> 1) << 2));
    let i = lo, j = hi;
    while (i <= j) {
      while (load<u32>(base + (<usize>i << 2)) < p) i++;
      while (load<u32>(base + (<usize>j << 2)) > p) j--;
      if (i <= j) {
        const t = load<u32>(base + (<usize>i << 2));
        store<u32>(base + (<usize>i << 2), load<u32>(base + (<usize>j << 2)));
        store<u32>(base + (<usize>j << 2), t);
        i++;
        j--;
      }
    }
    if (j - lo < hi - i) { quicksort(base, lo, j); lo = i; } else { quicksort(base, i, hi); hi = j; }
  }
  insertion(base, lo, hi);
}

export function run(n: i64): i64 {
  const count = <i32>n;
  const buf = new Uint32Array(count);
  const base = buf.dataStart;
  let x: u32 = 2463534242;
  for (let i = 0; i < count; i++) {
    x ^= x << 13; x ^= x >> 17; x ^= x << 5;
    store<u32>(base + (<usize>i << 2), x);
  }
  quicksort(base, 0, count - 1);
  let h: i64 = 0;
  for (let i = 0; i < count; i += 97) h = h * 31 + <i64>load<u32>(base + (<usize>i << 2));
  return h;
}
