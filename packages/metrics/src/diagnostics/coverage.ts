import { ShapeError, ValueError, assertInteger } from '@walkjump/tensor';
import { type Values, toValues, toWeights } from '../internal/points.ts';

/** Mode (or class) labels: one chain (integers in 0 … K−1) or several chains. */
export type Labels = readonly number[] | Int32Array | readonly (readonly number[] | Int32Array)[];

/** Result of {@link modeCoverage}. */
export interface ModeCoverage {
  /** Visits per mode [K] over all chains. */
  readonly counts: Float64Array;
  /** counts / total [K]. */
  readonly frequencies: Float64Array;
  /** Number of modes visited at least once. */
  readonly modesVisited: number;
  /** Per mode, the first draw index (step within a chain, minimum over chains) at which it is visited; −1 if never. */
  readonly firstVisit: Int32Array;
  /** Modes visited by each chain. */
  readonly modesVisitedPerChain: Int32Array;
  /** KL(empirical ‖ target) in nats (finite even when modes are missed); present when target weights are given. */
  readonly kl?: number;
  /** Total variation ½ Σ |empirical − target|; present when target weights are given. */
  readonly tv?: number;
  /** max_k |empirical_k − target_k|, the mixture mode-weight error; present when target weights are given. */
  readonly maxWeightError?: number;
}

function toLabelRows(fn: string, labels: Labels): readonly (readonly number[] | Int32Array)[] {
  if (!Array.isArray(labels) && !(labels instanceof Int32Array))
    throw new ValueError(`${fn}: 'labels' must be an array`);
  const first = (labels as ArrayLike<unknown>)[0];
  const rows =
    labels instanceof Int32Array || typeof first === 'number'
      ? [labels as readonly number[] | Int32Array]
      : (labels as readonly (readonly number[] | Int32Array)[]);
  if (rows.length === 0 || rows.every((r) => r.length === 0)) throw new ValueError(`${fn}: 'labels' is empty`);
  return rows;
}

/**
 * Mode and class coverage of chains given per-draw mode labels (e.g. the nearest mixture component, or a
 * classifier's class): the visit histogram, the number of modes visited (overall and per chain), each mode's first
 * visit time, and, given `targetWeights` [K], KL(empirical ‖ target), total variation and the maximum mode-weight
 * error — the coverage numbers walk-jump and discrete-sampler papers report on mixtures. float64 JavaScript arrays.
 */
export function modeCoverage(
  labels: Labels,
  opts: { readonly numModes?: number; readonly targetWeights?: Values } = {},
): ModeCoverage {
  const fn = 'modeCoverage';
  const rows = toLabelRows(fn, labels);
  let K = opts.numModes;
  if (K === undefined && opts.targetWeights !== undefined) K = toValues(fn, 'targetWeights', opts.targetWeights).length;
  if (K === undefined) {
    K = 0;
    for (const r of rows) for (const v of r) K = Math.max(K, v + 1);
  }
  assertInteger(fn, 'numModes', K);
  const counts = new Float64Array(K);
  const firstVisit = new Int32Array(K).fill(-1);
  const perChain = new Int32Array(rows.length);
  rows.forEach((r, c) => {
    const seen = new Uint8Array(K);
    for (let t = 0; t < r.length; t++) {
      const v = r[t] as number;
      if (!Number.isInteger(v) || v < 0 || v >= K) {
        throw new ValueError(`${fn}: 'labels' must be integers in [0, ${K - 1}], chain ${c} draw ${t} is ${v}`);
      }
      counts[v] = (counts[v] as number) + 1;
      if (seen[v] === 0) {
        seen[v] = 1;
        perChain[c] = (perChain[c] as number) + 1;
        if (firstVisit[v] === -1 || t < (firstVisit[v] as number)) firstVisit[v] = t;
      }
    }
  });
  const total = counts.reduce((s, v) => s + v, 0);
  const frequencies = Float64Array.from(counts, (v) => v / total);
  const modesVisited = counts.reduce((s, v) => s + (v > 0 ? 1 : 0), 0);
  const base = { counts, frequencies, modesVisited, firstVisit, modesVisitedPerChain: perChain };
  if (opts.targetWeights === undefined) return base;
  const w = toWeights(fn, 'targetWeights', opts.targetWeights, K);
  let kl = 0;
  let tv = 0;
  let maxErr = 0;
  for (let k = 0; k < K; k++) {
    const p = frequencies[k] as number;
    const q = w[k] as number;
    if (p > 0) kl += q > 0 ? p * Math.log(p / q) : Number.POSITIVE_INFINITY;
    tv += 0.5 * Math.abs(p - q);
    maxErr = Math.max(maxErr, Math.abs(p - q));
  }
  return { ...base, kl, tv, maxWeightError: maxErr };
}

/**
 * Mixture mode-weight error: the empirical weights of mode labels [S] against target mixture weights [K]:
 * max_k |ŵ_k − w_k| and Σ_k |ŵ_k − w_k| (= 2 TV). float64.
 */
export function modeWeightError(
  labels: Labels,
  targetWeights: Values,
): { maxAbs: number; l1: number; weights: Float64Array } {
  const fn = 'modeWeightError';
  const w = toValues(fn, 'targetWeights', targetWeights);
  if (w.length < 1) throw new ShapeError(`${fn}: 'targetWeights' must have at least one entry`);
  const cov = modeCoverage(labels, { numModes: w.length, targetWeights: w });
  const norm = toWeights(fn, 'targetWeights', w, w.length);
  let l1 = 0;
  for (let k = 0; k < w.length; k++) l1 += Math.abs((cov.frequencies[k] as number) - (norm[k] as number));
  return { maxAbs: cov.maxWeightError as number, l1, weights: cov.frequencies };
}
