import * as tf from '@tensorflow/tfjs-core';
import {
  type EnergyFn,
  inputGrad,
  type Key,
  NonFiniteError,
  normal,
  type ScoreFn,
  ShapeError,
  split,
  uniform,
  ValueError,
} from '@walkjump/tensor';
import { checkChains, coef, coefRow, mapCoef, readStepSize, type StepSize } from '../internal/per-chain.ts';

/** A sampler state: the chains' positions [C, ...] plus what the next step needs. */
export interface KernelState {
  readonly position: tf.Tensor;
}

/** Per-step diagnostics; tensors of shape [C] owned by the caller (dispose with `tf.dispose(info)`). */
export interface KernelInfo {
  /** 1 where a chain's proposal was non-finite and the chain reverted to its previous state, else 0. */
  readonly nonFinite: tf.Tensor;
  /** MALA only: the Metropolis–Hastings acceptance probability min(1, α) per chain. */
  readonly acceptance?: tf.Tensor;
}

/**
 * A Markov kernel in the BlackJAX shape. `init` validates and copies the position (the state owns
 * its tensors); `step` disposes nothing — neither the old state nor anything the caller passed — so
 * the driver disposes the old state and the info (`tf.dispose(state)`) once it has the new ones.
 */
export interface Kernel<S extends KernelState = KernelState> {
  init(position: tf.Tensor): S;
  step(key: Key, state: S): [S, KernelInfo];
}

/** State of {@link ula}: position and the cached score ∇log p(position), both [C, ...]. */
export interface UlaState extends KernelState {
  readonly score: tf.Tensor;
}

/** State of {@link mala}: position, cached score and cached energy [C]. */
export interface MalaState extends UlaState {
  readonly energy: tf.Tensor;
}

/**
 * How `stepSize` is read. `'wjs2022'` (default): δ in y ← y + (δ²/2)∇log p(y) + δε (Saremi &
 * Srivastava 2022, eq. 42). `'saremi2019'`: ε in y ← y + ε∇log p(y) + √(2ε) N(0, I) (Saremi &
 * Hyvärinen 2019, eq. 5). The same chain: ε_eq5 = δ_eq42²/2.
 */
export type LangevinParameterization = 'wjs2022' | 'saremi2019';

/** Options of {@link ula} and {@link mala}. */
export interface LangevinOptions {
  /** δ (or ε, see `parameterization`), > 0: one number for all chains, or an array with one entry per chain. */
  readonly stepSize: StepSize;
  readonly parameterization?: LangevinParameterization;
}

/** A target given by its score, its energy (E = −log p + const), or both. */
export type LangevinTarget = { readonly score: ScoreFn } | { readonly energy: EnergyFn; readonly score?: ScoreFn };

/** The drift coefficient h of y ← y + h∇log p(y) + √(2h) ε for either parameterization. */
function driftOf(fn: string, opts: LangevinOptions): number | Float64Array {
  if (opts === null || typeof opts !== 'object') throw new ValueError(`${fn}: options { stepSize } are required`);
  const step = readStepSize(fn, 'stepSize', opts.stepSize);
  const p = opts.parameterization ?? 'wjs2022';
  if (p === 'wjs2022') return mapCoef(step, (d) => (d * d) / 2);
  if (p === 'saremi2019') return step;
  throw new ValueError(`${fn}: 'parameterization' must be 'wjs2022' or 'saremi2019', got ${String(p)}`);
}

/** @internal */
export const sameShape = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((s, i) => s === b[i]);

/** @internal 1 per row where every entry is finite, else 0; [C]. */
export const finiteRows = (...ts: tf.Tensor[]): tf.Tensor =>
  tf.tidy(() => {
    let ok: tf.Tensor | null = null;
    for (const t of ts) {
      const C = t.shape[0]!;
      const f = tf.min(tf.reshape(tf.cast(tf.equal(tf.sub(t, t), 0), 'float32'), [C, -1]), 1);
      ok = ok === null ? f : tf.mul(ok, f);
    }
    return ok as tf.Tensor;
  });

/** @internal Row selection by a [C] 0/1 mask over [C, ...] tensors (no arithmetic blend: NaN·0 is NaN). */
export const selectRows = (mask: tf.Tensor, a: tf.Tensor, b: tf.Tensor): tf.Tensor =>
  tf.tidy(() => {
    const m = tf.reshape(tf.cast(mask, 'bool'), [a.shape[0]!, ...a.shape.slice(1).map(() => 1)]);
    return tf.where(a.rank === 1 ? m : tf.broadcastTo(m, a.shape), a, b);
  });

/** @internal */
export function checkPosition(fn: string, position: tf.Tensor): void {
  if (!(position instanceof tf.Tensor)) throw new ShapeError(`${fn}.init: 'position' must be a tensor [C, ...]`);
  if (position.rank < 2 || position.shape[0] === 0) {
    throw new ShapeError(
      `${fn}.init: 'position' must be a batch of chains [C, ...], got [${position.shape.join(', ')}]`,
    );
  }
  if (position.dtype !== 'float32')
    throw new ShapeError(`${fn}.init: 'position' must be float32, got ${position.dtype}`);
  const bad = finiteRows(position);
  const ok = tf.tidy(() => tf.min(bad));
  const allFinite = ok.dataSync()[0] === 1;
  tf.dispose([bad, ok]);
  if (!allFinite) throw new ValueError(`${fn}.init: 'position' contains NaN or ±Infinity`);
}

/** @internal */
export function checkScore(fn: string, s: tf.Tensor, y: tf.Tensor): void {
  if (!sameShape(s.shape, y.shape)) {
    throw new ShapeError(
      `${fn}.init: the score must return the position's shape [${y.shape.join(', ')}], got [${s.shape.join(', ')}]`,
    );
  }
}

function checkEnergy(fn: string, e: tf.Tensor, y: tf.Tensor): void {
  if (e.rank !== 1 || e.shape[0] !== y.shape[0]) {
    throw new ShapeError(
      `${fn}.init: the energy must return per-chain energies [${y.shape[0]}], got [${e.shape.join(', ')}]`,
    );
  }
}

/** @internal */
export function checkFiniteInit(fn: string, ...ts: tf.Tensor[]): void {
  const f = finiteRows(...ts);
  const m = tf.tidy(() => tf.min(f));
  const ok = m.dataSync()[0] === 1;
  tf.dispose([f, m]);
  if (!ok) throw new NonFiniteError(`${fn}.init: the target's score or energy is not finite at the initial position`);
}

/** @internal Evaluates the score at the initial position, checks shape and finiteness, disposes it on failure. */
export function initScore(fn: string, scoreFn: (y: tf.Tensor) => tf.Tensor, position: tf.Tensor): tf.Tensor {
  const s = scoreFn(position);
  try {
    checkScore(fn, s, position);
    checkFiniteInit(fn, s);
  } catch (e) {
    s.dispose();
    throw e;
  }
  return s;
}

/**
 * Energy [C] and score −∇E [C, ...]. Two forward passes: `vjp` from tensor (one pass) currently
 * fails inside this composition, see the package README.
 */
const energyAndScore = (energy: EnergyFn, y: tf.Tensor): [tf.Tensor, tf.Tensor] =>
  tf.tidy(() => [energy(y), tf.neg(inputGrad(energy)(y))] as [tf.Tensor, tf.Tensor]);

/**
 * The unadjusted Langevin algorithm (overdamped Langevin, Euler–Maruyama) on batched chains
 * [C, ...]: y ← y + h∇log p(y) + √(2h) ε, ε ~ N(0, I), with h = δ²/2 (Saremi & Srivastava 2022,
 * eq. 42; the default) or h = ε (Saremi & Hyvärinen 2019, eq. 5), see {@link LangevinParameterization}.
 * Biased at O(h): its stationary law is not p. The target is `{ score }` or `{ energy }` (score by
 * autodiff). `init(position)` validates (ShapeError for a score of the wrong shape, ValueError for a
 * non-finite position, NonFiniteError for a non-finite score there) and copies; `step(key, state)`
 * returns `[UlaState, { nonFinite }]`, a chain whose proposal is not finite keeps its old state and
 * is flagged. Stepping disposes nothing it was given; the caller owns the returned state and info.
 */
export function ula(target: LangevinTarget, opts: LangevinOptions): Kernel<UlaState> {
  const fn = 'ula';
  const h = driftOf(fn, opts);
  const scoreFn = resolveScore(fn, target);
  const noise = mapCoef(h, (x) => Math.sqrt(2 * x));
  return {
    init(position) {
      checkPosition(fn, position);
      checkChains(fn, 'stepSize', h, position.shape[0]!);
      const s = initScore(fn, scoreFn, position);
      return { position: tf.clone(position), score: s };
    },
    step(key, state) {
      const [position, score, nonFinite] = tf.tidy(() => {
        const y = state.position;
        const prop = tf.add(tf.add(y, tf.mul(state.score, coef(h, y))), tf.mul(normal(key, y.shape), coef(noise, y)));
        const s = scoreFn(prop);
        const ok = finiteRows(prop, s);
        return [selectRows(ok, prop, y), selectRows(ok, s, state.score), tf.sub(1, ok)];
      }) as [tf.Tensor, tf.Tensor, tf.Tensor];
      return [{ position, score }, { nonFinite }];
    },
  };
}

/** @internal */
export function resolveScore(fn: string, target: LangevinTarget): ScoreFn {
  if (target === null || typeof target !== 'object')
    throw new ValueError(`${fn}: the target must be { score } or { energy }`);
  if (typeof target.score === 'function') return target.score;
  if ('energy' in target && typeof target.energy === 'function') {
    const g = inputGrad(target.energy);
    return (y) => tf.tidy(() => tf.neg(g(y)));
  }
  throw new ValueError(`${fn}: the target must be { score } or { energy } with function values`);
}

/**
 * The Metropolis-adjusted Langevin algorithm (Roberts & Tweedie 1996): the {@link ula} proposal
 * y′ = y + h∇log p(y) + √(2h) ε, accepted with probability min(1, α),
 * α = exp(E(y) − E(y′)) q(y | y′)/q(y′ | y), q(a | b) = N(a; b + h∇log p(b), 2hI); exact for p ∝ e^{−E}.
 * Needs `{ energy }` (score by autodiff, energy and score in one reverse pass) or `{ energy, score }`.
 * Batched chains [C, ...]; each chain accepts independently. `step` returns `[MalaState,
 * { acceptance, nonFinite }]`; a non-finite proposal is rejected and flagged. Stepping disposes
 * nothing it was given; the caller owns the returned state and info.
 */
export function mala(
  target: { readonly energy: EnergyFn; readonly score?: ScoreFn },
  opts: LangevinOptions,
): Kernel<MalaState> {
  const fn = 'mala';
  const h = driftOf(fn, opts);
  if (target === null || typeof target !== 'object' || typeof target.energy !== 'function') {
    throw new ValueError(
      `${fn}: the target must be { energy } (or { energy, score }): MALA needs log p up to a constant`,
    );
  }
  const { energy, score } = target;
  const both = (y: tf.Tensor): [tf.Tensor, tf.Tensor] =>
    score === undefined ? energyAndScore(energy, y) : tf.tidy(() => [energy(y), score(y)] as [tf.Tensor, tf.Tensor]);
  const noise = mapCoef(h, (x) => Math.sqrt(2 * x));
  const minus4h = mapCoef(h, (x) => -4 * x);
  // log q(a | b) up to a constant, per chain: −‖a − b − h s(b)‖²/(4h)
  const logQ = (a: tf.Tensor, b: tf.Tensor, sb: tf.Tensor): tf.Tensor =>
    tf.tidy(() =>
      tf.div(
        tf.sum(tf.reshape(tf.square(tf.sub(tf.sub(a, b), tf.mul(sb, coef(h, a)))), [a.shape[0]!, -1]), 1),
        coefRow(minus4h),
      ),
    );
  return {
    init(position) {
      checkPosition(fn, position);
      checkChains(fn, 'stepSize', h, position.shape[0]!);
      const [e, s] = both(position);
      try {
        checkEnergy(fn, e, position);
        checkScore(fn, s, position);
        checkFiniteInit(fn, e, s);
      } catch (err) {
        tf.dispose([e, s]);
        throw err;
      }
      return { position: tf.clone(position), score: s, energy: e };
    },
    step(key, state) {
      const [kn, ku] = split(key, 2) as [Key, Key];
      const [position, score, energy, nonFinite, acceptance] = tf.tidy(() => {
        const y = state.position;
        const C = y.shape[0]!;
        const prop = tf.add(tf.add(y, tf.mul(state.score, coef(h, y))), tf.mul(normal(kn, y.shape), coef(noise, y)));
        const [e, s] = both(prop);
        const ok = finiteRows(prop, s, tf.reshape(e, [C, 1]));
        const logAlpha = tf.add(tf.sub(state.energy, e), tf.sub(logQ(y, prop, s), logQ(prop, y, state.score)));
        // non-finite proposals get log α = −∞ (rejected) without NaN leaking into the comparison
        const safeLogAlpha = tf.where(tf.cast(ok, 'bool'), logAlpha, tf.fill([C], -Infinity));
        const acceptance = tf.exp(tf.minimum(safeLogAlpha, 0));
        const accept = tf.cast(tf.less(uniform(ku, [C]), acceptance), 'float32');
        return [
          selectRows(accept, prop, y),
          selectRows(accept, s, state.score),
          selectRows(accept, e, state.energy),
          tf.sub(1, ok),
          acceptance,
        ];
      }) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
      return [
        { position, score, energy },
        { nonFinite, acceptance },
      ];
    },
  };
}
