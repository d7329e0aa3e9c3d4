// 004 generalization test at CPU scale: two dual-score-matching energies U(y, t) trained on disjoint
// halves of MNIST (training images 0–29 999 and 30 000–59 999), each normalized with
// `normalizeEnergy`; the Pearson and Spearman correlations of their log-probabilities on test images.
//
//   pnpm --filter @walkjump/reproductions repro eb-dsm-mnist-halves [--quick] [--steps 800]
import * as tf from '@tensorflow/tfjs-core';
import { dualScoreMatchingLoss, logProb, normalizeEnergy } from '@walkjump/empirical-bayes';
import type { MlpParams } from '@walkjump/nets';
import {
  adam,
  backendInfo,
  disposeParams,
  fit,
  key,
  type Key,
  type Params,
  permutation,
  split,
  useBackend,
} from '@walkjump/tensor';
import { dsmEnergyModel } from './eb-common.ts';
import { cosineLr, numOpt, prepareOut, type ReproArgs, round, secondsSince, writeSummary } from './lib/common.ts';
import { loadMnist, permutedBatches } from './lib/mnist.ts';

export const meta = {
  id: 'eb-dsm-mnist-halves',
  title: 'Dual score matching on two disjoint MNIST halves: correlation of test log-probabilities',
  source: '004 (generalization: two models on non-overlapping training sets)',
};

const pearson = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i] as number;
    mb += b[i] as number;
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const u = (a[i] as number) - ma;
    const v = (b[i] as number) - mb;
    sab += u * v;
    saa += u * u;
    sbb += v * v;
  }
  return sab / Math.sqrt(saa * sbb);
};
const ranks = (a: ArrayLike<number>): number[] => {
  const idx = Array.from({ length: a.length }, (_, i) => i).sort((i, j) => (a[i] as number) - (a[j] as number));
  const r = new Array<number>(a.length);
  idx.forEach((i, k) => {
    r[i] = k;
  });
  return r;
};

export async function run({ out, quick, argv }: ReproArgs): Promise<void> {
  await useBackend(process.env['WALKJUMP_BACKEND'] ?? 'auto');
  const t0 = performance.now();
  prepareOut(out);
  const steps = numOpt(argv, 'steps', quick ? 40 : 800);
  const nTest = numOpt(argv, 'test', quick ? 200 : 1000);
  const batch = 64;
  const tMin = 1e-3;
  const tMax = 1e3;
  const tEval = 1e-2;
  const train = await loadMnist('train');
  const test = await loadMnist('test');
  const half = 30000;
  const xTest = tf.tensor2d(test.images.data.subarray(0, nTest * 784), [nTest, 784]);
  const models: {
    logp: Float32Array;
    base: Float32Array;
    bpd: number;
    logZ: number;
    logZSe: number;
    loss: number;
    seconds: number;
  }[] = [];
  for (const h of [0, 1]) {
    const ts = performance.now();
    const offset = h * half;
    const data = tf.tensor2d(train.images.data.subarray(offset * 784, (offset + half) * 784), [half, 784]);
    const mean = Array.from(tf.tidy(() => tf.mean(data, 0)).dataSync());
    const v = tf.tidy(() => tf.mean(tf.square(tf.sub(data, tf.mean(data, 0))))).dataSync()[0] as number;
    const model = dsmEnergyModel(784, [256, 256], mean, v);
    const [ki, kf, kp, kn] = split(key(40 + h), 4) as [Key, Key, Key, Key];
    const p0 = model.net.init(ki, [model.inputDim]);
    const perm = permutation(kp, half);
    const nextBatch = permutedBatches(train.images.data, 784, perm, batch, offset);
    const res = await fit<tf.Tensor>({
      params: p0 as unknown as Params,
      key: kf,
      steps,
      optimizer: adam({ learningRate: cosineLr(2e-3, steps) }),
      batches: (step) => tf.tensor2d(nextBatch(step), [batch, 784]),
      loss: (p, x, k) =>
        tf.mean(
          dualScoreMatchingLoss(k, model.energy(p as unknown as MlpParams), x, { tMin, tMax, checkFinite: false }),
        ),
      logEvery: 100,
      onStep: (e) => console.log(`half ${h} step ${e.step}/${steps} loss ${e.loss.toFixed(4)}`),
    });
    disposeParams(p0 as unknown as Params);
    const params = res.params as unknown as MlpParams;
    const ne = normalizeEnergy(kn, model.energy(params), data, { t: tMax, samples: 2048, batchSize: 256 });
    const lp = logProb(ne.energy, xTest, { t: tEval, levels: 256 });
    const bpd = tf.tidy(() => tf.mean(lp.bitsPerDim)).dataSync()[0] as number;
    // the Gaussian part of U alone (log N(x; m, (t + v)I)): what the two halves share trivially
    const base = tf.tidy(() =>
      tf.sub(
        tf.div(tf.sum(tf.square(tf.sub(xTest, tf.tensor1d(mean))), 1), -2 * (tEval + v)),
        392 * Math.log(2 * Math.PI * (tEval + v)),
      ),
    );
    const baseV = base.dataSync() as Float32Array;
    base.dispose();
    models.push({
      logp: lp.nats.dataSync() as Float32Array,
      base: baseV,
      bpd,
      logZ: ne.logZ,
      logZSe: ne.logZStdError,
      loss: res.history[res.history.length - 1]?.loss ?? Number.NaN,
      seconds: secondsSince(ts),
    });
    tf.dispose([data, lp.nats, lp.bitsPerDim]);
    disposeParams(params as unknown as Params);
  }
  xTest.dispose();
  const [a, b] = models as [(typeof models)[0], (typeof models)[0]];
  const summary = {
    id: meta.id,
    source: meta.source,
    model: 'U(y,t) = Gaussian(m, (t+v)I) energy + v/(t+v)·mlp[256,256 swish](y/√(t+v), log t/4), d = 784',
    trainSteps: steps,
    batch,
    schedule: `log t ~ U[log ${tMin}, log ${tMax}]`,
    evaluation: `log p(x, t = ${tEval}) of the first ${nTest} MNIST test images`,
    pearson: round(pearson(a.logp, b.logp), 4),
    spearman: round(pearson(ranks(a.logp), ranks(b.logp)), 4),
    gaussianPartOnly: {
      pearson: round(pearson(a.base, b.base), 4),
      note: 'the Gaussian part of U alone, whose mean and variance the two halves nearly share',
    },
    learnedPart: {
      pearson: round(
        pearson(
          Array.from(a.logp, (u, i) => u - (a.base[i] as number)),
          Array.from(b.logp, (u, i) => u - (b.base[i] as number)),
        ),
        4,
      ),
      note: 'log p minus its Gaussian part: agreement of what the networks learned',
    },
    modelVsGaussianPearson: [round(pearson(a.logp, a.base), 4), round(pearson(b.logp, b.base), 4)],
    models: models.map((m, i) => ({
      half: i,
      finalLoss: round(m.loss, 4),
      logZ: round(m.logZ, 3),
      logZStdError: round(m.logZSe, 4),
      meanBitsPerDim8bit: round(m.bpd, 4),
      meanLogProbNats: round(m.logp.reduce((s, x) => s + x, 0) / m.logp.length, 2),
      seconds: m.seconds,
    })),
    seconds: secondsSince(t0),
    backend: backendInfo().name,
    quick,
  };
  await writeSummary(out, summary);
}
