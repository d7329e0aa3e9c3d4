// 003 "Synthetic experiments": sequential (SMS) vs joint (JMS) multimeasurement sampling on a mixture of
// two Gaussians with covariance τ²I and Δμ = 6·(1, …, 1) ∈ R^d, d ∈ {2, 16, 64}, with exact
// noise-conditioned scores (weights 0.3 / 0.7 so that the mode weights are informative). Both use
// @walkjump/langevin's ULA with the same number of score evaluations; reports the mode-weight error
// |ŵ − w| and the sliced W1 of the jumps x̂ = E[X | y₁..y_M] to exact samples of X.
//
//   pnpm --filter @walkjump/reproductions repro langevin-sms-jms [--quick] [--chains 1000] [--M 16] [--K 20]
import * as tf from '@tensorflow/tfjs-core';
import { jointMultimeasurement, sequentialMultimeasurement } from '@walkjump/langevin';
import { backendInfo, key, type Key, normal, split, uniform, useBackend } from '@walkjump/tensor';
import { numOpt, prepareOut, type ReproArgs, round, secondsSince, writeSummary } from './lib/common.ts';

export const meta = {
  id: 'langevin-sms-jms',
  title: 'Sequential vs joint multimeasurement sampling on a two-Gaussian mixture',
  source: '003 (sequential denoising, SMS vs JMS synthetic experiments)',
};

function mixture(d: number, tau: number, w: number[]) {
  const means = [Array(d).fill(-3), Array(d).fill(3)];
  const score = (y: tf.Tensor, s: tf.Tensor | number) =>
    tf.tidy(() => {
      const mu = tf.tensor2d(means.flat(), [2, d]);
      const v = tau * tau + (s as number) ** 2;
      const d2 = tf.sum(tf.square(tf.sub(tf.expandDims(y, 1), tf.expandDims(mu, 0))), 2);
      const logits = tf.add(tf.div(d2, -2 * v), tf.tensor1d(w.map(Math.log)));
      const r = tf.exp(tf.sub(logits, tf.logSumExp(logits, 1, true)));
      return tf.div(tf.sub(tf.matMul(r as tf.Tensor2D, mu as tf.Tensor2D), y), v);
    });
  const sample = (k: Key, n: number): Float64Array => {
    const [ku, kz] = split(k, 2) as [Key, Key];
    const u = uniform(ku, [n]);
    const z = normal(kz, [n, d]);
    const uu = u.dataSync();
    const zz = z.dataSync();
    tf.dispose([u, z]);
    const out = new Float64Array(n * d);
    for (let i = 0; i < n; i++) {
      const c = uu[i]! < w[0]! ? 0 : 1;
      for (let j = 0; j < d; j++) out[i * d + j] = means[c]![j]! + tau * zz[i * d + j]!;
    }
    return out;
  };
  return { score, sample };
}

function slicedW1(a: ArrayLike<number>, b: ArrayLike<number>, d: number, L = 64): number {
  let seed = 7;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return (seed + 0.5) / 4294967296;
  };
  const n = a.length / d;
  let total = 0;
  for (let l = 0; l < L; l++) {
    const dir = Array.from({ length: d }, () => Math.sqrt(-2 * Math.log(rnd())) * Math.cos(2 * Math.PI * rnd()));
    const nrm = Math.hypot(...dir);
    const pa = new Float64Array(n);
    const pb = new Float64Array(n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < d; j++) {
        pa[i]! += (a[i * d + j]! * dir[j]!) / nrm;
        pb[i]! += (b[i * d + j]! * dir[j]!) / nrm;
      }
    pa.sort();
    pb.sort();
    for (let i = 0; i < n; i++) total += Math.abs(pa[i]! - pb[i]!) / n;
  }
  return total / L;
}

export async function run({ out, quick, argv }: ReproArgs): Promise<void> {
  await useBackend(process.env['WALKJUMP_BACKEND'] ?? 'auto');
  const t0 = performance.now();
  prepareOut(out);
  const C = numOpt(argv, 'chains', quick ? 200 : 1000);
  const M = numOpt(argv, 'M', 16);
  const K = numOpt(argv, 'K', quick ? 10 : 20);
  const tau = 1;
  const w = [0.3, 0.7];
  const rows: Record<string, unknown>[] = [];
  for (const d of [2, 16, 64]) {
    const sigma = 3 * Math.sqrt(d); // (‖Δμ‖/2)² = 9d ≤ τ² + σ²: q_σ is log-concave
    const mix = mixture(d, tau, w);
    const truth = mix.sample(key(1000 + d), C);
    const common = { score: mix.score, sigma, measurements: M, shape: [C, d], stepSize: sigma / 2 } as const;
    const evalOne = (x: tf.Tensor) => {
      const v = x.dataSync();
      let hi = 0;
      for (let i = 0; i < C; i++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += v[i * d + j]!;
        if (s > 0) hi++;
      }
      return { modeWeightError: round(Math.abs(hi / C - w[1]!)), slicedW1: round(slicedW1(v, truth, d)) };
    };
    const ts = performance.now();
    const sms = sequentialMultimeasurement(key(d), { ...common, steps: K });
    const smsRes = { ...evalOne(sms.sample), seconds: secondsSince(ts) };
    tf.dispose([sms.sample, sms.mean]);
    const tj = performance.now();
    const jms = jointMultimeasurement(key(d + 1), { ...common, steps: M * K });
    const jmsRes = { ...evalOne(jms.sample), seconds: secondsSince(tj) };
    tf.dispose([jms.sample, jms.mean]);
    const floor = round(slicedW1(mix.sample(key(2000 + d), C), truth, d));
    rows.push({
      d,
      sigma: round(sigma, 3),
      M,
      stepsPerMeasurement: K,
      sms: smsRes,
      jms: jmsRes,
      slicedW1FloorExactVsExact: floor,
      mcStdErrorOfWeight: round(Math.sqrt((w[0]! * w[1]!) / C)),
    });
    console.log(JSON.stringify(rows.at(-1)));
  }
  await writeSummary(out, {
    id: meta.id,
    backend: backendInfo(),
    quick,
    target: 'w = (0.3, 0.7), μ = ∓3·1, covariance τ²I with τ = 1',
    sampler: 'ULA (eq. 42) with δ = σ/2; SMS: K steps per measurement; JMS: M·K steps on the joint M-density',
    chains: C,
    rows,
    totalSeconds: secondsSince(t0),
  });
}
