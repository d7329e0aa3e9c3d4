import * as tf from '@tensorflow/tfjs-core';
import { assertInteger, type Key, normal, split, ValueError } from '@walkjump/tensor';

/** x with a zero gradient (the forward runs inside a kernel, so it is not taped). */
const stopGradient = tf.customGrad(((x: tf.Tensor) => ({
  value: tf.mul(x, 1),
  gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
})) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor) => tf.Tensor;

/**
 * σ(W) ≈ vᵀ W u by power iteration (Miyato et al. 2018, Alg. 1) on W [fanIn, fanOut] from `u0`:
 * v ← Wu/‖Wu‖, u ← Wᵀv/‖Wᵀv‖, `iterations` times, u and v held constant in the gradient (so
 * ∂σ/∂W = v uᵀ, as in PyTorch). Returns a scalar that never exceeds the true largest singular value.
 */
export function spectralNormEstimate(w: tf.Tensor2D, u0: tf.Tensor1D, iterations: number): tf.Scalar {
  return tf.tidy(() => {
    const [u, v] = (() => {
      const wc = stopGradient(w) as tf.Tensor2D;
      let u: tf.Tensor = stopGradient(tf.reshape(u0, [-1, 1]));
      let v: tf.Tensor = u;
      for (let i = 0; i < iterations; i++) {
        v = tf.matMul(wc, u);
        v = tf.div(v, tf.add(tf.sqrt(tf.sum(tf.square(v))), 1e-12));
        u = tf.matMul(wc, v, true, false);
        u = tf.div(u, tf.add(tf.sqrt(tf.sum(tf.square(u))), 1e-12));
      }
      return [stopGradient(u), stopGradient(v)];
    })();
    return tf.reshape(tf.matMul(tf.matMul(v, w, true, false), u), []) as tf.Scalar;
  });
}

/** The `spectralNorm` option of the networks: `true` for the defaults, or the number of power iterations. */
export type SpectralNormOption = boolean | { readonly iterations?: number };

/** The number of power iterations, or undefined when spectral normalization is off. */
export function resolveSpectral(fn: string, opt: SpectralNormOption | undefined): number | undefined {
  if (opt === undefined || opt === false) return undefined;
  if (opt !== true && (opt === null || typeof opt !== 'object')) {
    throw new ValueError(`${fn}: 'spectralNorm' must be a boolean or { iterations }, got ${String(opt)}`);
  }
  const it = opt === true ? 10 : (opt.iterations ?? 10);
  assertInteger(fn, 'spectralNorm.iterations', it, 1);
  return it;
}

type Tree = tf.Tensor | readonly Tree[] | { readonly [k: string]: Tree };
const isLayer = (o: unknown): o is { w: tf.Tensor; b: tf.Tensor; u?: tf.Tensor } =>
  typeof o === 'object' &&
  o !== null &&
  !Array.isArray(o) &&
  (o as { w?: unknown }).w instanceof tf.Tensor &&
  (o as { b?: unknown }).b instanceof tf.Tensor;

/**
 * Adds a unit power-iteration vector `u` [fanOut] to every layer `{ w, b }` of a parameter tree
 * (dense [in, out] or conv [kh, kw, in, out]), drawn from `k`. Returns a new tree holding the same
 * weight tensors plus the new vectors.
 */
export function withSpectralVectors<P>(k: Key, params: P): P {
  let i = 0;
  const visit = (t: Tree): Tree => {
    if (t instanceof tf.Tensor) return t;
    if (Array.isArray(t)) return t.map(visit);
    if (isLayer(t)) {
      const out = t.w.shape[t.w.rank - 1]!;
      const u = tf.tidy(() => {
        const z = normal(split(k, i + 1)[i]!, [out]);
        return tf.div(z, tf.sqrt(tf.sum(tf.square(z))));
      });
      i++;
      return { ...t, u };
    }
    return Object.fromEntries(Object.entries(t as Record<string, Tree>).map(([n, c]) => [n, visit(c)]));
  };
  return visit(params as Tree) as P;
}

/**
 * Replaces the weight of every layer that carries a spectral vector `u` by W/σ(W) (σ from
 * {@link spectralNormEstimate} on W reshaped to [fanIn, fanOut], as PyTorch's `spectral_norm`
 * reshapes conv weights). Call inside a tidy; the new weights are differentiable in the old ones.
 */
export function spectralNormalize<P>(params: P, iterations: number): P {
  const visit = (t: Tree): Tree => {
    if (t instanceof tf.Tensor) return t;
    if (Array.isArray(t)) return t.map(visit);
    if (isLayer(t) && t.u instanceof tf.Tensor) {
      const out = t.w.shape[t.w.rank - 1]!;
      const w2 = tf.reshape(t.w, [-1, out]) as tf.Tensor2D;
      return { ...t, w: tf.div(t.w, spectralNormEstimate(w2, t.u as tf.Tensor1D, iterations)) };
    }
    return Object.fromEntries(Object.entries(t as Record<string, Tree>).map(([n, c]) => [n, visit(c)]));
  };
  return visit(params as Tree) as P;
}
