import * as tf from '@tensorflow/tfjs-core';
import { DataError, ValueError } from '@walkjump/tensor';

/**
 * Data the quick-start functions accept: a tensor [N, ...event], a host array with a shape (as the
 * loaders of `@walkjump/datasets` return), or an array of rows.
 */
export type DataInput =
  | tf.Tensor
  | { readonly data: Float32Array | Float64Array | Int32Array | Uint8Array; readonly shape: readonly number[] }
  | readonly (readonly number[])[];

/** A host matrix: `data` holds `shape[0]` samples of `shape.slice(1)` values each, row-major. */
export interface HostArray {
  /** Row-major values. */
  readonly data: Float32Array;
  /** [N, ...event shape]. */
  readonly shape: readonly number[];
}

/**
 * Copies `data` to a float32 host array and checks it: at least `minRows` samples, every value
 * finite. Throws `DataError` naming `what`, the first bad sample and feature. Does not dispose a
 * tensor it was given.
 */
export function toHostArray(data: DataInput, what = 'data', minRows = 1): HostArray {
  let out: HostArray;
  if (data instanceof tf.Tensor) {
    if (data.rank < 2) throw new DataError(`${what} must have shape [N, ...event], got [${data.shape.join(', ')}]`);
    out = { data: Float32Array.from(data.dataSync()), shape: [...data.shape] };
  } else if (Array.isArray(data)) {
    const rows = data as readonly (readonly number[])[];
    const d = rows[0]?.length ?? 0;
    if (d === 0) throw new DataError(`${what} must be a non-empty array of non-empty rows`);
    const a = new Float32Array(rows.length * d);
    rows.forEach((r, i) => {
      if (!Array.isArray(r) || r.length !== d)
        throw new DataError(`${what}: row ${i} has ${String(r?.length)} values, expected ${d}`);
      for (let j = 0; j < d; j++) a[i * d + j] = Number(r[j]);
    });
    out = { data: a, shape: [rows.length, d] };
  } else {
    const { data: v, shape } = data as { data: ArrayLike<number>; shape: readonly number[] };
    if (shape.length < 2) throw new DataError(`${what} must have shape [N, ...event], got [${shape.join(', ')}]`);
    const size = shape.reduce((p, q) => p * q, 1);
    if (v.length !== size)
      throw new DataError(`${what}: ${v.length} values do not fill the shape [${shape.join(', ')}]`);
    out = { data: v instanceof Float32Array ? v : Float32Array.from(v), shape: [...shape] };
  }
  const n = out.shape[0] as number;
  if (n < minRows) throw new DataError(`${what} must hold at least ${minRows} samples, got ${n}`);
  const d = out.data.length / Math.max(n, 1);
  for (let i = 0; i < out.data.length; i++) {
    if (!Number.isFinite(out.data[i] as number)) {
      throw new DataError(
        `${what} holds a non-finite value (${String(out.data[i])}) at sample ${Math.floor(i / d)}, feature ${i % d}`,
      );
    }
  }
  return out;
}

/** Product of the event shape (values per sample). */
export const eventSize = (shape: readonly number[]): number => shape.slice(1).reduce((p, q) => p * q, 1);

/** A positive finite number option, or its default; `ValueError` naming it otherwise. */
export function positiveOption(name: string, v: number | undefined, dflt: number): number {
  const x = v ?? dflt;
  if (typeof x !== 'number' || !Number.isFinite(x) || x <= 0)
    throw new ValueError(`${name} must be a positive number, got ${String(v)}`);
  return x;
}

/** A positive integer option, or its default; `ValueError` naming it otherwise. */
export function positiveIntOption(name: string, v: number | undefined, dflt: number): number {
  const x = v ?? dflt;
  if (typeof x !== 'number' || !Number.isInteger(x) || x < 1)
    throw new ValueError(`${name} must be a positive integer, got ${String(v)}`);
  return x;
}

/** One of `allowed`, or its default; `ValueError` naming the option otherwise. */
export function choiceOption<T extends string>(name: string, v: string | undefined, allowed: readonly T[], dflt: T): T {
  const x = v ?? dflt;
  if (!(allowed as readonly string[]).includes(x))
    throw new ValueError(`${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
  return x as T;
}
