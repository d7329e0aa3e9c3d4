import * as tf from '@tensorflow/tfjs-core';
import { assertInteger, ShapeError } from '@walkjump/tensor';
import { checkBatch, checkFiniteData } from '../internal/checks.ts';

/** Options of {@link chiStatistics}. */
export interface ChiStatisticsOptions {
  /** Rows per Gram-matrix block (memory ≈ 4·blockRows·N bytes per block); default 512. */
  readonly blockRows?: number;
  /**
   * Compute the exact median (stores all N(N−1)/2 values as float32: 200 MB for N = 10 000);
   * default true. With false, `median` is NaN and memory stays O(blockRows·N).
   */
  readonly median?: boolean;
}

/** Statistics of the χ matrix over all pairs i < i′; see {@link chiStatistics}. */
export interface ChiStatistics {
  readonly min: number;
  readonly median: number;
  readonly mean: number;
  readonly max: number;
  /** σc = max χ: the onset of the extreme-noise regime where all i-spheres overlap. */
  readonly sigmaC: number;
  /** Number of pairs N(N−1)/2. */
  readonly pairs: number;
  /** The pairs (i, i′) attaining the min and the max. */
  readonly argmin: readonly [number, number];
  readonly argmax: readonly [number, number];
}

// k-th smallest (0-based) of a[lo..hi] in place (quickselect, median-of-3 pivot, Hoare partition).
function select(a: Float32Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    const x = a[lo] as number;
    const y = a[mid] as number;
    const z = a[hi] as number;
    const pivot = Math.max(Math.min(x, y), Math.min(Math.max(x, y), z)); // median of three
    let i = lo;
    let j = hi;
    while (i <= j) {
      while ((a[i] as number) < pivot) i++;
      while ((a[j] as number) > pivot) j--;
      if (i <= j) {
        const tmp = a[i] as number;
        a[i] = a[j] as number;
        a[j] = tmp;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k] as number;
  }
  return a[k] as number;
}

/**
 * The χ matrix of Saremi & Hyvärinen (2019), eq. 4: χ_ii′ = ‖X_i − X_i′‖/(2√d), summarized exactly
 * over all N(N−1)/2 pairs: min, median, mean, max and the critical noise level σc = max χ (Table 1
 * reports min 0.0186, median 0.1822, mean 0.1812, max 0.2884 for 10 000 MNIST images in [0, 1]).
 * `x` is [N, ...] (samples flattened to d features). Distances come from blocks of the Gram matrix
 * (centred data, ‖a‖² + ‖b‖² − 2⟨a, b⟩), read back block by block; the min and max pairs are then
 * recomputed in float64. Async because it reads values back; throws for N < 2 or NaN data.
 */
export async function chiStatistics(x: tf.Tensor, opts: ChiStatisticsOptions = {}): Promise<ChiStatistics> {
  const fn = 'chiStatistics';
  const N = checkBatch(fn, 'x', x);
  if (N < 2) throw new ShapeError(`${fn}: 'x' must hold at least 2 samples, got shape [${x.shape.join(', ')}]`);
  checkFiniteData(fn, 'x', x);
  const blockRows = opts.blockRows ?? 512;
  assertInteger(fn, 'blockRows', blockRows, 1);
  const wantMedian = opts.median !== false;
  const d = x.size / N;
  const scale = 1 / (2 * Math.sqrt(d));
  const pairs = (N * (N - 1)) / 2;
  const all = wantMedian ? new Float32Array(pairs) : null;
  const [xc, nn] = tf.tidy(() => {
    const flat = tf.reshape(x, [N, d]);
    const c = tf.sub(flat, tf.mean(flat, 0));
    return [c, tf.sum(tf.square(c), 1)];
  });
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let amin: [number, number] = [0, 1];
  let amax: [number, number] = [0, 1];
  let pos = 0;
  try {
    for (let i0 = 0; i0 < N - 1; i0 += blockRows) {
      const b = Math.min(blockRows, N - 1 - i0);
      const w = N - i0; // columns i0..N−1
      const block = tf.tidy(() => {
        const rows = tf.slice(xc, [i0, 0], [b, d]);
        const cols = tf.slice(xc, [i0, 0], [w, d]);
        const g = tf.matMul(rows, cols, false, true);
        const ni = tf.reshape(tf.slice(nn, [i0], [b]), [b, 1]);
        const nj = tf.reshape(tf.slice(nn, [i0], [w]), [1, w]);
        return tf.sub(tf.add(ni, nj), tf.mul(g, 2));
      });
      const v = (await block.data()) as Float32Array;
      block.dispose();
      for (let r = 0; r < b; r++) {
        const i = i0 + r;
        let rowSum = 0;
        for (let c = r + 1; c < w; c++) {
          const d2 = v[r * w + c] as number;
          const chi = Math.sqrt(Math.max(d2, 0)) * scale;
          rowSum += chi;
          if (chi < min) {
            min = chi;
            amin = [i, i0 + c];
          }
          if (chi > max) {
            max = chi;
            amax = [i, i0 + c];
          }
          if (all !== null) all[pos++] = chi;
        }
        sum += rowSum;
      }
    }
    // refine the extreme pairs in float64 from the original values
    const flat = (await x.data()) as Float32Array;
    const exact = ([i, j]: [number, number]): number => {
      let s = 0;
      for (let k = 0; k < d; k++) s += ((flat[i * d + k] as number) - (flat[j * d + k] as number)) ** 2;
      return Math.sqrt(s) * scale;
    };
    min = exact(amin);
    max = exact(amax);
  } finally {
    tf.dispose([xc, nn]);
  }
  let median = Number.NaN;
  if (all !== null) {
    const k = Math.floor((pairs - 1) / 2);
    const lo = select(all, k);
    if (pairs % 2 === 1) median = lo;
    else {
      let next = Infinity;
      for (let i = k + 1; i < pairs; i++) if ((all[i] as number) < next) next = all[i] as number;
      median = (lo + next) / 2;
    }
  }
  return { min, median, mean: sum / pairs, max, sigmaC: max, pairs, argmin: amin, argmax: amax };
}

/**
 * The critical noise level σc = max_{i<i′} ‖X_i − X_i′‖/(2√d) of Saremi & Hyvärinen (2019), eq. 4
 * and Sec. 7 (≈ 0.2884 for MNIST): for σ ≥ σc every pair of i-spheres overlaps. Exact over all pairs
 * in O(blockRows·N) memory (no median). `x` is [N, ...].
 */
export async function criticalSigma(x: tf.Tensor, opts: { readonly blockRows?: number } = {}): Promise<number> {
  const s = await chiStatistics(x, { ...opts, median: false });
  return s.sigmaC;
}
