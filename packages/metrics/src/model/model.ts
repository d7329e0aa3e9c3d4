import { ValueError, assertInteger, assertPositive } from '@walkjump/tensor';
import { type Points, type Values, toPoints, toValues } from '../internal/points.ts';
import { averageRanks } from '../diagnostics/chains.ts';

/** Result of {@link nll}. */
export interface NllResult {
  /** Mean negative log-likelihood in nats per example, −(1/n) Σ log p(x_i). */
  readonly nats: number;
  /** Standard error of `nats` (sample sd / √n; 0 for n = 1). */
  readonly natsSE: number;
  /** nats / (d ln 2): bits per dimension. */
  readonly bitsPerDim: number;
  readonly bitsPerDimSE: number;
  readonly n: number;
}

/**
 * Negative log-likelihood (cross-entropy E[−log p_θ(x)] on held-out data, Guth, Kadkhodaie & Simoncelli,
 * "dual score matching" slides, *Evaluating the model*) from per-example log-probabilities `logProbs` [n] in nats:
 * the mean in nats and in bits per dimension (÷ d ln 2), with standard errors. For discrete data that was
 * dequantized, add the quantization offset (e.g. log 256 per dimension for 8-bit data scaled to [0, 1]) through
 * `offsetNatsPerDim`. float64.
 */
export function nll(logProbs: Values, opts: { readonly dims: number; readonly offsetNatsPerDim?: number }): NllResult {
  const fn = 'nll';
  const lp = toValues(fn, 'logProbs', logProbs);
  assertInteger(fn, 'dims', opts.dims);
  const off = opts.offsetNatsPerDim ?? 0;
  if (!Number.isFinite(off)) throw new ValueError(`${fn}: 'offsetNatsPerDim' must be finite, got ${off}`);
  const n = lp.length;
  let mean = 0;
  for (const v of lp) mean -= v;
  mean = mean / n + off * opts.dims;
  let v2 = 0;
  for (const v of lp) v2 += (-v + off * opts.dims - mean) ** 2;
  const se = n > 1 ? Math.sqrt(v2 / (n - 1) / n) : 0;
  const k = 1 / (opts.dims * Math.LN2);
  return { nats: mean, natsSE: se, bitsPerDim: mean * k, bitsPerDimSE: se * k, n };
}

/** Result of {@link nearestNeighbourDistances}. */
export interface NearestNeighbours {
  /** Distance of each sample to its nearest training point, d₁ [s]. */
  readonly d1: Float64Array;
  /** Distance to the second-nearest training point, d₂ [s] (Infinity when the training set has one point). */
  readonly d2: Float64Array;
  /** Index of the nearest training point [s]. */
  readonly index: Int32Array;
}

/**
 * Euclidean distances from each of `samples` [s, d] to its nearest and second-nearest point of `train` [n, d],
 * by exhaustive search in float64 JavaScript arrays (O(s n d)).
 */
export function nearestNeighbourDistances(samples: Points, train: Points): NearestNeighbours {
  const fn = 'nearestNeighbourDistances';
  const S = toPoints(fn, 'samples', samples);
  const T = toPoints(fn, 'train', train, { d: S.d });
  const d = S.d;
  const d1 = new Float64Array(S.n);
  const d2 = new Float64Array(S.n);
  const index = new Int32Array(S.n);
  for (let i = 0; i < S.n; i++) {
    let b1 = Number.POSITIVE_INFINITY;
    let b2 = Number.POSITIVE_INFINITY;
    let bi = -1;
    for (let j = 0; j < T.n; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) {
        const v = (S.data[i * d + k] as number) - (T.data[j * d + k] as number);
        s += v * v;
      }
      if (s < b1) {
        b2 = b1;
        b1 = s;
        bi = j;
      } else if (s < b2) b2 = s;
    }
    d1[i] = Math.sqrt(b1);
    d2[i] = Math.sqrt(b2);
    index[i] = bi;
  }
  return { d1, d2, index };
}

/** Result of {@link memorizationTest}. */
export interface MemorizationResult extends NearestNeighbours {
  /** d₁ / d₂ per sample [s]. */
  readonly ratio: Float64Array;
  /** Fraction of samples with d₁/d₂ < threshold: the memorized fraction. */
  readonly memorizedFraction: number;
  readonly threshold: number;
  /** Median d₁ over samples. */
  readonly medianD1: number;
}

/**
 * Memorization test: a sample is a copy of a training point when its nearest training neighbour is much closer than
 * the second nearest, d₁/d₂ < `threshold` (default 1/3; Yoon et al. 2023, "Diffusion probabilistic models generalize
 * when they fail to memorize"; Gu et al. 2023). `samples` [s, d], `train` [n ≥ 2, d]. float64 JavaScript arrays.
 */
export function memorizationTest(
  samples: Points,
  train: Points,
  opts: { readonly threshold?: number } = {},
): MemorizationResult {
  const fn = 'memorizationTest';
  const threshold = opts.threshold ?? 1 / 3;
  assertPositive(fn, 'threshold', threshold);
  const T = toPoints(fn, 'train', train, { minRows: 2 });
  const nn = nearestNeighbourDistances(samples, T);
  const ratio = Float64Array.from(nn.d1, (v, i) => {
    const d2 = nn.d2[i] as number;
    return d2 > 0 ? v / d2 : 1;
  });
  let mem = 0;
  for (const r of ratio) if (r < threshold) mem++;
  const sorted = Float64Array.from(nn.d1).sort();
  return { ...nn, ratio, memorizedFraction: mem / ratio.length, threshold, medianD1: median(sorted) };
}

const median = (sorted: Float64Array): number => {
  const L = sorted.length;
  return L % 2 === 1
    ? (sorted[(L - 1) / 2] as number)
    : 0.5 * ((sorted[L / 2 - 1] as number) + (sorted[L / 2] as number));
};

/** Result of {@link generalizationScore}. */
export interface GeneralizationScore {
  /** Pearson correlation of the two models' log-probabilities. */
  readonly pearson: number;
  /** Spearman rank correlation. */
  readonly spearman: number;
  /** Mean of log p₁ − log p₂ (an offset from imperfect normalization). */
  readonly meanDifference: number;
  /** Root-mean-square of the centred differences (after removing the mean offset), in nats. */
  readonly rmsDifference: number;
  readonly n: number;
}

/**
 * Two-model generalization score (Guth, Kadkhodaie & Simoncelli, "dual score matching" slides, *Evaluating the
 * model*; Kadkhodaie et al. 2024): train two models on disjoint training sets of N samples, evaluate both on the same
 * points, and compare `logProbsA` [n] and `logProbsB` [n]. Correlation near 1 (and a small centred RMS difference)
 * means both learned the same probability model — generalization rather than memorization. float64.
 */
export function generalizationScore(logProbsA: Values, logProbsB: Values): GeneralizationScore {
  const fn = 'generalizationScore';
  const a = toValues(fn, 'logProbsA', logProbsA, { minLength: 2 });
  const b = toValues(fn, 'logProbsB', logProbsB, { length: a.length });
  const pearson = (x: Float64Array, y: Float64Array): number => {
    const n = x.length;
    const mx = x.reduce((s, v) => s + v, 0) / n;
    const my = y.reduce((s, v) => s + v, 0) / n;
    let sxy = 0;
    let sxx = 0;
    let syy = 0;
    for (let i = 0; i < n; i++) {
      const dx = (x[i] as number) - mx;
      const dy = (y[i] as number) - my;
      sxy += dx * dy;
      sxx += dx * dx;
      syy += dy * dy;
    }
    if (!(sxx > 0) || !(syy > 0))
      throw new ValueError(`${fn}: log-probabilities are constant; the correlation is undefined`);
    return sxy / Math.sqrt(sxx * syy);
  };
  const n = a.length;
  let md = 0;
  for (let i = 0; i < n; i++) md += (a[i] as number) - (b[i] as number);
  md /= n;
  let r2 = 0;
  for (let i = 0; i < n; i++) r2 += ((a[i] as number) - (b[i] as number) - md) ** 2;
  return {
    pearson: pearson(a, b),
    spearman: pearson(averageRanks(a), averageRanks(b)),
    meanDifference: md,
    rmsDifference: Math.sqrt(r2 / n),
    n,
  };
}

/** Result of {@link manifoldDistanceStats}. */
export interface DistanceStats {
  readonly min: number;
  readonly median: number;
  readonly mean: number;
  readonly max: number;
  readonly n: number;
}

/**
 * Summary statistics (min, median, mean, max) of distances to a manifold, as in Table 3 of Ross et al. (2023)
 * ("statistics of estimated dataset distances to the manifold"). `distances` [n], non-negative; the distances
 * themselves (e.g. by projecting each point onto the learned manifold) are computed by the caller. float64.
 */
export function manifoldDistanceStats(distances: Values): DistanceStats {
  const fn = 'manifoldDistanceStats';
  const d = toValues(fn, 'distances', distances);
  for (let i = 0; i < d.length; i++) {
    if ((d[i] as number) < 0) throw new ValueError(`${fn}: 'distances' must be non-negative, entry ${i} is ${d[i]}`);
  }
  const sorted = Float64Array.from(d).sort();
  return {
    min: sorted[0] as number,
    median: median(sorted),
    mean: sorted.reduce((s, v) => s + v, 0) / sorted.length,
    max: sorted[sorted.length - 1] as number,
    n: sorted.length,
  };
}
