import * as tf from '@tensorflow/tfjs-core';
import {
  type EnergyFn,
  type Key,
  ShapeError,
  ValueError,
  assertInteger,
  assertNonNegative,
  assertPositive,
  normal,
  split,
  uniform,
} from '@walkjump/tensor';

/** Options of {@link ebmLangevin}. @public */
export interface EbmLangevinOptions {
  /** Number of updates (default 20). */
  readonly steps?: number;
  /** Gradient step size s in x ← x − s·clamp(∇E) + σξ (default 10, as in Ross et al. 2023, App. B.1). */
  readonly stepSize?: number;
  /** Noise standard deviation σ (default 0.1; the paper's ε). */
  readonly noise?: number;
  /** Clamp each entry of ∇E to [−c, c] (default 0.03); `Infinity` disables clamping. */
  readonly gradClamp?: number;
}

/**
 * The short-run Langevin dynamics that EBM training uses for negative samples (Du & Mordatch 2019;
 * Ross et al. 2023, eq. 8 and App. B): x ← x − s·clamp(∇E(x), −c, c) + σξ, ξ ~ N(0, I), with the
 * step size s and noise σ decoupled and every gradient entry clamped to [−c, c]. Not a sampler of
 * e^{−E} (that needs s = σ²/2 and no clamp); it is the negative-sample generator of the paper. For
 * the MDF loss use E(x) = ‖F(x)‖ (or ‖F(x)‖², App. B.2). `x0` `[B, n]` is not disposed; returns a
 * new `[B, n]` tensor the caller owns (no gradient flows through it: sg[·] in eq. 8).
 * @public
 */
export function ebmLangevin(key: Key, energyFn: EnergyFn, x0: tf.Tensor, opts: EbmLangevinOptions = {}): tf.Tensor2D {
  const fn = 'ebmLangevin';
  const steps = opts.steps ?? 20;
  const stepSize = opts.stepSize ?? 10;
  const noise = opts.noise ?? 0.1;
  const c = opts.gradClamp ?? 0.03;
  assertInteger(fn, 'steps', steps, 0);
  assertPositive(fn, 'stepSize', stepSize);
  assertNonNegative(fn, 'noise', noise);
  assertPositive(fn, 'gradClamp', c);
  if (x0.rank !== 2) throw new ShapeError(`${fn}: 'x0' must have shape [B, n], got [${x0.shape.join(', ')}]`);
  const B = x0.shape[0] as number;
  const eShape = tf.tidy(() => energyFn(x0).shape);
  if (eShape.length !== 1 || eShape[0] !== B) {
    throw new ShapeError(`${fn}: 'energyFn' must map [${x0.shape.join(', ')}] to [${B}], got [${eShape.join(', ')}]`);
  }
  const keys = split(key, Math.max(steps, 1));
  // The 0·Σz term keeps an energy that ignores some inputs differentiable.
  const g = tf.grad((z: tf.Tensor) => tf.add(tf.sum(energyFn(z)), tf.mul(0, tf.sum(z))));
  let x = tf.cast(x0, 'float32') as tf.Tensor2D;
  if (x === x0) x = tf.clone(x0) as tf.Tensor2D;
  for (let t = 0; t < steps; t++) {
    const next = tf.tidy(() => {
      let grad = g(x);
      if (Number.isFinite(c)) grad = tf.clipByValue(grad, -c, c);
      const drift = tf.sub(x, tf.mul(stepSize, grad));
      return (noise > 0 ? tf.add(drift, tf.mul(noise, normal(keys[t]!, x.shape))) : drift) as tf.Tensor2D;
    });
    x.dispose();
    x = next;
  }
  return x;
}

/** Options of {@link ReplayBuffer}. @public */
export interface ReplayBufferOptions {
  /** Maximum number of stored points (default 1000, as in Ross et al. 2023, App. B.1). */
  readonly capacity?: number;
  /** Probability that a requested chain starts from a stored point rather than a fresh one (default 0.95). */
  readonly reuse?: number;
}

/**
 * The sample replay buffer of Du & Mordatch (2019), used by Ross et al. (2023, Sec. 3.2 and
 * App. B) for both the MDF's and the constrained EBM's negative samples: each chain of a training
 * step starts from a stored point with probability `reuse` (95 %) and from fresh noise otherwise;
 * the chains' end points are pushed back (first in, first out once full). Points are kept on the
 * host (no tensors held), so the buffer never leaks and survives `tf.tidy`.
 * @public
 */
export class ReplayBuffer {
  /** Dimension n of the stored points. */
  readonly dim: number;
  readonly capacity: number;
  readonly reuse: number;
  private readonly data: Float32Array;
  private count = 0;
  private head = 0;

  constructor(dim: number, opts: ReplayBufferOptions = {}) {
    const fn = 'ReplayBuffer';
    assertInteger(fn, 'dim', dim, 1);
    this.dim = dim;
    this.capacity = opts.capacity ?? 1000;
    assertInteger(fn, 'capacity', this.capacity, 1);
    this.reuse = opts.reuse ?? 0.95;
    if (!(this.reuse >= 0 && this.reuse <= 1))
      throw new ValueError(`${fn}: 'reuse' must be in [0, 1], got ${this.reuse}`);
    this.data = new Float32Array(this.capacity * dim);
  }

  /** Number of stored points. */
  get size(): number {
    return this.count;
  }

  /**
   * Start points `[count, n]` (caller owns): row i is a uniformly chosen stored point with
   * probability `reuse` (when the buffer is not empty), else row i of `fresh(key, m)` where m is the
   * number of fresh rows needed. `reused` says how many came from the buffer.
   */
  sample(key: Key, count: number, fresh: (key: Key, m: number) => tf.Tensor): { samples: tf.Tensor2D; reused: number } {
    const fn = 'ReplayBuffer.sample';
    assertInteger(fn, 'count', count, 1);
    const [ku, ki, kf] = split(key, 3) as [Key, Key, Key];
    const u = tf.tidy(() => uniform(ku, [count]).dataSync());
    const r = tf.tidy(() => uniform(ki, [count]).dataSync());
    const out = new Float32Array(count * this.dim);
    const freshRows: number[] = [];
    let reused = 0;
    for (let i = 0; i < count; i++) {
      if (this.count > 0 && u[i]! < this.reuse) {
        const j = Math.min(this.count - 1, Math.floor(r[i]! * this.count));
        out.set(this.data.subarray(j * this.dim, (j + 1) * this.dim), i * this.dim);
        reused++;
      } else freshRows.push(i);
    }
    if (freshRows.length > 0) {
      const f = fresh(kf, freshRows.length);
      if (f.rank !== 2 || f.shape[0] !== freshRows.length || f.shape[1] !== this.dim) {
        const shape = f.shape.join(', ');
        f.dispose();
        throw new ShapeError(`${fn}: 'fresh' must return [${freshRows.length}, ${this.dim}], got [${shape}]`);
      }
      const fv = f.dataSync();
      f.dispose();
      freshRows.forEach((i, a) => {
        out.set(fv.subarray(a * this.dim, (a + 1) * this.dim), i * this.dim);
      });
    }
    return { samples: tf.tensor2d(out, [count, this.dim]), reused };
  }

  /** Stores the rows of `x` `[B, n]` (not disposed), overwriting the oldest once full. Non-finite rows are skipped. */
  push(x: tf.Tensor): void {
    if (x.rank !== 2 || x.shape[1] !== this.dim) {
      throw new ShapeError(`ReplayBuffer.push: 'x' must have shape [B, ${this.dim}], got [${x.shape.join(', ')}]`);
    }
    const v = x.dataSync();
    const B = x.shape[0] as number;
    for (let i = 0; i < B; i++) {
      const row = v.subarray(i * this.dim, (i + 1) * this.dim);
      if (!row.every(Number.isFinite)) continue;
      this.data.set(row, this.head * this.dim);
      this.head = (this.head + 1) % this.capacity;
      this.count = Math.min(this.count + 1, this.capacity);
    }
  }

  /** A copy of the stored points `[size, n]` (caller owns). */
  toTensor(): tf.Tensor2D {
    return tf.tensor2d(this.data.slice(0, this.count * this.dim), [this.count, this.dim]);
  }
}

/** Fresh starting points: uniform in a box `[lo_i, hi_i]` per axis, `[m, n]`, caller owns. @internal */
export function uniformInBox(key: Key, m: number, bounds: readonly (readonly [number, number])[]): tf.Tensor2D {
  return tf.tidy(() => {
    const lo = tf.tensor1d(bounds.map((b) => b[0]));
    const width = tf.tensor1d(bounds.map((b) => b[1] - b[0]));
    return tf.add(lo, tf.mul(width, uniform(key, [m, bounds.length]))) as tf.Tensor2D;
  });
}

/** Bounding box of `x` `[B, n]` enlarged by `pad` times its size on each side. @internal */
export function dataBounds(x: tf.Tensor, pad = 0.1): [number, number][] {
  const [B, n] = x.shape as [number, number];
  const v = x.dataSync();
  const out: [number, number][] = [];
  for (let j = 0; j < n; j++) {
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < B; i++) {
      lo = Math.min(lo, v[i * n + j]!);
      hi = Math.max(hi, v[i * n + j]!);
    }
    const w = Math.max(hi - lo, 1e-3);
    out.push([lo - pad * w, hi + pad * w]);
  }
  return out;
}
