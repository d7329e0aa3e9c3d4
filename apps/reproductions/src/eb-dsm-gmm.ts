// 004 (Guth, Kadkhodaie & Simoncelli): dual score matching on Gaussian mixtures in d = 2 and d = 16,
// where log q_t is known exactly for every t (@walkjump/empirical-bayes `gaussianMixtureDiffusion`):
// train U(y, t) with `dualScoreMatchingLoss`, fix its constant with `normalizeEnergy`, and report the
// NLL error in nats/dim against the exact log q_t, and the agreement of the two d_eff definitions
// (`effectiveDimension`) with each other and with the exact values.
//
//   pnpm --filter @walkjump/reproductions repro eb-dsm-gmm [--quick] [--steps 2500]
import * as tf from '@tensorflow/tfjs-core';
import {
  dualScoreMatchingLoss,
  effectiveDimension,
  gaussianMixtureDiffusion,
  logProb,
  normalizeEnergy,
} from '@walkjump/empirical-bayes';
import { type MlpParams, paramCount } from '@walkjump/nets';
import {
  adam,
  backendInfo,
  disposeParams,
  fit,
  key,
  type Key,
  normal,
  type Params,
  split,
  useBackend,
} from '@walkjump/tensor';
import { dsmEnergyModel } from './eb-common.ts';
import { cosineLr, numOpt, prepareOut, type ReproArgs, round, secondsSince, writeSummary } from './lib/common.ts';

export const meta = {
  id: 'eb-dsm-gmm',
  title: 'Dual score matching on Gaussian mixtures: normalized NLL and effective dimension vs exact',
  source: '004 (dual score matching, post-training normalization, d_eff)',
};

function mixtureFor(d: number) {
  if (d === 2) {
    return gaussianMixtureDiffusion({
      means: [
        [-2, -2],
        [2, -2],
        [-2, 2],
        [2, 2.5],
      ],
      variances: [0.05, 0.1, 0.2, 0.3],
      weights: [0.4, 0.3, 0.2, 0.1],
    });
  }
  const row = (f: (i: number) => number) => Array.from({ length: d }, (_, i) => f(i));
  return gaussianMixtureDiffusion({
    means: [row(() => -1.5), row(() => 1.5), row((i) => (i % 2 ? 2 : -2)), row((i) => (i < d / 2 ? 1 : -1))],
    variances: [0.1, 0.3, 0.2, 0.5],
    weights: [0.3, 0.3, 0.2, 0.2],
  });
}

export async function run({ out, quick, argv }: ReproArgs): Promise<void> {
  await useBackend(process.env['WALKJUMP_BACKEND'] ?? 'auto');
  const t0 = performance.now();
  prepareOut(out);
  const steps = numOpt(argv, 'steps', quick ? 100 : 2500);
  const batch = 256;
  const tMin = 1e-3;
  const tMax = 1e3;
  const results: Record<string, unknown>[] = [];
  for (const d of [2, 16]) {
    const ts = performance.now();
    const g = mixtureFor(d);
    const [kd, ki, kf, kn, kt, ke] = split(key(d), 6) as [Key, Key, Key, Key, Key, Key];
    const data = g.sample(kd, 20000);
    const mean = Array.from(tf.tidy(() => tf.mean(data, 0)).dataSync());
    const v = tf.tidy(() => tf.mean(tf.square(tf.sub(data, tf.mean(data, 0))))).dataSync()[0] as number;
    const model = dsmEnergyModel(d, [128, 128], mean, v);
    const p0 = model.net.init(ki, [model.inputDim]);
    const res = await fit<tf.Tensor>({
      params: p0 as unknown as Params,
      key: kf,
      steps,
      optimizer: adam({ learningRate: cosineLr(2e-3, steps) }),
      batches: (_s, k) => g.sample(k, batch),
      loss: (p, x, k) =>
        tf.mean(
          dualScoreMatchingLoss(k, model.energy(p as unknown as MlpParams), x, { tMin, tMax, checkFinite: false }),
        ),
      logEvery: 500,
      onStep: (e) => console.log(`d=${d} step ${e.step}/${steps} loss ${e.loss.toFixed(4)}`),
    });
    disposeParams(p0 as unknown as Params);
    const params = res.params as unknown as MlpParams;
    const U = model.energy(params);
    const ne = normalizeEnergy(kn, U, data, { t: tMax, samples: 8192 });
    // NLL error at several t on fresh samples y ~ q_t
    const nll: Record<string, unknown>[] = [];
    for (const t of [0.01, 0.1, 1, 10]) {
      const y = tf.tidy(() => tf.add(g.sample(kt, 4000), tf.mul(normal(ke, [4000, d]), Math.sqrt(t))));
      const lp = logProb(ne.energy, y, { t });
      const exact = g.logProb(y, t);
      const [bias, mae, modelNll, exactNll] = tf
        .tidy(() => {
          const e = tf.sub(lp.nats, exact);
          return [
            tf.div(tf.mean(e), d),
            tf.div(tf.mean(tf.abs(e)), d),
            tf.div(tf.neg(tf.mean(lp.nats)), d),
            tf.div(tf.neg(tf.mean(exact)), d),
          ];
        })
        .map((z) => {
          const val = z.dataSync()[0] as number;
          z.dispose();
          return val;
        }) as [number, number, number, number];
      nll.push({
        t,
        exactNllPerDim: round(exactNll, 4),
        modelNllPerDim: round(modelNll, 4),
        meanErrorPerDim: round(bias, 4),
        meanAbsErrorPerDim: round(mae, 4),
      });
      tf.dispose([y, lp.nats, lp.bitsPerDim, exact]);
    }
    // d_eff by both definitions, model vs exact, on 200 test points
    const deff: Record<string, unknown>[] = [];
    const x = g.sample(key(1000 + d), 200);
    for (const t of [0.01, 0.1, 1, 10]) {
      const m = effectiveDimension(key(2000 + d), { energy: U }, x, t, { samples: 64 });
      const ex = effectiveDimension(key(2000 + d), { energy: g.energy, denoiser: g.denoiser }, x, t, { samples: 64 });
      const avg = (a: tf.Tensor) => tf.tidy(() => tf.mean(a)).dataSync()[0] as number;
      const mad = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.mean(tf.abs(tf.sub(a, b)))).dataSync()[0] as number;
      deff.push({
        t,
        model: {
          fromTime: round(avg(m.fromTime), 3),
          fromDenoising: round(avg(m.fromDenoising), 3),
          meanAbsDiff: round(mad(m.fromTime, m.fromDenoising), 3),
        },
        exact: {
          fromTime: round(avg(ex.fromTime), 3),
          fromDenoising: round(avg(ex.fromDenoising), 3),
          meanAbsDiff: round(mad(ex.fromTime, ex.fromDenoising), 3),
        },
        modelVsExactMeanAbsDiff: round(mad(m.fromDenoising, ex.fromDenoising), 3),
      });
      tf.dispose([m.fromTime, m.fromDenoising, ex.fromTime, ex.fromDenoising]);
    }
    const row = {
      d,
      components: 4,
      trainSteps: steps,
      finalLoss: round(res.history[res.history.length - 1]?.loss ?? Number.NaN, 4),
      logZ: round(ne.logZ, 4),
      logZStdError: round(ne.logZStdError, 5),
      nll,
      deff,
      seconds: secondsSince(ts),
    };
    console.log(JSON.stringify(row));
    results.push(row);
    tf.dispose([data, x]);
    disposeParams(params as unknown as Params);
  }
  await writeSummary(out, {
    id: meta.id,
    source: meta.source,
    model: `U(y,t) = Gaussian(m, (t+v)I) energy + v/(t+v)·mlp[128,128 swish](y/√(t+v), log t/4); ${paramCount(dsmEnergyModel(2, [128, 128], [0, 0], 1).net.init(key(0), [3]) as unknown as Params)} parameters at d = 2`,
    schedule: `log t ~ U[log ${tMin}, log ${tMax}]`,
    batch,
    results,
    seconds: secondsSince(t0),
    backend: backendInfo().name,
    quick,
  });
}
