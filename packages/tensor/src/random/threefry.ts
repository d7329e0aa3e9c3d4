// Threefry-2x32 with 20 rounds (Salmon et al. 2011, "Parallel random numbers: as easy as 1, 2, 3"),
// the counter-based generator JAX uses. Pure 32-bit integer arithmetic, so every JS engine and
// every tfjs backend sees the same bits.

const ROT = [13, 15, 26, 6, 17, 29, 16, 24] as const;

const rotl = (x: number, r: number): number => ((x << r) | (x >>> (32 - r))) >>> 0;

/**
 * Encrypts the counters (x0[i], x1[i]) with key (k0, k1) in place; returns nothing.
 * @internal
 */
export function threefry2x32(k0: number, k1: number, x0: Uint32Array, x1: Uint32Array): void {
  const k2 = (k0 ^ k1 ^ 0x1bd11bda) >>> 0;
  const ks = [k0 >>> 0, k1 >>> 0, k2];
  const n = x0.length;
  for (let i = 0; i < n; i++) {
    let a = ((x0[i] as number) + ks[0]!) >>> 0;
    let b = ((x1[i] as number) + ks[1]!) >>> 0;
    for (let block = 0; block < 5; block++) {
      const base = (block & 1) * 4;
      for (let j = 0; j < 4; j++) {
        a = (a + b) >>> 0;
        b = rotl(b, ROT[base + j]!);
        b = (b ^ a) >>> 0;
      }
      const s = block + 1;
      a = (a + ks[s % 3]!) >>> 0;
      b = (b + ks[(s + 1) % 3]! + s) >>> 0;
    }
    x0[i] = a;
    x1[i] = b;
  }
}

/**
 * `n` pseudo-random 32-bit words from key (k0, k1), by encrypting the counters 0..⌈n/2⌉−1.
 * @internal
 */
export function randomBits(k0: number, k1: number, n: number): Uint32Array {
  const half = Math.ceil(n / 2);
  const x0 = new Uint32Array(half);
  const x1 = new Uint32Array(half);
  for (let i = 0; i < half; i++) x1[i] = i;
  threefry2x32(k0, k1, x0, x1);
  const out = new Uint32Array(n);
  out.set(x0.subarray(0, Math.min(half, n)));
  if (n > half) out.set(x1.subarray(0, n - half), half);
  return out;
}
