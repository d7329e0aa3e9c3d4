// 003 (Bach & Saremi 2025), slide "Chain of noisy digits / Chain of denoised digits": discrete walk-jump on
// statically binarized MNIST. A binary-flip score model s(y) = α E[x | y] is learned with the cross-entropy
// (logistic) denoising loss; the noisy density q(y) is walked with the two-stage discrete Langevin sampler and
// every walk state is jumped to x̂ = sign(E[x | y]). Outputs: chain strips (noisy and denoised), a class
// histogram of the jumps (by a classifier trained here on thresholded MNIST), and a sweep over η.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { binarizedMnist, mnist } from '@walkjump/datasets';
import {
  binaryDenoiser,
  type DiscreteKernel,
  type DiscreteState,
  discreteLangevin,
  flipNoise,
  twoStageDiscreteLangevin,
} from '@walkjump/discrete';
import { disposeParams, type MlpParams, mlp } from '@walkjump/nets';
import {
  adam,
  disposeOptState,
  fit,
  type Key,
  key,
  logSumExp,
  type Params,
  type ScoreFn,
  softplus,
  split,
  uniform,
  useBackend,
} from '@walkjump/tensor';
import { prepareOut, type ReproArgs, secondsSince, writeSummary } from './lib/common.ts';
import { writeImageGrid } from './lib/png.ts';

export const meta = {
  id: 'discrete-noisy-digits',
  title: 'Binary walk-jump on binarized MNIST: chains of noisy and denoised digits (two-stage discrete Langevin)',
  source: '003 (Bach & Saremi 2025), slide "Chain of noisy digits / Chain of denoised digits"',
};

const here = dirname(fileURLToPath(import.meta.url));
const D = 784;

const flag = (argv: string[], name: string, dflt: number): number => {
  const i = argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(argv[i + 1]) : Number.NaN;
  return Number.isFinite(v) ? v : dflt;
};

/** Row subset of a flat [n, D] Float32Array as a tensor. */
const rows = (data: Float32Array, idx: Int32Array | number[], d: number): tf.Tensor2D => {
  const out = new Float32Array(idx.length * d);
  for (let r = 0; r < idx.length; r++) out.set(data.subarray(idx[r]! * d, (idx[r]! + 1) * d), r * d);
  return tf.tensor2d(out, [idx.length, d]);
};

/** Score-model parameters: an MLP correction plus a per-pixel skip, a(y) = w ∘ y + MLP(y). */
interface ScoreParams {
  readonly net: MlpParams;
  readonly skip: tf.Tensor1D;
  readonly [k: string]: tf.Tensor | Params;
}

export async function run({ out, quick, argv }: ReproArgs): Promise<void> {
  const t0 = performance.now();
  await useBackend(process.env.WALKJUMP_BACKEND ?? 'auto');
  const file = prepareOut(out);
  const dataDir = process.env.WALKJUMP_DATA ?? resolve(here, '..', '..', '..', '..', 'shared', 'data');
  if (!existsSync(join(dataDir, 'binarized-mnist')))
    throw new Error(`discrete-noisy-digits: binarized MNIST not found under ${dataDir} (set WALKJUMP_DATA)`);

  const alpha = flag(argv, 'alpha', 0.5); // flip probability σ(−2α) = 26.9 %
  const eta = flag(argv, 'eta', 0.5);
  const trainSteps = quick ? 60 : flag(argv, 'train-steps', 2000);
  const clsSteps = quick ? 40 : 800;
  const walkSteps = quick ? 40 : flag(argv, 'walk-steps', 2000);
  const width = quick ? 128 : flag(argv, 'width', 512);
  const batch = 128;
  const [kTrain, kInit, kCls, kClsInit, kWalk, kNoise, kSweep] = split(key(2025), 7) as [
    Key,
    Key,
    Key,
    Key,
    Key,
    Key,
    Key,
  ];

  // ---- data: {0,1} → spins {−1, 1}
  const bin = await binarizedMnist({ dir: dataDir, split: 'train', download: false });
  const train = bin.images.data;
  for (let i = 0; i < train.length; i++) train[i] = 2 * train[i]! - 1;
  const nTrain = bin.images.shape[0]!;
  const valid = (await binarizedMnist({ dir: dataDir, split: 'valid', download: false })).images.data;
  for (let i = 0; i < valid.length; i++) valid[i] = 2 * valid[i]! - 1;
  console.log(`binarized MNIST: ${nTrain} train, ${valid.length / D} valid (${secondsSince(t0)} s)`);

  // ---- score model: P(x_i = ±1 | y) = σ(±2 a_i(y)), so E[x_i | y] = tanh a_i(y) and s(y) = α tanh a(y)
  const net = mlp({ widths: [width, width], outDim: D, activation: 'swish', zeroLastLayer: true });
  const init: ScoreParams = { net: net.init(kInit, [D]), skip: tf.fill([D], alpha) as tf.Tensor1D };
  const logits = (p: ScoreParams, y: tf.Tensor): tf.Tensor => tf.add(tf.mul(y, p.skip), net.apply(p.net, y));
  // Cross-entropy (logistic) denoising loss of Bach & Saremi (2025): −Σ_i log σ(2 x_i a_i(y)), y = x ∘ ε.
  // (@walkjump/empirical-bayes had no binary-flip loss when this was written; it is implemented here.)
  const tTrain = performance.now();
  const fitted = await fit<{ x: tf.Tensor; y: tf.Tensor }>({
    params: init as unknown as Params,
    loss: (p, b: { x: tf.Tensor; y: tf.Tensor }) =>
      tf.mean(tf.sum(softplus(tf.mul(tf.mul(b.x, logits(p as unknown as ScoreParams, b.y)), -2)), 1)),
    batches: (_s, k) => {
      const [k1, k2] = split(k, 2) as [Key, Key];
      const u = uniform(k1, [batch]);
      const idx = Int32Array.from(u.dataSync(), (v) => Math.min(nTrain - 1, Math.floor(v * nTrain)));
      u.dispose();
      const x = rows(train, idx, D);
      const y = flipNoise(k2, x, alpha);
      return { x, y };
    },
    optimizer: adam({ learningRate: (s) => (s < 0.7 * trainSteps ? 1e-3 : 2e-4) }),
    steps: trainSteps,
    key: kTrain,
    logEvery: 250,
    onStep: (e) => console.log(`score step ${e.step + 1}: loss ${(e.loss / D).toFixed(4)} nats/pixel`),
  });
  disposeParams(init as unknown as Params);
  disposeOptState(fitted.optState);
  const params = fitted.params as unknown as ScoreParams;
  const trainSeconds = secondsSince(tTrain);
  const score: ScoreFn = (y) => tf.tidy(() => tf.mul(tf.tanh(logits(params, y)), alpha));
  const denoise = binaryDenoiser(score, alpha);

  // ---- denoising quality on the valid split: Hamming error of sign(E[x|y]) vs the flip rate, and held-out loss
  const nVal = quick ? 500 : 5000;
  const den = tf.tidy(() => {
    const x = rows(
      valid,
      Array.from({ length: nVal }, (_, i) => i),
      D,
    );
    const y = flipNoise(kNoise, x, alpha);
    const errNoisy = tf.mean(tf.cast(tf.notEqual(y, x), 'float32'));
    const errDen = tf.mean(tf.cast(tf.notEqual(denoise(y), x), 'float32'));
    const nll = tf.mean(softplus(tf.mul(tf.mul(x, logits(params, y)), -2)));
    return [errNoisy.dataSync()[0]!, errDen.dataSync()[0]!, nll.dataSync()[0]!];
  });
  console.log(
    `valid: flip rate ${den[0]!.toFixed(4)}, denoiser Hamming error ${den[1]!.toFixed(4)}, loss ${den[2]!.toFixed(4)}`,
  );

  // ---- classifier for the class histogram. @walkjump/nets ships no MNIST classifier yet, so train a small
  // MLP here on MNIST thresholded at 0.5 (the binarized-MNIST look), as spins.
  const tCls = performance.now();
  const mn = await mnist({ dir: dataDir, split: 'train', download: false });
  const mnTest = await mnist({ dir: dataDir, split: 'test', download: false });
  const toSpin = (a: Float32Array): Float32Array => Float32Array.from(a, (v) => (v >= 0.5 ? 1 : -1));
  const clsX = toSpin(mn.images.data);
  const clsY = mn.labels!.data;
  const clsNet = mlp({ widths: [256], outDim: 10, activation: 'swish' });
  const clsInit = clsNet.init(kClsInit, [D]);
  const nCls = clsY.length;
  const clsFit = await fit<{ x: tf.Tensor; oh: tf.Tensor }>({
    params: clsInit as unknown as Params,
    loss: (p, b: { x: tf.Tensor; oh: tf.Tensor }) => {
      const z = clsNet.apply(p as unknown as MlpParams, b.x);
      return tf.neg(tf.mean(tf.sum(tf.mul(b.oh, tf.sub(z, logSumExp(z, 1, true))), 1)));
    },
    batches: (_s, k) => {
      const u = uniform(k, [256]);
      const idx = Int32Array.from(u.dataSync(), (v) => Math.min(nCls - 1, Math.floor(v * nCls)));
      u.dispose();
      const lab = Array.from(idx, (i) => clsY[i]!);
      return { x: rows(clsX, idx, D), oh: tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(lab, 'int32'), 10), 'float32')) };
    },
    optimizer: adam({ learningRate: 1e-3 }),
    steps: clsSteps,
    key: kCls,
  });
  disposeParams(clsInit as unknown as Params);
  disposeOptState(clsFit.optState);
  const clsParams = clsFit.params as unknown as MlpParams;
  const classify = (x: tf.Tensor): Int32Array =>
    tf.tidy(() => tf.argMax(clsNet.apply(clsParams, x), 1).dataSync() as Int32Array);
  const testX = toSpin(mnTest.images.data);
  const nTest = quick ? 1000 : 10000;
  const pred = tf.tidy(() =>
    classify(
      rows(
        testX,
        Array.from({ length: nTest }, (_, i) => i),
        D,
      ),
    ),
  );
  let correct = 0;
  for (let i = 0; i < nTest; i++) if (pred[i] === mnTest.labels!.data[i]) correct++;
  const clsAccuracy = correct / nTest;
  // the classifier on binarized-MNIST valid images (no labels there): its class histogram is the reference
  const refHist = new Array<number>(10).fill(0);
  const refPred = tf.tidy(() =>
    classify(
      rows(
        valid,
        Array.from({ length: nVal }, (_, i) => i),
        D,
      ),
    ),
  );
  for (const c of refPred) refHist[c]! += 1 / nVal;
  console.log(`classifier: test accuracy ${(100 * clsAccuracy).toFixed(2)} % (${secondsSince(tCls)} s)`);

  // ---- walk-jump with the two-stage sampler, chains from uniform noise
  const walk = (
    kernel: DiscreteKernel<DiscreteState>,
    k: Key,
    C: number,
    steps: number,
    every: number,
    keepChains: number,
  ) => {
    const [k0, k1] = split(k, 2) as [Key, Key];
    const y0 = tf.tidy(() => tf.sub(tf.mul(tf.cast(tf.less(uniform(k0, [C, D]), 0.5), 'float32'), 2), 1));
    let state = kernel.init(y0);
    y0.dispose();
    const noisySnaps: Float32Array[] = [];
    const denSnaps: Float32Array[] = [];
    const classes: Int32Array[] = [];
    let flips = 0;
    const tw = performance.now();
    const keys = split(k1, steps);
    for (let t = 0; t < steps; t++) {
      const [next, info] = kernel.step(keys[t]!, state);
      tf.dispose(state as unknown as tf.TensorContainer);
      state = next;
      if ((t + 1) % every === 0) {
        flips += tf.tidy(() => tf.mean(info.flips).dataSync()[0]!);
        const x = denoise(state.position);
        classes.push(classify(x));
        noisySnaps.push(tf.tidy(() => tf.slice(state.position, [0, 0], [keepChains, D]).dataSync() as Float32Array));
        denSnaps.push(tf.tidy(() => tf.slice(x, [0, 0], [keepChains, D]).dataSync() as Float32Array));
        x.dispose();
      }
      tf.dispose(info as unknown as tf.TensorContainer);
    }
    const seconds = secondsSince(tw);
    tf.dispose(state as unknown as tf.TensorContainer);
    // class statistics over the second half of the run (burn-in: the first half)
    const hist = new Array<number>(10).fill(0);
    let changes = 0;
    let n = 0;
    const visited = Array.from({ length: C }, () => new Set<number>());
    const half = Math.floor(classes.length / 2);
    for (let s = half; s < classes.length; s++) {
      for (let c = 0; c < C; c++) {
        hist[classes[s]![c]!]! += 1;
        n++;
        visited[c]!.add(classes[s]![c]!);
        if (s > half && classes[s]![c] !== classes[s - 1]![c]) changes++;
      }
    }
    for (let i = 0; i < 10; i++) hist[i]! /= n;
    const tvToRef = 0.5 * hist.reduce((a, h, i) => a + Math.abs(h - refHist[i]!), 0);
    return {
      noisySnaps,
      denSnaps,
      hist,
      tvToRef,
      classChangesPerChainPerSnapshot: changes / (C * Math.max(1, classes.length - half - 1)),
      meanClassesVisited: visited.reduce((a, v) => a + v.size, 0) / C,
      meanFlipsPerStep: flips / classes.length,
      seconds,
      msPerStep: (1000 * seconds) / steps,
    };
  };

  const C = quick ? 16 : 64;
  const every = Math.max(1, Math.floor(walkSteps / 200));
  const main = walk(twoStageDiscreteLangevin(score, { eta }), kWalk, C, walkSteps, every, 8);
  console.log(
    `two-stage η=${eta}: ${main.msPerStep.toFixed(2)} ms/step, flips/step ${main.meanFlipsPerStep.toFixed(1)}, hist ${main.hist.map((h) => h.toFixed(3)).join(' ')}, TV to data ${main.tvToRef.toFixed(3)}`,
  );

  // strips: 8 chains × 12 snapshots spaced evenly over the run
  const nCols = 12;
  const pick = Array.from({ length: nCols }, (_, j) =>
    Math.min(main.noisySnaps.length - 1, Math.round(((j + 1) * main.noisySnaps.length) / nCols) - 1),
  );
  const strip = (snaps: Float32Array[]): Float32Array => {
    const v = new Float32Array(8 * nCols * D);
    for (let c = 0; c < 8; c++)
      for (let j = 0; j < nCols; j++) v.set(snaps[pick[j]!]!.subarray(c * D, (c + 1) * D), (c * nCols + j) * D);
    return v;
  };
  const gridOpts = { height: 28, width: 28, cols: nCols, range: [-1, 1] as [number, number], scale: 2, pad: 1 };
  await writeImageGrid(file('noisy-chains.png'), strip(main.noisySnaps), 8 * nCols, gridOpts);
  await writeImageGrid(file('denoised-chains.png'), strip(main.denSnaps), 8 * nCols, gridOpts);
  // a real-data reference row: valid images, their noisy versions and their denoisings
  const refRow = tf.tidy(() => {
    const x = rows(
      valid,
      Array.from({ length: nCols }, (_, i) => i),
      D,
    );
    const y = flipNoise(kNoise, x, alpha);
    return tf.concat([x, y, denoise(y)]).dataSync() as Float32Array;
  });
  await writeImageGrid(file('denoising-valid.png'), refRow, 3 * nCols, gridOpts);

  // ---- sweep: η for the two-stage sampler and the one-stage discrete Langevin, shorter runs
  const sweepSteps = quick ? 20 : Math.floor(walkSteps * 0.3);
  const sweepEvery = Math.max(1, Math.floor(sweepSteps / 100));
  const sweep: Record<string, unknown>[] = [];
  const sweepKeys = split(kSweep, 8);
  let si = 0;
  for (const e of quick ? [1] : [0.25, 0.5, 1, 2]) {
    for (const [name, kern] of [
      ['twoStage', twoStageDiscreteLangevin(score, { eta: e })],
      ['oneStage', discreteLangevin(score, { eta: e })],
    ] as const) {
      const r = walk(kern as DiscreteKernel<DiscreteState>, sweepKeys[si++ % 8]!, 32, sweepSteps, sweepEvery, 1);
      sweep.push({
        sampler: name,
        eta: e,
        flipsPerStep: +r.meanFlipsPerStep.toFixed(2),
        classTVToData: +r.tvToRef.toFixed(3),
        classChangesPerSnapshot: +r.classChangesPerChainPerSnapshot.toFixed(4),
        classesVisitedPerChain: +r.meanClassesVisited.toFixed(2),
        msPerStep: +r.msPerStep.toFixed(2),
      });
      console.log(JSON.stringify(sweep[sweep.length - 1]));
    }
  }

  disposeParams(fitted.params);
  disposeParams(clsFit.params);
  await writeSummary(out, {
    id: meta.id,
    quick,
    scale: {
      data: `binarized MNIST train (${nTrain}) as spins`,
      scoreModel: `a(y) = w∘y + MLP[784→${width}→${width}→784, swish](y); E[x|y] = tanh a; s = α tanh a`,
      trainSteps,
      batch,
      chains: C,
      walkSteps,
      snapshotEvery: every,
    },
    alpha,
    flipProbability: +(1 / (1 + Math.exp(2 * alpha))).toFixed(4),
    eta,
    denoising: {
      validImages: nVal,
      noisyHammingError: +den[0]!.toFixed(4),
      denoisedHammingError: +den[1]!.toFixed(4),
      heldOutLossNatsPerPixel: +den[2]!.toFixed(4),
    },
    classifier: {
      kind: 'MLP[784→256→10] trained here on MNIST thresholded at 0.5 (no @walkjump/nets classifier available)',
      testAccuracy: +clsAccuracy.toFixed(4),
      steps: clsSteps,
    },
    classHistogramData: refHist.map((h) => +h.toFixed(4)),
    twoStage: {
      classHistogramSamples: main.hist.map((h) => +h.toFixed(4)),
      classTVToData: +main.tvToRef.toFixed(3),
      classChangesPerSnapshot: +main.classChangesPerChainPerSnapshot.toFixed(4),
      classesVisitedPerChain: +main.meanClassesVisited.toFixed(2),
      flipsPerStep: +main.meanFlipsPerStep.toFixed(2),
      msPerStep: +main.msPerStep.toFixed(2),
    },
    sweep,
    seconds: { train: trainSeconds, total: secondsSince(t0) },
    files: ['noisy-chains.png', 'denoised-chains.png', 'denoising-valid.png'],
  });
}
