// Validation helpers shared by the package's entry points (not exported from the package).
import * as tf from '@tensorflow/tfjs-core';
import { assertFloat, assertInteger, assertPositive, ShapeError, ValueError } from '@walkjump/tensor';

const shapeOf = (t: tf.Tensor): string => `[${t.shape.join(', ')}]`;

/** Throws unless `x` is a non-empty float32 batch [B, ...] of rank ≥ `minRank`. Returns B. */
export function checkBatch(fn: string, name: string, x: unknown, minRank = 1): number {
  if (!(x instanceof tf.Tensor)) throw new ShapeError(`${fn}: '${name}' must be a tensor [B, ...], got ${typeof x}`);
  if (x.rank < minRank || x.shape[0] === 0 || x.size === 0) {
    const want = minRank <= 1 ? '[B, ...]' : `rank >= ${minRank} ([B, ${minRank === 2 ? 'M' : 'M, ...'}, ...])`;
    throw new ShapeError(`${fn}: '${name}' must be a non-empty batch ${want}, got ${shapeOf(x)}`);
  }
  assertFloat(fn, name, x);
  return x.shape[0] as number;
}

/** Throws a ValueError when `x` holds NaN or ±∞ (one scalar read-back). */
export function checkFiniteData(fn: string, name: string, x: tf.Tensor): void {
  const bad = tf.tidy(() => tf.any(tf.logicalNot(tf.isFinite(x))));
  const isBad = bad.dataSync()[0] === 1;
  bad.dispose();
  if (isBad) throw new ValueError(`${fn}: '${name}' contains NaN or ±Infinity`);
}

/**
 * Resolves a noise specification to M positive noise levels: a number σ with `M` (σ ⊗ M, M ≥ 1
 * integer, default 1), or an array [σ_1 … σ_M] (then `M`, if given, must equal its length).
 */
export function resolveSigmas(fn: string, sigma: unknown, M?: unknown): number[] {
  if (Array.isArray(sigma)) {
    if (sigma.length === 0)
      throw new ValueError(`${fn}: 'sigma' must be a positive number or a non-empty array, got []`);
    sigma.forEach((s, i) => {
      assertPositive(fn, `sigma[${i}]`, s);
    });
    if (M !== undefined) {
      assertInteger(fn, 'M', M, 1);
      if (M !== sigma.length)
        throw new ValueError(`${fn}: 'M' (${String(M)}) must equal sigma.length (${sigma.length})`);
    }
    return sigma.slice() as number[];
  }
  assertPositive(fn, 'sigma', sigma);
  const m = M ?? 1;
  assertInteger(fn, 'M', m, 1);
  return new Array<number>(m as number).fill(sigma);
}

/** Throws unless `e` is a per-sample vector [B]. */
export function checkPerSample(fn: string, what: string, e: tf.Tensor, B: number): void {
  if (e.rank !== 1 || e.shape[0] !== B) {
    throw new ShapeError(`${fn}: '${what}' must return per-sample values [${B}], got ${shapeOf(e)}`);
  }
}

/** Throws unless `out` has exactly `shape`. */
export function checkOutShape(fn: string, what: string, out: tf.Tensor, shape: readonly number[]): void {
  if (out.rank !== shape.length || out.shape.some((s, i) => s !== shape[i])) {
    throw new ShapeError(`${fn}: '${what}' must return shape [${shape.join(', ')}], got ${shapeOf(out)}`);
  }
}

/** A [M] tensor of σ_m² broadcastable against [B, M, ...] (shape [1, M, 1, …]). */
export function perMeasurement(values: readonly number[], rank: number): tf.Tensor {
  const shape = [1, values.length, ...new Array<number>(Math.max(0, rank - 2)).fill(1)];
  return tf.tensor(values as number[], shape);
}

/** Options objects must be objects. */
export function checkOpts(fn: string, opts: unknown, what: string): void {
  if (opts === null || typeof opts !== 'object') throw new ValueError(`${fn}: options ${what} are required`);
}
