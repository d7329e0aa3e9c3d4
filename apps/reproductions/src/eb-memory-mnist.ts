// 000 Figs. 7–9: Robbins associative memory — the deterministic flow y ← y − η∇E(y) to attractors of
// a DEEN energy trained on MNIST — from test digits (σ = 0.15, Fig. 7; σ = 0.3 > σc, Fig. 8) and
// from uniform noise in [0, 1]^784 (creative modes, σ = 0.3, Fig. 9), with
// @walkjump/empirical-bayes `associativeMemory` / `creativeModes`. Uses the energies trained by
// eb-deen-mnist (cached in $TMPDIR/walkjump-eb/) or trains them (same recipe) when absent.
//
//   pnpm --filter @walkjump/reproductions repro eb-memory-mnist [--quick] [--steps 1500]
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { associativeMemory, creativeModes, deenLoss } from '@walkjump/empirical-bayes';
import { type MlpParams, loadParams, saveParams } from '@walkjump/nets';
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
import { loadMnist, numOpt, round } from './eb-common.ts';
import { cachePath, energyNet } from './eb-deen-mnist.ts';
import { prepareOut, type ReproArgs, secondsSince, writeSummary } from './lib/common.ts';
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
  const steps = numOpt(argv, 'steps', quick ? 60 : 1500);
  const flowSteps = numOpt(argv, 'flow', quick ? 100 : 3000);
  const train = await loadMnist('train');
  const test = await loadMnist('test');
  const nTrain = train.images.shape[0] as number;
  const trainT = tf.tensor2d(train.images.data, [nTrain, 784]);
  const trainLabels = train.labels?.data as Int32Array;
  const testLabels = test.labels?.data as Int32Array;
  const trainNorms = tf.tidy(() => tf.reshape(tf.sum(tf.square(trainT), 1), [1, nTrain]));
  const net = energyNet(width);
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
    const like = net.init(key(0), [784]);
    if (!quick && existsSync(cachePath(sigma))) {
      const params = await loadParams<MlpParams>(cachePath(sigma), like);
      disposeParams(like as unknown as Params);
      return { params, source: `eb-deen-mnist cache (${cachePath(sigma)})` };
    }
    disposeParams(like as unknown as Params);
    const [kInit, kFit, kPerm] = split(key(seed), 3) as [Key, Key, Key];
    const p0 = net.init(kInit, [784]);
    const perm = permutation(kPerm, nTrain);
    const batch = 64;
    const xs = new Float32Array(batch * 784);
    const res = await fit<tf.Tensor>({
      params: p0 as unknown as Params,
      key: kFit,
      steps,
      optimizer: adam({ learningRate: (s) => 3e-3 * (0.05 + 0.95 * 0.5 * (1 + Math.cos((Math.PI * s) / steps))) }),
      batches: (step) => {
        for (let i = 0; i < batch; i++) {
          const j = perm[(step * batch + i) % nTrain] as number;
          xs.set(train.images.data.subarray(j * 784, (j + 1) * 784), i * 784);
        }
        return tf.tensor2d(xs, [batch, 784]);
      },
      loss: (p, x, k) =>
        tf.mean(deenLoss(k, (y) => net.apply(p as unknown as MlpParams, y), x, { sigma, checkFinite: false })),
      logEvery: 250,
      onStep: (e) => console.log(`σ=${sigma} step ${e.step}/${steps} loss ${e.loss.toFixed(3)}`),
    });
    disposeParams(p0 as unknown as Params);
    if (!quick) await saveParams(cachePath(sigma), res.params, { sigma: String(sigma), width: String(width) });
    return { params: res.params as unknown as MlpParams, source: `trained here (${steps} steps)` };
  };

  const results: Record<string, unknown>[] = [];
  const n = 12;
  const x0 = tf.tensor2d(test.images.data.subarray(0, n * 784), [n, 784]);
  for (const [s, sigma] of [0.15, 0.3].entries()) {
    const { params, source } = await getParams(sigma, 200 + s);
    const energy = (y: tf.Tensor) => net.apply(params, y);
    const eta = 0.25 * sigma * sigma;
    const mem = await associativeMemory(energy, x0, {
      stepSize: eta,
      maxSteps: flowSteps,
      tol: 1e-5,
      recordEvery: Math.max(1, Math.floor(flowSteps / 4)),
    });
    const nnStart = nearest(x0);
    const nnEnd = nearest(mem.y);
    const moved = tf.tidy(() => tf.sqrt(tf.div(tf.sum(tf.square(tf.sub(mem.y, x0)), 1), 784))).dataSync();
    const labelKept = Array.from(nnEnd.idx, (j, i): number => (trainLabels[j] === testLabels[i] ? 1 : 0));
    const row: Record<string, unknown> = {
      sigma,
      energy: source,
      from: 'test digits',
      stepSize: eta,
      converged: mem.converged.filter(Boolean).length,
      of: n,
      medianSteps: [...mem.steps].sort((a, b) => a - b)[n >> 1],
      rmsMoved: round(mean(moved), 4),
      rmsToNearestTrainingImage: { start: round(mean(nnStart.rms), 4), attractor: round(mean(nnEnd.rms), 4) },
      nearestTrainingLabelEqualsTestLabel: `${labelKept.reduce((a, b) => a + b, 0)}/${n}`,
    };
    console.log(JSON.stringify(row));
    results.push(row);
    const grid = tf.tidy(() => tf.concat([...mem.trajectory], 0));
    await writeImageGrid(file(`memory-sigma${sigma}.png`), grid.dataSync(), mem.trajectory.length * n, {
      height: 28,
      width: 28,
      cols: n,
      scale: 1,
    });
    tf.dispose([grid, mem.y, mem.energy, ...mem.trajectory]);
    if (sigma === 0.3) {
      const nc = 24;
      const cm = await creativeModes(key(7), energy, {
        count: nc,
        shape: [784],
        stepSize: eta,
        maxSteps: flowSteps,
        tol: 1e-5,
      });
      const nnC = nearest(cm.y);
      const rowC = {
        sigma,
        energy: source,
        from: 'Unif([0,1]^784)',
        stepSize: eta,
        converged: cm.converged.filter(Boolean).length,
        of: nc,
        medianSteps: [...cm.steps].sort((a, b) => a - b)[nc >> 1],
        rmsToNearestTrainingImage: { attractor: round(mean(nnC.rms), 4) },
        pixelRange: (() => {
          const v = cm.y.dataSync();
          let lo = Infinity;
          let hi = -Infinity;
          for (const u of v) {
            lo = Math.min(lo, u);
            hi = Math.max(hi, u);
          }
          return [round(lo, 3), round(hi, 3)];
        })(),
      };
      console.log(JSON.stringify(rowC));
      results.push(rowC);
      const g2 = tf.tidy(() => tf.concat([cm.y0, cm.y], 0));
      await writeImageGrid(file('creative-modes-sigma0.3.png'), g2.dataSync(), 2 * nc, {
        height: 28,
        width: 28,
        cols: nc,
        scale: 1,
      });
      tf.dispose([g2, cm.y, cm.y0, cm.energy, ...cm.trajectory]);
    }
    disposeParams(params as unknown as Params);
  }
  tf.dispose([x0, trainT, trainNorms]);
  await writeSummary(out, {
    id: meta.id,
    source: meta.source,
    network: net.name,
    flow: `y ← y − η∇E(y), η = σ²/4, at most ${flowSteps} steps, stop when RMS step < 1e-5`,
    grids:
      'memory-sigma*.png: rows = flow snapshots from 12 test digits (top: start); creative-modes-sigma0.3.png: top = uniform starts, bottom = attractors',
    results,
    seconds: secondsSince(t0),
    backend: backendInfo().name,
    quick,
  });
}
