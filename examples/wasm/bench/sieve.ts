// Benchmark kernel: sieve of Eratosthenes up to n; returns the prime count.
export function run(n: i64): i64 {
  const size = <i32>n + 1;
  const flags = new Uint8Array(size);
  let count: i64 = 0;
  for (let i = 2; i < size; i++) {
    if (unchecked(flags[i]) == 0) {
      count++;
      for (let j = i * 2; j < size; j += i) unchecked(flags[j] = 1);
    }
  }
  return count;
}
