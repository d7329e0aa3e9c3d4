// Input coercion at the package boundary: tensors and plain arrays → float64 row-major point sets.
import * as tf from '@tensorflow/tfjs-core';
import { ShapeError, ValueError } from '@walkjump/tensor';

/** A row-major float64 point set: `data[i * d + k]` is coordinate k of point i. */
export interface PointArray {
  readonly data: Float64Array;
  readonly n: number;
  readonly d: number;
}

/** What every metric accepts as a set of points `[n, d]`. */
export type Points = tf.Tensor | readonly (readonly number[])[] | PointArray;

const describe = (x: unknown): string => {
  if (x instanceof tf.Tensor) return `a tensor of shape [${x.shape.join(', ')}]`;
  if (Array.isArray(x)) return `an array of length ${x.length}`;
  if (x === null || x === undefined) return String(x);
  return typeof x;
};

/**
 * Reads `x` once into a float64 point set, checking rank 2, non-emptiness and finiteness.
 * `minRows` defaults to 1; `d` (when given) is the expected dimension.
 */
export function toPoints(fn: string, name: string, x: Points, opts: { minRows?: number; d?: number } = {}): PointArray {
  let out: PointArray;
  if (x instanceof tf.Tensor) {
    if (x.rank !== 2) {
      throw new ShapeError(`${fn}: '${name}' must be a 2-D tensor [n, d], got shape [${x.shape.join(', ')}]`);
    }
    const [n, d] = x.shape as [number, number];
    out = { data: Float64Array.from(x.dataSync()), n, d };
  } else if (Array.isArray(x)) {
    const rows = x as readonly (readonly number[])[];
    const n = rows.length;
    const first = rows[0];
    if (n > 0 && !Array.isArray(first)) {
      throw new ShapeError(`${fn}: '${name}' must be an array of rows (number[][]), got an array of ${typeof first}`);
    }
    const d = first === undefined ? 0 : first.length;
    const data = new Float64Array(n * d);
    for (let i = 0; i < n; i++) {
      const r = rows[i] as readonly number[];
      if (!Array.isArray(r) || r.length !== d) {
        throw new ShapeError(
          `${fn}: '${name}' rows must all have length ${d}, row ${i} has ${Array.isArray(r) ? r.length : typeof r}`,
        );
      }
      for (let k = 0; k < d; k++) data[i * d + k] = r[k] as number;
    }
    out = { data, n, d };
  } else if (x !== null && typeof x === 'object' && 'data' in x && 'n' in x && 'd' in x) {
    const p = x as PointArray;
    if (!Number.isInteger(p.n) || !Number.isInteger(p.d) || p.n < 0 || p.d < 0 || p.data.length !== p.n * p.d) {
      throw new ShapeError(`${fn}: '${name}' has data.length ${p.data.length} but n * d = ${p.n} * ${p.d}`);
    }
    out = { data: p.data instanceof Float64Array ? p.data : Float64Array.from(p.data), n: p.n, d: p.d };
  } else {
    throw new ValueError(
      `${fn}: '${name}' must be a tf.Tensor [n, d], number[][] or { data, n, d }, got ${describe(x)}`,
    );
  }
  const minRows = opts.minRows ?? 1;
  if (out.n < minRows) throw new ValueError(`${fn}: '${name}' must have at least ${minRows} point(s), got ${out.n}`);
  if (out.d < 1) throw new ShapeError(`${fn}: '${name}' must have dimension d >= 1, got ${out.d}`);
  if (opts.d !== undefined && out.d !== opts.d) {
    throw new ShapeError(`${fn}: '${name}' has dimension ${out.d} but the other set has dimension ${opts.d}`);
  }
  assertAllFinite(fn, name, out.data);
  return out;
}

/** Throws a ValueError naming the first non-finite entry. */
export function assertAllFinite(fn: string, name: string, v: ArrayLike<number>): void {
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i] as number)) {
      throw new ValueError(`${fn}: '${name}' must be finite, entry ${i} is ${v[i]}`);
    }
  }
}

/** A 1-D array of numbers: tensor of rank 1, number[] or typed array. */
export type Values = tf.Tensor | readonly number[] | Float64Array | Float32Array;

/** Reads a 1-D input as float64, checking length and finiteness. */
export function toValues(
  fn: string,
  name: string,
  x: Values,
  opts: { minLength?: number; length?: number } = {},
): Float64Array {
  let out: Float64Array;
  if (x instanceof tf.Tensor) {
    if (x.rank !== 1) throw new ShapeError(`${fn}: '${name}' must be a 1-D tensor, got shape [${x.shape.join(', ')}]`);
    out = Float64Array.from(x.dataSync());
  } else if (Array.isArray(x) || x instanceof Float64Array || x instanceof Float32Array) {
    out = Float64Array.from(x as ArrayLike<number>);
  } else {
    throw new ValueError(`${fn}: '${name}' must be a 1-D tensor or an array of numbers, got ${describe(x)}`);
  }
  const minLength = opts.minLength ?? 1;
  if (out.length < minLength)
    throw new ValueError(`${fn}: '${name}' must have at least ${minLength} value(s), got ${out.length}`);
  if (opts.length !== undefined && out.length !== opts.length) {
    throw new ShapeError(`${fn}: '${name}' must have length ${opts.length}, got ${out.length}`);
  }
  assertAllFinite(fn, name, out);
  return out;
}

/**
 * Probability weights for `n` points: uniform when absent; otherwise non-negative, finite, with a
 * positive sum, normalized to sum 1.
 */
export function toWeights(fn: string, name: string, w: Values | undefined, n: number): Float64Array {
  if (w === undefined) return new Float64Array(n).fill(1 / n);
  const v = toValues(fn, name, w, { length: n });
  let s = 0;
  for (let i = 0; i < n; i++) {
    const wi = v[i] as number;
    if (wi < 0) throw new ValueError(`${fn}: '${name}' must be non-negative, entry ${i} is ${wi}`);
    s += wi;
  }
  if (!(s > 0)) throw new ValueError(`${fn}: '${name}' must have a positive sum to be normalized, got sum ${s}`);
  for (let i = 0; i < n; i++) v[i] = (v[i] as number) / s;
  return v;
}

/** Squared Euclidean distance between row i of a and row j of b. */
export function sqDist(a: PointArray, i: number, b: PointArray, j: number): number {
  const d = a.d;
  const ad = a.data;
  const bd = b.data;
  let s = 0;
  const oi = i * d;
  const oj = j * d;
  for (let k = 0; k < d; k++) {
    const t = (ad[oi + k] as number) - (bd[oj + k] as number);
    s += t * t;
  }
  return s;
}

/** Ground cost: 'euclidean' ‖x−y‖, 'sqeuclidean' ‖x−y‖², or an explicit [n, m] matrix. */
export type GroundCost = 'euclidean' | 'sqeuclidean' | tf.Tensor | readonly (readonly number[])[] | Float64Array;

/** Builds the dense float64 cost matrix [n, m] (row-major). */
export function costMatrix(fn: string, a: PointArray, b: PointArray, cost: GroundCost): Float64Array {
  const n = a.n;
  const m = b.n;
  if (cost === 'euclidean' || cost === 'sqeuclidean') {
    const C = new Float64Array(n * m);
    const sq = cost === 'sqeuclidean';
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < m; j++) {
        const s = sqDist(a, i, b, j);
        C[i * m + j] = sq ? s : Math.sqrt(s);
      }
    }
    return C;
  }
  let C: Float64Array;
  if (cost instanceof Float64Array) {
    if (cost.length !== n * m)
      throw new ShapeError(`${fn}: 'cost' must have n * m = ${n * m} entries, got ${cost.length}`);
    C = cost;
  } else if (typeof cost === 'string') {
    throw new ValueError(`${fn}: 'cost' must be 'euclidean', 'sqeuclidean' or a matrix, got "${cost}"`);
  } else {
    const p = toPoints(fn, 'cost', cost as Points);
    if (p.n !== n || p.d !== m)
      throw new ShapeError(`${fn}: 'cost' must have shape [${n}, ${m}], got [${p.n}, ${p.d}]`);
    C = p.data;
  }
  for (let e = 0; e < C.length; e++) {
    const c = C[e] as number;
    if (!Number.isFinite(c)) throw new ValueError(`${fn}: 'cost' must be finite, entry ${e} is ${c}`);
  }
  return C;
}
