// 000 Figs. 3–4 at CPU scale: DEEN (eq. 3) trained on MNIST at σ = 0.3 (and 0.15, 0.7); single-step
// (Robbins jump, eq. 2) denoising MSE on test images against the plug-in estimator (y itself) and
// the exact kernel-density empirical-Bayes denoiser built on all 60 000 training images
// (@walkjump/empirical-bayes `gaussianKdeEnergy`), with image grids. The energy network is
// @walkjump/nets `mlp` (swish) — nets had no ConvNet energy when this was written.
//
//   pnpm --filter @walkjump/reproductions repro eb-deen-mnist [--quick] [--steps 1500] [--sigmas 0.3,0.15,0.7]
//
// The trained parameters are cached in $TMPDIR/walkjump-eb/ for eb-memory-mnist.
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { deenLoss, gaussianKdeEnergy, tweedieFromEnergy } from '@walkjump/empirical-bayes';
import { convEnergy, type MlpParams, mlp, paramCount, saveParams } from '@walkjump/nets';
import {
  adam,
  backendInfo,
  disposeParams,
  fit,
  key,
  type Key,
  normal,
  type Params,
  permutation,
  split,
  useBackend,
} from '@walkjump/tensor';
import { cosineLr, numOpt, prepareOut, type ReproArgs, round, secondsSince, writeSummary } from './lib/common.ts';
import { loadMnist, permutedBatches } from './lib/mnist.ts';
import { writeImageGrid } from './lib/png.ts';

export const meta = {
  id: 'eb-deen-mnist',
  title: 'DEEN single-step denoising on MNIST vs plug-in and exact KDE empirical Bayes',
  source: '000 Figs. 3–4 (Sec. 7)',
};

export const CACHE = join(tmpdir(), 'walkjump-eb');
export const energyNet = (width: number) => mlp({ widths: [width, width], activation: 'swish', zeroLastLayer: true });
export const cachePath = (sigma: number, kind: 'mlp' | 'conv' = 'mlp'): string =>
  join(CACHE, `deen-mnist-${kind === 'conv' ? 'conv-' : ''}sigma${sigma}.safetensors`);

/** An MNIST energy on flat images [B, 784]: `mlp[width, width]`, or `convEnergy[16, 32/2, 128]` with --net conv. */
export function makeNet(useConv: boolean, width: number) {
  // convEnergy works on NHWC 28×28×1: the paper's architecture family (000 Sec. 7)
  const conv = convEnergy({ channels: [16, 32], hidden: 128, zeroLastLayer: true });
  const mlpNet = energyNet(width);
  return useConv
    ? {
        name: conv.name,
        init: (k: Key) => conv.init(k, [28, 28, 1]) as unknown as MlpParams,
        apply: (p: MlpParams, y: tf.Tensor) =>
          conv.apply(
            p as unknown as Parameters<typeof conv.apply>[0],
            tf.reshape(y, [y.shape[0] as number, 28, 28, 1]),
          ),
      }
    : {
        name: mlpNet.name,
        init: (k: Key) => mlpNet.init(k, [784]),
        apply: (p: MlpParams, y: tf.Tensor) => mlpNet.apply(p, y),
      };
}

export async function run({ out, quick, argv }: ReproArgs): Promise<void> {
  await useBackend(process.env['WALKJUMP_BACKEND'] ?? 'auto');
  const t0 = performance.now();
  const file = prepareOut(out);
  const si = argv.indexOf('--sigmas');
  const sigmas = si >= 0 && argv[si + 1] ? (argv[si + 1] as string).split(',').map(Number) : [0.3, 0.15, 0.7];
  const steps = numOpt(argv, 'steps', quick ? 60 : 1500);
  const batch = numOpt(argv, 'batch', 64);
  const width = numOpt(argv, 'width', 512);
  const nEval = numOpt(argv, 'eval', quick ? 100 : 500);
  const train = await loadMnist('train');
  const test = await loadMnist('test');
  const nTrain = train.images.shape[0] as number;
  const trainT = tf.tensor2d(train.images.data, [nTrain, 784]);
  const xTest = tf.tensor2d(test.images.data.subarray(0, nEval * 784), [nEval, 784]);
  const useConv = argv.includes('--net') && argv[argv.indexOf('--net') + 1] === 'conv';
  const net = makeNet(useConv, width);
  mkdirSync(CACHE, { recursive: true });
  const results: Record<string, unknown>[] = [];
  for (const [si2, sigma] of sigmas.entries()) {
    const ts = performance.now();
    const [kInit, kFit, kPerm, kNoise] = split(key(100 + si2), 4) as [Key, Key, Key, Key];
    const p0 = net.init(kInit);
    const perm = permutation(kPerm, nTrain);
    const nextBatch = permutedBatches(train.images.data, 784, perm, batch);
    const lr0 = numOpt(argv, 'lr', 3e-3);
    const res = await fit<tf.Tensor>({
      params: p0 as unknown as Params,
      key: kFit,
      steps,
      optimizer: adam({ learningRate: cosineLr(lr0, steps) }),
      batches: (step) => tf.tensor2d(nextBatch(step), [batch, 784]),
      loss: (p, x, k) =>
        tf.mean(deenLoss(k, (y) => net.apply(p as unknown as MlpParams, y), x, { sigma, checkFinite: false })),
      logEvery: 100,
      onStep: (e) =>
        console.log(
          `σ=${sigma} step ${e.step}/${steps} loss ${e.loss.toFixed(3)} ${e.stepsPerSecond.toFixed(1)} steps/s`,
        ),
    });
    disposeParams(p0 as unknown as Params);
    const params = res.params as unknown as MlpParams;
    const trainSeconds = secondsSince(ts);
    await saveParams(cachePath(sigma, useConv ? 'conv' : 'mlp'), params as unknown as Params, {
      sigma: String(sigma),
      net: net.name,
    });
    // evaluation on the first nEval test images, one fixed noise draw
    const y = tf.tidy(() => tf.add(xTest, normal(kNoise, [nEval, 784], { std: sigma })));
    const jump = tweedieFromEnergy((v) => net.apply(params, v), sigma);
    const xDeen = tf.tidy(() =>
      tf.concat(
        Array.from({ length: Math.ceil(nEval / 100) }, (_, b) =>
          jump(tf.slice(y, [b * 100, 0], [Math.min(100, nEval - b * 100), 784])),
        ),
        0,
      ),
    );
    const tk = performance.now();
    const kde = gaussianKdeEnergy(trainT, sigma);
    const xKde = kde.denoiser(y);
    kde.dispose();
    const kdeSeconds = secondsSince(tk);
    const mse = (a: tf.Tensor): number => {
      const m = tf.tidy(() => tf.mean(tf.square(tf.sub(a, xTest))));
      const v = m.dataSync()[0] as number;
      m.dispose();
      return v;
    };
    const row = {
      sigma,
      trainSteps: steps,
      finalLoss: round(res.history[res.history.length - 1]?.loss ?? Number.NaN, 3),
      trainSeconds,
      msePerPixel: { plugIn: round(mse(y), 5), deen: round(mse(xDeen), 5), kdeTrainingSet: round(mse(xKde), 5) },
      kdeSeconds,
    };
    console.log(JSON.stringify(row));
    results.push(row);
    // grid: clean / noisy / DEEN jump / KDE jump, 12 test digits each
    const n = 12;
    const rows = tf.tidy(() =>
      tf.concat(
        [xTest, y, xDeen, xKde].map((t) => tf.slice(t, [0, 0], [n, 784])),
        0,
      ),
    );
    await writeImageGrid(file(`denoise-sigma${sigma}.png`), rows.dataSync(), 4 * n, {
      height: 28,
      width: 28,
      cols: n,
      scale: 1,
    });
    tf.dispose([y, xDeen, xKde, rows]);
    disposeParams(params as unknown as Params);
    if (!quick && secondsSince(t0) > 420 && si2 < sigmas.length - 1) {
      console.log(`stopping after σ = ${sigma}: the 10-minute budget would be exceeded`);
      break;
    }
  }
  tf.dispose([trainT, xTest]);
  await writeSummary(out, {
    id: meta.id,
    source: meta.source,
    network: `${net.name}, ${paramCount(net.init(key(0)) as unknown as Params)} parameters`,
    batch,
    evalImages: `first ${nEval} MNIST test images; KDE centres: all ${nTrain} training images`,
    results,
    seconds: secondsSince(t0),
    backend: backendInfo().name,
    quick,
  });
}
