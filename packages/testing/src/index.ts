// @walkjump/testing — private helpers shared by the packages' tests. Never published.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, expect } from 'vitest';

/**
 * Runs `fn` and asserts that `tf.memory().numTensors` is the same before and after (awaits async fns).
 * Returns what `fn` returned — which must therefore not be a tensor (read values out inside `fn`).
 */
export async function expectNoLeak<T>(fn: () => T | Promise<T>): Promise<T> {
  const before = tf.memory().numTensors;
  const out = await fn();
  const after = tf.memory().numTensors;
  expect(after, `tensor leak: ${after - before} tensors left behind`).toBe(before);
  return out;
}

/** The registered backends among `names` (default cpu and wasm), for per-backend test suites. */
export const registeredBackends = (names: readonly string[] = ['cpu', 'wasm']): string[] =>
  names.filter((b) => tf.findBackendFactory(b) != null);

/**
 * Inside a `describe`: switches tfjs to `backend` before the suite's tests (asserting the switch
 * succeeded) and restores the previous backend after them.
 */
export function useBackendInSuite(backend: string): void {
  let previous = '';
  beforeAll(async () => {
    previous = tf.getBackend();
    expect(await tf.setBackend(backend), `tf.setBackend('${backend}')`).toBe(true);
  });
  afterAll(async () => {
    await tf.setBackend(previous);
  });
}

/** Max relative error max|a−b| / max(max|b|, floor), for arrays or typed arrays. */
export function relError(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-12): number {
  if (a.length !== b.length) throw new Error(`relError: lengths differ (${a.length} vs ${b.length})`);
  let num = 0;
  let den = floor;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs((a[i] as number) - (b[i] as number)));
    den = Math.max(den, Math.abs(b[i] as number));
  }
  return num / den;
}

/** Central finite difference of a scalar float64 function f: R^n → R at x, step h. */
export function finiteDiffGrad(f: (x: Float64Array) => number, x: ArrayLike<number>, h = 1e-5): Float64Array {
  const n = x.length;
  const g = new Float64Array(n);
  const xp = Float64Array.from(x);
  for (let i = 0; i < n; i++) {
    const xi = xp[i] as number;
    xp[i] = xi + h;
    const fp = f(xp);
    xp[i] = xi - h;
    const fm = f(xp);
    xp[i] = xi;
    g[i] = (fp - fm) / (2 * h);
  }
  return g;
}

/** Reads a tensor to a plain number array and disposes nothing. */
export const values = (t: tf.Tensor): number[] => Array.from(t.dataSync());

/** Mean and standard error of a sample. */
export function meanAndSE(x: ArrayLike<number>): { mean: number; se: number } {
  const n = x.length;
  let m = 0;
  for (let i = 0; i < n; i++) m += x[i] as number;
  m /= n;
  let v = 0;
  for (let i = 0; i < n; i++) v += ((x[i] as number) - m) ** 2;
  v /= n - 1;
  return { mean: m, se: Math.sqrt(v / n) };
}
