import * as tf from '@tensorflow/tfjs-core';
import {
  energyDistance,
  medianHeuristic,
  mmd,
  modeCoverage,
  type PointArray,
  slicedWasserstein,
} from '@walkjump/metrics';
import { type Key, key as makeKey, ValueError } from '@walkjump/tensor';
import { type DataInput, type HostArray, toHostArray } from './data.ts';

/** The metrics {@link evaluate} computes. */
export type MetricName = 'slicedWasserstein' | 'mmd' | 'energyDistance' | 'classes';
/** All metric names. */
export const METRICS: readonly MetricName[] = ['slicedWasserstein', 'mmd', 'energyDistance', 'classes'];

/** A classifier for the `classes` metric: logits [B, K] for a batch [B, ...event]. */
export type Classifier = (x: tf.Tensor) => tf.Tensor;

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
  /** Samples [N, ...event] (e.g. the `jump` of {@link walkJump}). */
  readonly samples: DataInput;
  /** Reference data of the same event shape (e.g. held-out test data); needed by all but `classes`. */
  readonly data?: DataInput;
  /** Which metrics (default: the distances, plus `classes` when a classifier is given). */
  readonly metrics?: readonly MetricName[];
  /** Classifier for `classes` (logits [B, K]). */
  readonly classifier?: Classifier;
  /** Number of classes K of the classifier (default: from its output). */
  readonly numClasses?: number;
  /** At most this many rows of `samples` and of `data` are compared (default 2000). */
  readonly maxSamples?: number;
  /** Seed of the random projections (default 0). */
  readonly seed?: number;
}

/** Result of {@link evaluate}: each requested metric and what it was computed on. */
export interface EvaluateResult {
  /** Sliced 1-Wasserstein distance (128 random directions) between samples and data. */
  readonly slicedWasserstein?: number;
  /** Unbiased squared MMD, Gaussian kernel with the median-heuristic bandwidth `mmdBandwidth`. */
  readonly mmd?: number;
  /** The MMD kernel bandwidth used. */
  readonly mmdBandwidth?: number;
  /** Energy distance (unbiased) between samples and data. */
  readonly energyDistance?: number;
  /** The same distances between two halves of the data: the Monte Carlo floor at this size. */
  readonly dataFloor?: { readonly slicedWasserstein?: number; readonly mmd?: number; readonly energyDistance?: number };
  /** Class histogram of the samples under the classifier (counts per class). */
  readonly classHistogram?: readonly number[];
  /** Classes with at least one sample. */
  readonly classesCovered?: number;
  /** Total variation between the class frequencies and uniform. */
  readonly classTv?: number;
  /** Rows of samples compared. */
  readonly n: number;
}

const toPoints = (a: HostArray, max: number): PointArray => {
  const n = Math.min(a.shape[0] as number, max);
  const d = a.data.length / (a.shape[0] as number);
  return { data: Float64Array.from(a.data.subarray(0, n * d)), n, d };
};

/**
 * Compares samples with data: sliced 1-Wasserstein (Bonneel et al. 2015), unbiased MMD² with a
 * median-heuristic Gaussian kernel (Gretton et al. 2012, eq. 3), energy distance (Székely & Rizzo
 * 2013), each beside the same number between two halves of the data (the floor at this sample
 * size); and, with a classifier, the class histogram of the samples (the mode-coverage check of
 * Saremi & Hyvärinen 2019, §4 on MNIST). Throws `DataError` for non-finite input and `ValueError`
 * for mismatched shapes or a missing argument.
 */
export function evaluate(opts: EvaluateOptions): EvaluateResult {
  if (opts === null || typeof opts !== 'object' || opts.samples === undefined)
    throw new ValueError('evaluate: options { samples } are required');
  const wanted =
    opts.metrics ?? (opts.classifier === undefined ? ['slicedWasserstein', 'mmd', 'energyDistance'] : METRICS);
  for (const m of wanted)
    if (!METRICS.includes(m))
      throw new ValueError(`evaluate: metrics must be among ${METRICS.join(', ')}, got ${JSON.stringify(m)}`);
  const max = opts.maxSamples ?? 2000;
  if (!Number.isInteger(max) || max < 2)
    throw new ValueError(`evaluate: maxSamples must be an integer ≥ 2, got ${String(opts.maxSamples)}`);
  const samples = toHostArray(opts.samples, 'evaluate: samples', 2);
  const distances = wanted.filter((m) => m !== 'classes');
  const out: Record<string, unknown> = { n: Math.min(samples.shape[0] as number, max) };
  if (distances.length > 0) {
    if (opts.data === undefined) throw new ValueError(`evaluate: metric ${distances[0]} needs the data option`);
    const data = toHostArray(opts.data, 'evaluate: data', 4);
    const ds = samples.data.length / (samples.shape[0] as number);
    const dd = data.data.length / (data.shape[0] as number);
    if (ds !== dd) throw new ValueError(`evaluate: samples have ${ds} values per row, data ${dd}`);
    const a = toPoints(samples, max);
    const b = toPoints(data, max);
    const half = Math.floor(b.n / 2);
    const b1: PointArray = { data: b.data.subarray(0, half * b.d), n: half, d: b.d };
    const b2: PointArray = { data: b.data.subarray(half * b.d, 2 * half * b.d), n: half, d: b.d };
    const k: Key = makeKey(opts.seed ?? 0);
    const floor: Record<string, number> = {};
    if (distances.includes('slicedWasserstein')) {
      out.slicedWasserstein = slicedWasserstein(k, a, b, { projections: 128, p: 1 });
      floor.slicedWasserstein = slicedWasserstein(k, b1, b2, { projections: 128, p: 1 });
    }
    if (distances.includes('mmd')) {
      const bw = medianHeuristic(a, b);
      out.mmd = mmd(a, b, { bandwidth: bw });
      out.mmdBandwidth = bw;
      floor.mmd = mmd(b1, b2, { bandwidth: bw });
    }
    if (distances.includes('energyDistance')) {
      out.energyDistance = energyDistance(a, b);
      floor.energyDistance = energyDistance(b1, b2);
    }
    out.dataFloor = floor;
  }
  if (wanted.includes('classes')) {
    if (opts.classifier === undefined) throw new ValueError('evaluate: metric classes needs the classifier option');
    const n = out.n as number;
    const labels = tf.tidy(() => {
      const x = tf.tensor(samples.data.subarray(0, (n * samples.data.length) / (samples.shape[0] as number)), [
        n,
        ...samples.shape.slice(1),
      ]);
      const logits = (opts.classifier as Classifier)(x);
      return { K: logits.shape[1] as number, labels: Int32Array.from(tf.argMax(logits, 1).dataSync()) };
    });
    const K = opts.numClasses ?? labels.K;
    const cov = modeCoverage(labels.labels, { numModes: K, targetWeights: new Float64Array(K).fill(1 / K) });
    out.classHistogram = Array.from(cov.counts);
    out.classesCovered = cov.modesVisited;
    if (cov.tv !== undefined) out.classTv = cov.tv;
  }
  return out as unknown as EvaluateResult;
}
