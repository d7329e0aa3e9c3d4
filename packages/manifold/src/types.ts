import type * as tf from '@tensorflow/tfjs-core';

/**
 * A manifold-defining function (MDF) F: Rⁿ → R^{n−m}, batched over points: `F(x)` maps `x` of
 * shape `[B, n]` to `[B, k]` with k = n − m ≥ 1, row b depending only on row b. Its zero set
 * {x : F(x) = 0} is the manifold M (Ross et al. 2023, Sec. 3.1); J_F must have full row rank k on
 * M. Analytic (e.g. {@link sphere}) or a network's `apply` closed over its parameters. Must be twice
 * differentiable by tfjs (the Jacobian–vector product is a double vjp). The caller owns what it
 * returns; it must not dispose its input.
 * @public
 */
export type ConstraintFn = (x: tf.Tensor) => tf.Tensor;
