import type { Tensor } from '@tensorflow/tfjs-core';

/**
 * An unnormalized log-probability f on the hypercube: states y [B, d] with entries in {−1, 1} → f(y) [B].
 * It may be defined (and differentiable) on all of R^d, which the gradient-based samplers use.
 * The caller owns the returned tensor.
 */
export type LogProbFn = (y: Tensor) => Tensor;

/** The gradient ∇f(y) of a {@link LogProbFn}, per row: [B, d] → [B, d]. The caller owns the result. */
export type GradFn = (y: Tensor) => Tensor;

/**
 * A target distribution p(y) ∝ exp f(y) on {−1, 1}^d. `grad` is ∇f extended to R^d; when absent the
 * samplers that need it differentiate `logProb` with `inputGrad`.
 */
export interface DiscreteTarget {
  readonly logProb: LogProbFn;
  readonly grad?: GradFn;
}
