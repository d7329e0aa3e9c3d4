// ESS per gradient evaluation on a 100-D standard Gaussian for ULA, MALA, Sachs (Alg. 1) and
// Cheng (Alg. 2), each at its best step size (and friction) on a grid, subject to a stationary
// variance bias ≤ 5 % for the unadjusted kernels. τ_int by Geyer's initial monotone sequence on
// the chain-averaged autocorrelation of x_i and x_i² (20 coordinates × 16 chains).
//
//   pnpm --filter @walkjump/langevin exec tsx --conditions=@walkjump/source bench/ess.ts [--json]
import * as tf from '@tensorflow/tfjs-core';
import { foldIn, key, normal, useBackend } from '@walkjump/tensor';
import { chengUnderdamped, type Kernel, type KernelState, mala, sachsUnderdamped, ula } from '../src/index.ts';

await useBackend(process.env.WALKJUMP_BACKEND ?? 'auto');
const D = 100;
const C = 16;
const N = Number(process.env.ESS_STEPS ?? 4000);
const BURN = 500;
const COORDS = 20;
const score = (y: tf.Tensor) => tf.neg(y);
const energy = (y: tf.Tensor) => tf.tidy(() => tf.mul(0.5, tf.sum(tf.square(y), 1)));

/** Radix-2 FFT in place (re, im of length 2^k). */
function fft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j]!, re[i]!];
      [im[i], im[j]] = [im[j]!, im[i]!];
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const ang = (-2 * Math.PI) / len;
    for (let i = 0; i < n; i += len)
      for (let k = 0; k < len / 2; k++) {
        const wr = Math.cos(ang * k);
        const wi = Math.sin(ang * k);
        const ar = re[i + k + len / 2]!;
        const ai = im[i + k + len / 2]!;
        const xr = ar * wr - ai * wi;
        const xi = ar * wi + ai * wr;
        re[i + k + len / 2] = re[i + k]! - xr;
        im[i + k + len / 2] = im[i + k]! - xi;
        re[i + k]! += xr;
        im[i + k]! += xi;
      }
  }
}

/** Chain-averaged autocovariance of series (each length n) about their pooled mean, lags 0..n−1. */
function autocov(series: Float64Array[]): Float64Array {
  const n = series[0]!.length;
  let size = 1;
  while (size < 2 * n) size <<= 1;
  let mean = 0;
  for (const s of series) for (const v of s) mean += v;
  mean /= n * series.length;
  const acc = new Float64Array(n);
  for (const s of series) {
    const re = new Float64Array(size);
    const im = new Float64Array(size);
    for (let i = 0; i < n; i++) re[i] = s[i]! - mean;
    fft(re, im);
    for (let i = 0; i < size; i++) {
      re[i] = re[i]! * re[i]! + im[i]! * im[i]!;
      im[i] = 0;
    }
    fft(re, im); // inverse up to conjugation (real symmetric input) and 1/size
    for (let i = 0; i < n; i++) acc[i]! += re[i]! / size / n;
  }
  for (let i = 0; i < n; i++) acc[i]! /= series.length;
  return acc;
}

/** Integrated autocorrelation time by Geyer's initial monotone positive sequence. */
function tauInt(series: Float64Array[]): number {
  const g = autocov(series);
  const rho = (k: number) => g[k]! / g[0]!;
  let tau = -1;
  let prev = Number.POSITIVE_INFINITY;
  for (let k = 0; k + 1 < g.length; k += 2) {
    let pair = rho(k) + rho(k + 1);
    if (pair <= 0) break;
    pair = Math.min(pair, prev);
    prev = pair;
    tau += 2 * pair;
  }
  return tau;
}

interface Row {
  kernel: string;
  params: string;
  tauX: number;
  tauX2: number;
  essPerGrad: number;
  varBias: number;
  acceptance?: number;
}

function measure(name: string, params: string, k: Kernel<KernelState>, gradsPerStep: number): Row {
  const init = normal(key(1), [C, D]);
  let s = k.init(init);
  init.dispose();
  const xs: Float64Array[] = Array.from({ length: C * COORDS }, () => new Float64Array(N));
  let acc = 0;
  let accN = 0;
  let sum2 = 0;
  for (let t = 0; t < BURN + N; t++) {
    const [n, info] = k.step(foldIn(key(7), t), s);
    tf.dispose(s as unknown as tf.TensorContainer);
    s = n;
    if (info.acceptance !== undefined && t >= BURN) {
      const a = tf.mean(info.acceptance);
      acc += a.dataSync()[0]!;
      accN++;
      a.dispose();
    }
    tf.dispose(info as unknown as tf.TensorContainer);
    if (t >= BURN) {
      const y = s.position.dataSync();
      for (let c = 0; c < C; c++)
        for (let j = 0; j < COORDS; j++) {
          const v = y[c * D + j]!;
          xs[c * COORDS + j]![t - BURN] = v;
          sum2 += v * v;
        }
    }
  }
  tf.dispose(s as unknown as tf.TensorContainer);
  const tauX = tauInt(xs);
  const tauX2 = tauInt(xs.map((x) => x.map((v) => v * v)));
  const varBias = sum2 / (N * C * COORDS) - 1;
  const row: Row = {
    kernel: name,
    params,
    tauX,
    tauX2,
    essPerGrad: 1 / (Math.max(tauX, tauX2) * gradsPerStep),
    varBias,
  };
  if (accN > 0) row.acceptance = acc / accN;
  return row;
}

const candidates: Row[] = [];
const json = process.argv.includes('--json');
const say = (r: Row) => {
  candidates.push(r);
  if (!json)
    console.log(
      `${r.kernel.padEnd(17)} ${r.params.padEnd(18)} τ(x)=${r.tauX.toFixed(1).padStart(6)} τ(x²)=${r.tauX2.toFixed(1).padStart(6)} ESS/grad=${r.essPerGrad.toFixed(4)} var bias=${(100 * r.varBias).toFixed(1)}%${r.acceptance === undefined ? '' : ` acc=${r.acceptance.toFixed(2)}`}`,
    );
};
for (const d of [0.2, 0.3, 0.4, 0.45]) say(measure('ula', `δ=${d}`, ula({ score }, { stepSize: d }), 1));
for (const d of [0.6, 0.8, 1.0, 1.2]) say(measure('mala', `δ=${d}`, mala({ energy, score }, { stepSize: d }), 1));
for (const g of [0.5, 1, 2])
  for (const d of [0.5, 0.8, 1.1, 1.4, 1.7])
    say(measure('sachsUnderdamped', `δ=${d} γ=${g}`, sachsUnderdamped({ score }, { stepSize: d, friction: g }), 1));
for (const g of [0.5, 1, 2])
  for (const d of [0.1, 0.2, 0.35])
    say(measure('chengUnderdamped', `δ=${d} γ=${g}`, chengUnderdamped({ score }, { stepSize: d, friction: g }), 1));

const best = new Map<string, Row>();
for (const r of candidates) {
  if (Math.abs(r.varBias) > 0.05) continue;
  const b = best.get(r.kernel);
  if (b === undefined || r.essPerGrad > b.essPerGrad) best.set(r.kernel, r);
}
if (json) console.log(JSON.stringify({ D, C, N, candidates, best: [...best.values()] }));
else {
  console.log('\n| kernel | tuned parameters | τ_int(x) | τ_int(x²) | ESS / gradient | variance bias | acceptance |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of best.values())
    console.log(
      `| ${r.kernel} | ${r.params} | ${r.tauX.toFixed(1)} | ${r.tauX2.toFixed(1)} | ${r.essPerGrad.toFixed(4)} | ${(100 * r.varBias).toFixed(1)} % | ${r.acceptance?.toFixed(2) ?? '—'} |`,
    );
}
