// 000 Figs. 7–9: Robbins associative memory — the deterministic flow y ← y − η∇E(y) to attractors of
// a DEEN energy trained on MNIST — from test digits (σ = 0.15, Fig. 7; σ = 0.3 > σc, Fig. 8) and
// from uniform noise in [0, 1]^784 (creative modes, σ = 0.3, Fig. 9), with
// @walkjump/empirical-bayes `associativeMemory` / `creativeModes`. Uses the energies trained by
// eb-deen-mnist (cached in $TMPDIR/walkjump-eb/) or trains them (same recipe) when absent.
//
//   pnpm --filter @walkjump/reproductions repro eb-memory-mnist [--quick] [--steps 1500]
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { associativeMemory, creativeModes, deenLoss, gaussianKdeEnergy } from '@walkjump/empirical-bayes';
import { type MlpParams, loadParams, saveParams } from '@walkjump/nets';
import {
  adam,
  backendInfo,
  disposeParams,
  fit,
  key,
  type Key,
  type Params,
  normal,
  permutation,
  split,
  useBackend,
} from '@walkjump/tensor';
import { cachePath, makeNet } from './eb-deen-mnist.ts';
import { cosineLr, numOpt, prepareOut, type ReproArgs, round, secondsSince, writeSummary } from './lib/common.ts';
import { loadMnist, permutedBatches } from './lib/mnist.ts';
import { writeImageGrid } from './lib/png.ts';

export const meta = {
  id: 'eb-memory-mnist',
  title: 'Robbins associative memory and creative modes of a DEEN energy on MNIST',
  source: '000 Figs. 7–9 (Secs. 9–10)',
};

export async function run({ out, quick, argv }: ReproArgs): Promise<void> {
  await useBackend(process.env['WALKJUMP_BACKEND'] ?? 'auto');
  const t0 = performance.now();
  const file = prepareOut(out);
  const width = 512;
  const deenSteps = numOpt(argv, 'flow', quick ? 40 : 400);
  const kdeSteps = numOpt(argv, 'kde-flow', quick ? 10 : 100);
  const train = await loadMnist('train');
  const test = await loadMnist('test');
  const nTrain = train.images.shape[0] as number;
  const trainT = tf.tensor2d(train.images.data, [nTrain, 784]);
  const trainLabels = train.labels?.data as Int32Array;
  const testLabels = test.labels?.data as Int32Array;
  const trainNorms = tf.tidy(() => tf.reshape(tf.sum(tf.square(trainT), 1), [1, nTrain]));
  const useConv = argv.includes('--net') && argv[argv.indexOf('--net') + 1] === 'conv';
  const kind = useConv ? 'conv' : 'mlp';
  const net = makeNet(useConv, width);
  const steps = numOpt(argv, 'steps', quick ? 60 : useConv ? 200 : 1500);
  // nearest training image (index, RMS distance) of each row of a [B, 784] batch
  const nearest = (y: tf.Tensor): { idx: Int32Array; rms: Float32Array } => {
    const [i, dist] = tf.tidy(() => {
      const d2 = tf.add(
        tf.sub(tf.reshape(tf.sum(tf.square(y), 1), [-1, 1]), tf.mul(tf.matMul(y, trainT, false, true), 2)),
        trainNorms,
      );
      return [tf.argMin(d2, 1), tf.sqrt(tf.div(tf.relu(tf.min(d2, 1)), 784))];
    });
    const out = { idx: i.dataSync() as Int32Array, rms: dist.dataSync() as Float32Array };
    tf.dispose([i, dist]);
    return out;
  };
  const mean = (a: ArrayLike<number>): number => Array.from(a).reduce((s, v) => s + v, 0) / a.length;

  const getParams = async (sigma: number, seed: number): Promise<{ params: MlpParams; source: string }> => {
    const like = net.init(key(0));
    if (!quick && existsSync(cachePath(sigma, kind))) {
      const params = await loadParams<MlpParams>(cachePath(sigma, kind), like);
      disposeParams(like as unknown as Params);
      return { params, source: `eb-deen-mnist cache (${cachePath(sigma, kind)})` };
    }
    disposeParams(like as unknown as Params);
    const [kInit, kFit, kPerm] = split(key(seed), 3) as [Key, Key, Key];
    const p0 = net.init(kInit);
    const perm = permutation(kPerm, nTrain);
    const batch = 64;
    const nextBatch = permutedBatches(train.images.data, 784, perm, batch);
    const res = await fit<tf.Tensor>({
      params: p0 as unknown as Params,
      key: kFit,
      steps,
      optimizer: adam({ learningRate: cosineLr(3e-3, steps) }),
      batches: (step) => tf.tensor2d(nextBatch(step), [batch, 784]),
      loss: (p, x, k) =>
        tf.mean(deenLoss(k, (y) => net.apply(p as unknown as MlpParams, y), x, { sigma, checkFinite: false })),
      logEvery: 250,
      onStep: (e) => console.log(`σ=${sigma} step ${e.step}/${steps} loss ${e.loss.toFixed(3)}`),
    });
    disposeParams(p0 as unknown as Params);
    if (!quick) await saveParams(cachePath(sigma, kind), res.params, { sigma: String(sigma), net: net.name });
    return { params: res.params as unknown as MlpParams, source: `trained here (${steps} steps)` };
  };

  const results: Record<string, unknown>[] = [];
  const n = 12;
  const x0 = tf.tensor2d(test.images.data.subarray(0, n * 784), [n, 784]);
  const labelMatch = (idx: Int32Array): string =>
    `${Array.from(idx, (j, i): number => (trainLabels[j] === testLabels[i] ? 1 : 0)).reduce((a, b) => a + b, 0)}/${idx.length}`;
  // the mean over a flow's snapshots of the RMS distance to the nearest training image
  const snapshotsToNearest = (traj: readonly tf.Tensor[], steps: readonly number[]) =>
    traj.map((t, i) => ({ step: steps[i], rms: round(mean(nearest(t).rms), 4) }));
  const summarize = (
    label: string,
    sigma: number,
    energySrc: string,
    eta: number,
    mem: Awaited<ReturnType<typeof associativeMemory>>,
    start: tf.Tensor,
    withLabels: boolean,
  ) => {
    const nnEnd = nearest(mem.y);
    const row: Record<string, unknown> = {
      sigma,
      energy: energySrc,
      from: label,
      stepSize: eta,
      converged: `${mem.converged.filter(Boolean).length}/${mem.converged.length}`,
      medianSteps: [...mem.steps].sort((a, b) => a - b)[mem.steps.length >> 1],
      rmsToNearestTrainingImage: { start: round(mean(nearest(start).rms), 4), end: round(mean(nnEnd.rms), 4) },
      ...(mem.trajectory.length > 0 ? { alongTheFlow: snapshotsToNearest(mem.trajectory, mem.trajectorySteps) } : {}),
      ...(withLabels ? { nearestTrainingLabelEqualsTestLabel: labelMatch(nnEnd.idx) } : {}),
    };
    console.log(JSON.stringify(row));
    results.push(row);
  };
  const grid = async (name: string, rows: readonly tf.Tensor[], cols: number) => {
    const g = tf.tidy(() => tf.concat([...rows], 0));
    await writeImageGrid(file(name), g.dataSync(), g.shape[0] as number, { height: 28, width: 28, cols, scale: 1 });
    g.dispose();
  };
  for (const [s, sigma] of [0.15, 0.3].entries()) {
    // (a) the learned DEEN energy, from noisy cues y0 = x + σε (where DEEN shaped the energy)
    const { params, source } = await getParams(sigma, 200 + s);
    const energy = (y: tf.Tensor) => net.apply(params, y);
    const etaDeen = 0.25 * sigma * sigma;
    const cue = tf.tidy(() => tf.add(x0, normal(key(300 + s), [n, 784], { std: sigma })));
    const memD = await associativeMemory(energy, cue, {
      stepSize: etaDeen,
      maxSteps: deenSteps,
      tol: 1e-5,
      recordEvery: Math.max(1, deenSteps / 4),
    });
    summarize('test digits + N(0, σ²I)', sigma, `DEEN ${net.name}, ${source}`, etaDeen, memD, cue, true);
    await grid(`deen-memory-sigma${sigma}.png`, [x0, ...memD.trajectory], n);
    tf.dispose([memD.y, memD.energy, ...memD.trajectory, cue]);
    // (b) the exact kernel-density energy of the 60 000 training images (closed-form score);
    // η = σ² makes each step the mean-shift update y ← x̂(y)
    const kde = gaussianKdeEnergy(trainT, sigma);
    const memK = await associativeMemory(kde.energy, x0, {
      stepSize: sigma * sigma,
      maxSteps: kdeSteps,
      tol: 1e-4,
      score: kde.score,
    });
    summarize('test digits', sigma, 'exact KDE of the 60 000 training images', sigma * sigma, memK, x0, true);
    await grid(`kde-memory-sigma${sigma}.png`, [x0, memK.y], n);
    tf.dispose([memK.y, memK.energy]);
    if (sigma === 0.3) {
      const nc = 24;
      const cmK = await creativeModes(key(7), kde.energy, {
        count: nc,
        shape: [784],
        stepSize: sigma * sigma,
        maxSteps: kdeSteps,
        tol: 1e-4,
        score: kde.score,
      });
      summarize('Unif([0,1]^784)', sigma, 'exact KDE of the 60 000 training images', sigma * sigma, cmK, cmK.y0, false);
      const cmD = await creativeModes(key(7), energy, {
        count: nc,
        shape: [784],
        stepSize: etaDeen,
        maxSteps: deenSteps,
        tol: 1e-5,
        recordEvery: Math.max(1, deenSteps / 4),
      });
      summarize('Unif([0,1]^784)', sigma, `DEEN ${net.name}, ${source}`, etaDeen, cmD, cmD.y0, false);
      await grid('creative-modes-sigma0.3.png', [cmK.y0, cmK.y, ...cmD.trajectory.slice(1)], nc);
      tf.dispose([cmK.y, cmK.y0, cmK.energy, cmD.y, cmD.y0, cmD.energy, ...cmD.trajectory]);
    }
    kde.dispose();
    disposeParams(params as unknown as Params);
  }
  tf.dispose([x0, trainT, trainNorms]);
  await writeSummary(out, {
    id: meta.id,
    source: meta.source,
    network: net.name,
    flow: `y ← y − η∇E(y); DEEN: η = σ²/4, ${deenSteps} steps at most, tol 1e-5; KDE: η = σ² (mean shift), ${kdeSteps} steps at most, tol 1e-4 (RMS step)`,
    grids:
      'deen-memory-sigma*.png: clean test digit, then snapshots of the DEEN flow from the noisy cue (first: the cue); kde-memory-sigma*.png: test digit / KDE attractor; creative-modes-sigma0.3.png: uniform starts, KDE attractors, DEEN flow snapshots',
    results,
    seconds: secondsSince(t0),
    backend: backendInfo().name,
    quick,
  });
}
