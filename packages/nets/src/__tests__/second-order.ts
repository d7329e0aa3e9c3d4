// Test helper: the parameter gradient of an input gradient (DEEN's double backprop), by autodiff
// and by central finite differences of the (autodiff) input gradient, along random directions.
import * as tf from '@tensorflow/tfjs-core';
import { flattenParams, type Key, normal, type Params, split, unflattenParams } from '@walkjump/tensor';

/**
 * g(θ) = Σ_b ⟨∇_x S(x; θ), v⟩ with S = Σ_b scalar(θ, x). For each parameter leaf returns the
 * directional derivative ⟨∂g/∂θ_leaf, d⟩ by autodiff and by central differences (step h), d ~ N(0, I).
 * Everything it creates is disposed.
 */
export function secondOrderCheck(
  scalar: (params: Params, x: tf.Tensor) => tf.Tensor,
  params: Params,
  x: tf.Tensor,
  k: Key,
  h = 1e-2,
  only: (name: string) => boolean = () => true,
): { name: string; autodiff: number; fd: number }[] {
  const flat = flattenParams(params);
  const names = Object.keys(flat);
  const [kv, kd] = split(k, 2) as [Key, Key];
  const v = normal(kv, x.shape);
  const g = (leaves: tf.Tensor[]): tf.Tensor => {
    const p = unflattenParams(params, Object.fromEntries(names.map((n, i) => [n, leaves[i]!])));
    const gx = tf.grad((z: tf.Tensor) => tf.sum(scalar(p, z)))(x);
    return tf.sum(tf.mul(gx, v));
  };
  const base = names.map((n) => flat[n]!);
  // Engine gradients with allowNoGradients: leaves that do not reach ∇_x S (e.g. the output bias) get 0.
  const grads = tf.tidy(() => {
    const { value, grads: gs } = tf.engine().gradients(() => g(base) as tf.Scalar, base, undefined, true);
    value.dispose();
    return base.map((b, i) => gs[i] ?? tf.zerosLike(b));
  });
  const dirs = split(kd, names.length);
  const out = names.flatMap((name, i) => {
    if (!only(name)) return [];
    const d = normal(dirs[i]!, base[i]!.shape);
    const ad = tf.tidy(() => tf.sum(tf.mul(grads[i]!, d)).dataSync()[0]!);
    const at = (s: number): number =>
      tf.tidy(() => g(base.map((b, j) => (j === i ? tf.add(b, tf.mul(d, s)) : b))).dataSync()[0]!);
    const fd = (at(h) - at(-h)) / (2 * h);
    d.dispose();
    return [{ name, autodiff: ad, fd }];
  });
  tf.dispose([v, ...grads]);
  return out;
}

/** Asserts-friendly error: max over leaves of |ad − fd| / max(|fd|, floor·max|fd|). */
export function worstError(rows: { autodiff: number; fd: number }[], floor = 1e-2): number {
  const scale = Math.max(...rows.map((r) => Math.abs(r.fd)), 1e-12);
  return Math.max(...rows.map((r) => Math.abs(r.autodiff - r.fd) / Math.max(Math.abs(r.fd), floor * scale)));
}
