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
import { binaryDenoisingLoss, binaryScoreFromLogits } from '@walkjump/empirical-bayes';
import {
  binaryDenoiser,
  binaryWalkJump,
  type DiscreteKernel,
  type DiscreteState,
  discreteLangevin,
  flipNoise,
  twoStageDiscreteLangevin,
} from '@walkjump/discrete';
import { disposeParams, loadMnistClassifier, type MlpParams, mlp } from '@walkjump/nets';
import {
  adam,
  disposeOptState,
  fit,
  type Key,
  key,
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
  const walkSteps = quick ? 40 : flag(argv, 'walk-steps', 2000);
  const width = quick ? 128 : flag(argv, 'width', 512);
  const batch = 128;
  const [kTrain, kInit, , , kWalk, kNoise, kSweep] = split(key(2025), 7) as [Key, Key, Key, Key, Key, Key, Key];

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
  // Cross-entropy (logistic) denoising loss of Bach & Saremi (2025), @walkjump/empirical-bayes:
  // Σ_i softplus(−2 x_i a_i(y)) with y = x ∘ ε drawn inside the loss from the step's key.
  const tTrain = performance.now();
  const fitted = await fit<tf.Tensor>({
    params: init as unknown as Params,
    loss: (p, x, k) => tf.mean(binaryDenoisingLoss(k, (y) => logits(p as unknown as ScoreParams, y), x, { alpha })),
    batches: (_s, k) => {
      const u = uniform(k, [batch]);
      const idx = Int32Array.from(u.dataSync(), (v) => Math.min(nTrain - 1, Math.floor(v * nTrain)));
      u.dispose();
      return rows(train, idx, D);
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
  const score: ScoreFn = binaryScoreFromLogits((y) => logits(params, y), alpha);
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

  // ---- classifier for the class histogram: @walkjump/nets' bundled MNIST ConvNet (inputs in [0, 1])
  const tCls = performance.now();
  const clf = await loadMnistClassifier();
  const classify = (x: tf.Tensor): Int32Array =>
    tf.tidy(() => clf.classify(tf.div(tf.add(x, 1), 2)).dataSync() as Int32Array);
  const mnTest = await mnist({ dir: dataDir, split: 'test', download: false });
  const nTest = quick ? 1000 : 10000;
  // accuracy on MNIST test digits binarized at 0.5 (binarized MNIST itself has no labels)
  const testX = Float32Array.from(mnTest.images.data.subarray(0, nTest * D), (v) => (v >= 0.5 ? 1 : -1));
  let correct = 0;
  for (let s0 = 0; s0 < nTest; s0 += 1000) {
    const n = Math.min(1000, nTest - s0);
    const pred = tf.tidy(() =>
      classify(
        rows(
          testX,
          Array.from({ length: n }, (_, i) => s0 + i),
          D,
        ),
      ),
    );
    for (let i = 0; i < n; i++) if (pred[i] === mnTest.labels!.data[s0 + i]) correct++;
  }
  const clsAccuracy = correct / nTest;
  // the classifier on binarized-MNIST valid images: its class histogram is the reference
  const refHist = new Array<number>(10).fill(0);
  for (let s0 = 0; s0 < nVal; s0 += 1000) {
    const n = Math.min(1000, nVal - s0);
    const refPred = tf.tidy(() =>
      classify(
        rows(
          valid,
          Array.from({ length: n }, (_, i) => s0 + i),
          D,
        ),
      ),
    );
    for (const c of refPred) refHist[c]! += 1 / nVal;
  }
  console.log(`classifier: binarized-test accuracy ${(100 * clsAccuracy).toFixed(2)} % (${secondsSince(tCls)} s)`);

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
    const noisySnaps: Float32Array[] = [];
    const denSnaps: Float32Array[] = [];
    const classes: Int32Array[] = [];
    const tw = performance.now();
    // walk on q with the kernel, jump with sign(E[x|y]) every `every` steps; onSample sees x̂ and y
    const out = binaryWalkJump({
      key: k1,
      kernel,
      score,
      alpha,
      init: y0,
      steps,
      every,
      onSample: (x, _step, y) => {
        classes.push(classify(x));
        noisySnaps.push(tf.tidy(() => tf.slice(y, [0, 0], [keepChains, D]).dataSync() as Float32Array));
        denSnaps.push(tf.tidy(() => tf.slice(x, [0, 0], [keepChains, D]).dataSync() as Float32Array));
      },
    });
    const seconds = secondsSince(tw);
    const flips = out.meanFlips;
    tf.dispose([y0, out.samples, out.noisy]);
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
      meanFlipsPerStep: flips,
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
  clf.dispose();
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
      kind: '@walkjump/nets loadMnistClassifier (bundled ConvNet), inputs (x̂ + 1)/2',
      accuracyOnThresholdedMnistTest: +clsAccuracy.toFixed(4),
      bundledTestAccuracy: clf.metadata.testAccuracy ?? null,
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
