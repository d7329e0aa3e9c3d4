import type { Tensor } from '@tensorflow/tfjs-core';
import { ShapeError, ValueError } from './errors.ts';

const show = (v: unknown): string => {
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === undefined || v === null) return String(v);
  if (Array.isArray(v)) return `[${v.map(show).join(', ')}]`;
  return typeof v;
};

/**
 * Throws {@link ValueError} unless `value` is a finite number > 0.
 * Message: `fn: 'name' must be a positive number, got X`.
 */
export function assertPositive(fn: string, name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ValueError(`${fn}: '${name}' must be a positive number, got ${show(value)}`);
  }
}

/** Throws {@link ValueError} unless `value` is a finite number ≥ 0. */
export function assertNonNegative(fn: string, name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ValueError(`${fn}: '${name}' must be a non-negative number, got ${show(value)}`);
  }
}

/** Throws {@link ValueError} unless `value` is an integer ≥ `min` (default 1). */
export function assertInteger(fn: string, name: string, value: unknown, min = 1): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new ValueError(`${fn}: '${name}' must be an integer >= ${min}, got ${show(value)}`);
  }
}

/** Throws {@link ValueError} unless `value` is a finite number. */
export function assertFinite(fn: string, name: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ValueError(`${fn}: '${name}' must be a finite number, got ${show(value)}`);
  }
}

/** Throws {@link ShapeError} unless `t.rank` is one of `ranks`. */
export function assertRank(fn: string, name: string, t: Tensor, ...ranks: number[]): void {
  if (!ranks.includes(t.rank)) {
    throw new ShapeError(
      `${fn}: '${name}' must have rank ${ranks.join(' or ')}, got rank ${t.rank} (shape [${t.shape.join(', ')}])`,
    );
  }
}

/**
 * Throws {@link ShapeError} unless `t.shape` matches `expected`, where `null` entries match any size.
 */
export function assertShape(fn: string, name: string, t: Tensor | readonly number[], expected: readonly (number | null)[]): void {
  const shape = Array.isArray(t) ? (t as readonly number[]) : (t as Tensor).shape;
  const ok = shape.length === expected.length && expected.every((e, i) => e === null || e === shape[i]);
  if (!ok) {
    const want = expected.map((e) => (e === null ? '*' : String(e))).join(', ');
    throw new ShapeError(`${fn}: '${name}' must have shape [${want}], got [${shape.join(', ')}]`);
  }
}

/** Throws {@link ShapeError} unless the two tensors have identical shapes. */
export function assertSameShape(fn: string, nameA: string, a: Tensor, nameB: string, b: Tensor): void {
  if (a.shape.length !== b.shape.length || a.shape.some((s, i) => s !== b.shape[i])) {
    throw new ShapeError(
      `${fn}: '${nameA}' and '${nameB}' must have the same shape, got [${a.shape.join(', ')}] and [${b.shape.join(', ')}]`,
    );
  }
}

/** Throws {@link ShapeError} unless `t` is a float32 tensor. */
export function assertFloat(fn: string, name: string, t: Tensor): void {
  if (t.dtype !== 'float32') throw new ShapeError(`${fn}: '${name}' must be float32, got ${t.dtype}`);
}
