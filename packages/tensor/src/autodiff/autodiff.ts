import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '../errors/errors.ts';
import { assertInteger } from '../errors/validate.ts';
import { type Key, normalArray, split, uniformArray } from '../random/keys.ts';

/** A differentiable scalar-valued function of one tensor. */
export type ScalarFn = (x: tf.Tensor) => tf.Tensor;
/** A differentiable tensor-valued function of one tensor. */
export type TensorFn = (x: tf.Tensor) => tf.Tensor;

// A value computed inside tf.grad must be tf.keep-ed to survive the gradient's scope; hand the
// caller a tracked clone instead, so an enclosing tf.tidy frees it like any other result.
const untrack = (kept: tf.Tensor): tf.Tensor => {
  const t = tf.clone(kept);
  kept.dispose();
  return t;
};

// Differentiate at a fresh identity copy of x. Inside an enclosing gradient, tfjs's tape also
// records how other inputs of f (closed over) were built from x, and tf.grad(f)(x) then returns the
// total derivative through them; at a copy it returns the partial derivative ∂f/∂x, as jax.grad
// does. The copy's Identity gradient passes the enclosing gradient through unchanged.
const atCopy = <T>(x: tf.Tensor, body: (z: tf.Tensor) => T): T => {
  const z = tf.clone(x);
  try {
    return body(z);
  } finally {
    z.dispose();
  }
};

const checkScalar = (fn: string, y: tf.Tensor): void => {
  if (y.rank !== 0) throw new ShapeError(`${fn}: the function must return a scalar, got shape [${y.shape.join(', ')}]`);
};

/**
 * Gradient ∇f(x) of a scalar function: the partial derivative in x, also inside an enclosing
 * gradient where tensors closed over by f were built from x (stock `tf.grad` returns the total
 * derivative there). Composes to any order (tensor's higher-order-safe gradients are installed on
 * import). The caller owns the returned tensor.
 */
export function grad(f: ScalarFn): (x: tf.Tensor) => tf.Tensor {
  return (x) =>
    atCopy(x, (xc) =>
      tf.grad((z: tf.Tensor) => {
        const y = f(z);
        checkScalar('grad', y);
        return y;
      })(xc),
    );
}

/** Value and gradient `[f(x), ∇f(x)]` of a scalar function; the caller owns both tensors. */
export function valueAndGrad(f: ScalarFn): (x: tf.Tensor) => [tf.Tensor, tf.Tensor] {
  return (x) => {
    const { value, grad: g } = atCopy(x, (xc) =>
      tf.valueAndGrad((z: tf.Tensor) => {
        const y = f(z);
        checkScalar('valueAndGrad', y);
        return y;
      })(xc),
    );
    return [value, g];
  };
}

/**
 * Vector–Jacobian product: returns `[f(x), J_f(x)ᵀ u]`. For a batched map whose rows are
 * independent, this is the per-sample product. The caller owns both tensors.
 */
export function vjp(f: TensorFn, x: tf.Tensor, u: tf.Tensor): [tf.Tensor, tf.Tensor] {
  let out: tf.Tensor | undefined;
  const g = atCopy(x, (xc) =>
    tf.grad((z: tf.Tensor) => {
      const y = f(z);
      if (y.shape.length !== u.shape.length || y.shape.some((s, i) => s !== u.shape[i])) {
        throw new ShapeError(
          `vjp: cotangent 'u' must have the output's shape [${y.shape.join(', ')}], got [${u.shape.join(', ')}]`,
        );
      }
      out = tf.keep(tf.clone(y));
      return tf.sum(tf.mul(y, u));
    })(xc),
  );
  return [untrack(out as tf.Tensor), g];
}

/**
 * Jacobian–vector product J_f(x) v by the double-vjp trick (tfjs has no forward mode): u ↦ J_fᵀu
 * is linear, and its vjp with cotangent v is J_f v. Costs two reverse passes; needs f twice
 * differentiable. Returns `[f(x), J_f(x) v]`; the caller owns both tensors.
 */
export function jvp(f: TensorFn, x: tf.Tensor, v: tf.Tensor): [tf.Tensor, tf.Tensor] {
  if (v.shape.length !== x.shape.length || v.shape.some((s, i) => s !== x.shape[i])) {
    throw new ShapeError(
      `jvp: tangent 'v' must have the input's shape [${x.shape.join(', ')}], got [${v.shape.join(', ')}]`,
    );
  }
  let out: tf.Tensor | undefined;
  const jv = tf.tidy(() => {
    const y0 = f(x);
    out = tf.keep(tf.clone(y0));
    const u0 = tf.zerosLike(y0);
    return tf.grad((u: tf.Tensor) => {
      const jtU = tf.grad((z: tf.Tensor) => tf.sum(tf.mul(f(z), u)))(tf.clone(x));
      return tf.sum(tf.mul(jtU, v));
    })(u0);
  });
  return [untrack(out as tf.Tensor), jv];
}

/** Hessian–vector product ∇²f(x) v = ∇⟨∇f(x), v⟩ (reverse-over-reverse). The caller owns the result. */
export function hvp(f: ScalarFn, x: tf.Tensor, v: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.grad((z: tf.Tensor) => tf.sum(tf.mul(grad(f)(z), v)))(x));
}

/**
 * Per-sample input gradient of a batched function whose rows are independent (an `EnergyFn`):
 * returns ∂(Σ_b E(y)_b)/∂y, which is ∇_y E(y_b) row by row. The caller owns the result.
 */
export function inputGrad(energy: (y: tf.Tensor) => tf.Tensor): (y: tf.Tensor) => tf.Tensor {
  return (y) => atCopy(y, (yc) => tf.grad((z: tf.Tensor) => tf.sum(energy(z)))(yc));
}

/**
 * Divergence ∇·s(y) of a batched vector field s: [B, ...] → [B, ...], per sample, shape [B].
 * `exact` loops over the D input coordinates (D reverse passes; for small D). `hutchinson` uses
 * `probes` Rademacher (or Gaussian) vectors ε: E[εᵀ (∂s/∂y) ε] (Hutchinson 1990), unbiased.
 * The caller owns the result.
 */
export function divergence(
  s: TensorFn,
  y: tf.Tensor,
  opts: { method?: 'exact' | 'hutchinson'; key?: Key; probes?: number; noise?: 'rademacher' | 'gaussian' } = {},
): tf.Tensor {
  const method = opts.method ?? 'exact';
  const B = y.shape[0] ?? 1;
  const D = y.size / B;
  return tf.tidy(() => {
    let acc = tf.zeros([B]);
    if (method === 'exact') {
      for (let i = 0; i < D; i++) {
        const basis = new Float32Array(B * D);
        for (let b = 0; b < B; b++) basis[b * D + i] = 1;
        const e = tf.tensor(basis, y.shape);
        const [out, jt] = vjp(s, y, e);
        out.dispose();
        acc = tf.add(acc, tf.sum(tf.reshape(tf.mul(jt, e), [B, D]), 1));
      }
      return acc;
    }
    if (opts.key === undefined) throw new ShapeError(`divergence: 'key' is required for method 'hutchinson'`);
    const probes = opts.probes ?? 1;
    assertInteger('divergence', 'probes', probes, 1);
    const ks = split(opts.key, probes);
    for (const k of ks) {
      const raw =
        opts.noise === 'gaussian' ? normalArray(k, y.size) : uniformArray(k, y.size).map((u) => (u < 0.5 ? -1 : 1));
      const e = tf.tensor(Float32Array.from(raw), y.shape);
      const [out, jt] = vjp(s, y, e);
      out.dispose();
      acc = tf.add(acc, tf.sum(tf.reshape(tf.mul(jt, e), [B, D]), 1));
    }
    return tf.div(acc, probes);
  });
}
