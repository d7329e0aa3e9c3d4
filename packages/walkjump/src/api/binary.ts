import * as tf from '@tensorflow/tfjs-core';
import { binaryWalkJump, discreteLangevin, toBinary, twoStageDiscreteLangevin } from '@walkjump/discrete';
import { bernoulli, type Key, key as makeKey, type ScoreFn, split, ValueError } from '@walkjump/tensor';
import { choiceOption, type HostArray, positiveIntOption, positiveOption } from './data.ts';
import type { EnergyModel } from './model.ts';
import { type SamplerName, walkJump } from './walk-jump.ts';

/** Options of {@link sampleBinary}: either a Gaussian-smoothing `model` or a flip-noise `score`. */
export interface SampleBinaryOptions {
  /**
   * An energy learned from {0,1} data with Gaussian noise (e.g. `walkjump train --data
   * binarized-mnist`): walk-jump in Rᵈ, then each bit is 1 where the jump x̂ = E[x | y] exceeds ½.
   */
  readonly model?: EnergyModel;
  /**
   * Or: the score s = ∇log q of the flip-noise smoothed pmf q(y) ∝ Σ_x p(x) e^{α xᵀy} on {−1, 1}ᵈ;
   * the walk is discrete Langevin and the jump x̂ = sign(s(y)) (Bach & Saremi 2025).
   */
  readonly score?: ScoreFn;
  /** Flip-noise level α of `score`. */
  readonly alpha?: number;
  /** Dimension d of `score`'s states. */
  readonly dim?: number;
  /** Walk kernel: for `score`, `'two-stage'` (default) or `'langevin'`; for `model`, a {@link SamplerName} (default `'ula'`). */
  readonly sampler?: 'two-stage' | 'langevin' | SamplerName;
  /** Step size η of the discrete kernels (default 1). */
  readonly eta?: number;
  /** Walk steps (default 200). */
  readonly steps?: number;
  /** Jump every this many steps (default `steps`). */
  readonly every?: number;
  /** Parallel chains (default 64). */
  readonly chains?: number;
  /** Seed (default 0). */
  readonly seed?: number;
}

/** Result of {@link sampleBinary}: bits in {0, 1}. */
export interface BinarySamples {
  /** The last jump of each chain as bits [chains, ...event]. */
  readonly samples: HostArray;
  /** For `model`: the jumps E[x | y] ∈ [0, 1] before rounding (bit probabilities). */
  readonly probabilities?: HostArray;
  /** Mean acceptance (discrete kernels report 1 when unadjusted). */
  readonly acceptance: number | undefined;
  /** Wall time in milliseconds. */
  readonly ms: number;
}

/**
 * Samples binary data by walk-jump: with `model`, Gaussian walk-jump (Saremi & Hyvärinen 2019) on
 * the learned smoothed density and bits = [x̂ > ½]; with `score` and `alpha`, discrete walk-jump
 * under binary-flip noise (`binaryWalkJump` of `@walkjump/discrete`, two-stage or one-stage discrete
 * Langevin walk, jump x̂ = sign(s(y))). Returns host arrays; leaves no tensor behind.
 */
export function sampleBinary(opts: SampleBinaryOptions): BinarySamples {
  if (opts === null || typeof opts !== 'object')
    throw new ValueError('sampleBinary: options { model } or { score, alpha, dim } are required');
  const steps = positiveIntOption('sampleBinary: steps', opts.steps, 200);
  const every = Math.min(positiveIntOption('sampleBinary: every', opts.every, steps), steps);
  const chains = positiveIntOption('sampleBinary: chains', opts.chains, 64);
  const seed = opts.seed ?? 0;
  if (opts.model !== undefined) {
    const sampler = choiceOption(
      'sampleBinary: sampler',
      opts.sampler as SamplerName | undefined,
      ['ula', 'mala', 'cheng', 'sachs'],
      'ula',
    );
    const r = walkJump({ model: opts.model, sampler, steps, every, chains, seed });
    const bits = Float32Array.from(r.jump.data, (p) => (p > 0.5 ? 1 : 0));
    return { samples: { data: bits, shape: r.jump.shape }, probabilities: r.jump, acceptance: r.acceptance, ms: r.ms };
  }
  if (typeof opts.score !== 'function')
    throw new ValueError('sampleBinary: give a model, or a score function with alpha and dim');
  const alpha = positiveOption('sampleBinary: alpha', opts.alpha, Number.NaN);
  const dim = positiveIntOption('sampleBinary: dim', opts.dim, Number.NaN);
  const eta = positiveOption('sampleBinary: eta', opts.eta, 1);
  const sampler = choiceOption(
    'sampleBinary: sampler',
    opts.sampler as 'two-stage' | 'langevin' | undefined,
    ['two-stage', 'langevin'],
    'two-stage',
  );
  const [kInit, kRun] = split(makeKey(seed), 2) as [Key, Key];
  const t0 = performance.now();
  const init = tf.tidy(() => tf.sub(tf.mul(bernoulli(kInit, 0.5, [chains, dim]), 2), 1));
  try {
    const kernel =
      sampler === 'two-stage' ? twoStageDiscreteLangevin(opts.score, { eta }) : discreteLangevin(opts.score, { eta });
    const r = binaryWalkJump({ key: kRun, kernel, score: opts.score, alpha, init, steps, every });
    const last = tf.tidy(() => toBinary(tf.gather(r.samples, (r.samples.shape[0] as number) - 1)));
    const data = last.dataSync() as Float32Array;
    tf.dispose([last, r.samples, r.noisy]);
    return {
      samples: { data: Float32Array.from(data), shape: [chains, dim] },
      acceptance: r.meanAcceptance,
      ms: performance.now() - t0,
    };
  } finally {
    init.dispose();
  }
}
