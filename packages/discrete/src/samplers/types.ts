import type * as tf from '@tensorflow/tfjs-core';
import type { Key } from '@walkjump/tensor';

/** A sampler state: chain positions [C, d] in {−1, 1}^d, owned by the state. */
export interface DiscreteState {
  readonly position: tf.Tensor;
}

/**
 * Per-step diagnostics, tensors of shape [C] owned by the caller (`tf.dispose(info)`).
 * `acceptance` is the Metropolis–Hastings acceptance probability min(1, ratio) of the step's proposal
 * (1 for kernels without a correction; for Gibbs, the mean probability of the proposed single-site flips
 * being taken); `flips` is the Hamming distance between the new and the old position.
 */
export interface DiscreteInfo {
  readonly acceptance: tf.Tensor;
  readonly flips: tf.Tensor;
}

/**
 * A Markov kernel on {−1, 1}^d in the BlackJAX shape. `init` validates (positions in {−1, 1}, the target's
 * output shapes) and copies the position, so the state owns its tensors. `step` disposes nothing — neither
 * the old state nor its input — so the driver disposes the old state and the info once it has the new ones.
 * Only misuse throws; a non-finite proposal is rejected.
 */
export interface DiscreteKernel<S extends DiscreteState = DiscreteState> {
  init(position: tf.Tensor): S;
  step(key: Key, state: S): [S, DiscreteInfo];
}

/** State of kernels that cache f(position) [C]. */
export interface LogProbState extends DiscreteState {
  readonly logProb: tf.Tensor;
}

/** State of kernels that cache f(position) [C] and ∇f(position) [C, d]. */
export interface GradState extends LogProbState {
  readonly grad: tf.Tensor;
}

/** State of score-driven kernels: the cached score s(position) [C, d]. */
export interface ScoreState extends DiscreteState {
  readonly score: tf.Tensor;
}
