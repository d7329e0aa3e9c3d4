import * as tf from '@tensorflow/tfjs-core';
import { assertInteger, assertNonNegative, type Denoiser, foldIn, type Key, ValueError } from '@walkjump/tensor';
import type { Kernel, KernelState } from '../kernels/overdamped.ts';
import { type InitScheme, initChains } from './init.ts';

/** One emitted sample of {@link walkJump}: tensors valid only during the callback (copy to keep). */
export interface WalkJumpSample {
  /** Walk step k (1-based, counting burn-in). */
  readonly step: number;
  /** The chains' positions y_k in Y, [C, ...]. */
  readonly walk: tf.Tensor;
  /** The jumps x̂(y_k), [C, ...]. */
  readonly jump: tf.Tensor;
}

/** Options of {@link walkJump}. */
export interface WalkJumpOptions<S extends KernelState> {
  /** Randomness; step k uses `foldIn(key, k)`, so a run is reproducible and can be continued. */
  readonly key: Key;
  /** The walk: any kernel (e.g. `ula`, `mala`) on the noisy density p(y). */
  readonly kernel: Kernel<S>;
  /** The jump x̂(y) (e.g. `tweedieFromEnergy(energy, σ)` or `tweedie(score, σ)`). */
  readonly jump: Denoiser;
  /**
   * Initial positions [C, ...] (not disposed), or an initialization scheme drawn with
   * `foldIn(key, 0)` (see {@link initChains}): uniform (Algorithms 1–2, line 4), uniform + noise
   * (Remark 4), or data + noise.
   */
  readonly init: tf.Tensor | InitScheme;
  /** Walk steps after burn-in. */
  readonly steps: number;
  /** Δk: emit a jump every `every` steps. */
  readonly every: number;
  /** Walk steps before the first emitted sample; default 0. */
  readonly burnIn?: number;
  /** Called with each emitted sample; its tensors are disposed right after the callback returns. */
  readonly onSample?: (e: WalkJumpSample) => void;
  /** Keep the emitted samples and return them stacked (default true); false holds memory flat. */
  readonly collect?: boolean;
}

/** Result of {@link walkJump}; the caller owns the tensors. */
export interface WalkJumpResult {
  /** Emitted walk samples [S, C, ...] (S = ⌊steps/every⌋; S = 0 when `collect` is false). */
  readonly walk: tf.Tensor;
  /** Emitted jumps x̂(y) [S, C, ...]. */
  readonly jump: tf.Tensor;
  /** Mean MH acceptance over all steps and chains (kernels that report it), else undefined. */
  readonly acceptance: number | undefined;
  /** Number of (step, chain) pairs that reverted on a non-finite proposal. */
  readonly nonFinite: number;
}

/**
 * Walk-jump sampling (Saremi & Hyvärinen 2019, Sec. 8, eqs. 5–6; Saremi & Srivastava 2022): a
 * Langevin walk in the noisy space Y with `kernel`, and every Δk = `every` steps a jump
 * x̂(y_k) = `jump`(y_k) to X. Jumps are asynchronous (2022, Remark 5): they are never fed back into
 * the walk. The loop disposes each old state and info as soon as the next exists, so memory is flat
 * when `collect` is false (with `collect`, only the emitted samples accumulate). Emitted samples go
 * to `onSample` (valid during the callback) and, by default, are returned stacked as `walk` and
 * `jump`, shape [S, C, ...]. Diagnostics are accumulated on the device and read once at the end.
 * `init` is not disposed; the caller owns the result.
 */
export function walkJump<S extends KernelState>(opts: WalkJumpOptions<S>): WalkJumpResult {
  const fn = 'walkJump';
  if (opts === null || typeof opts !== 'object') throw new ValueError(`${fn}: options are required`);
  const { key, kernel, jump, init } = opts;
  assertInteger(fn, 'steps', opts.steps, 1);
  assertInteger(fn, 'every', opts.every, 1);
  const burnIn = opts.burnIn ?? 0;
  assertNonNegative(fn, 'burnIn', burnIn);
  assertInteger(fn, 'burnIn', burnIn, 0);
  if (typeof jump !== 'function') throw new ValueError(`${fn}: 'jump' must be a function y ↦ x̂(y)`);
  if (kernel === null || typeof kernel !== 'object' || typeof kernel.step !== 'function') {
    throw new ValueError(`${fn}: 'kernel' must be { init, step } (e.g. ula(...), mala(...))`);
  }
  const collect = opts.collect ?? true;
  const walks: tf.Tensor[] = [];
  const jumps: tf.Tensor[] = [];
  const y0 = init instanceof tf.Tensor ? init : initChains(foldIn(key, 0), init);
  let state: S;
  try {
    state = kernel.init(y0);
  } finally {
    if (y0 !== init) y0.dispose();
  }
  let accSum: tf.Tensor | null = null;
  let nonFiniteSum: tf.Tensor = tf.scalar(0);
  const total = burnIn + opts.steps;
  try {
    for (let k = 1; k <= total; k++) {
      const [next, info] = kernel.step(foldIn(key, k), state);
      tf.dispose(state as unknown as tf.TensorContainer);
      state = next;
      const nf = nonFiniteSum;
      nonFiniteSum = tf.tidy(() => tf.add(nf, tf.sum(info.nonFinite)));
      nf.dispose();
      if (info.acceptance !== undefined) {
        const a: tf.Tensor | null = accSum;
        const acc = info.acceptance;
        accSum = tf.tidy((): tf.Tensor => (a === null ? tf.sum(acc) : tf.add(a, tf.sum(acc))));
        a?.dispose();
      }
      tf.dispose(info as unknown as tf.TensorContainer);
      if (k > burnIn && (k - burnIn) % opts.every === 0) {
        const walk = tf.clone(state.position);
        const x = jump(state.position);
        try {
          opts.onSample?.({ step: k, walk, jump: x });
        } finally {
          if (collect) {
            walks.push(walk);
            jumps.push(x);
          } else tf.dispose([walk, x]);
        }
      }
    }
    const C = state.position.shape[0]!;
    const acceptance = accSum === null ? undefined : (accSum as tf.Tensor).dataSync()[0]! / (total * C);
    const nonFinite = nonFiniteSum.dataSync()[0]!;
    const stackOr = (ts: tf.Tensor[]) => (ts.length > 0 ? tf.stack(ts) : tf.zeros([0, ...state.position.shape]));
    return { walk: stackOr(walks), jump: stackOr(jumps), acceptance, nonFinite };
  } finally {
    tf.dispose(state as unknown as tf.TensorContainer);
    tf.dispose([...walks, ...jumps, nonFiniteSum]);
    accSum?.dispose();
  }
}
