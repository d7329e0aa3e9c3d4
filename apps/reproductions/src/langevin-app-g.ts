// 001 App. G (G.3–G.4) at CPU scale: an MDAE σ⊗M = 1⊗4 model on MNIST (the MDAE loss of
// @walkjump/empirical-bayes, eq. 19, with an MLP ν: R^{4·784} → R^{4·784} from @walkjump/nets), then one
// long walk-jump chain per algorithm — Algorithm 1 (Sachs et al., δ = 1, γ = 1/4, u = 1, the paper's
// G.3 setting) and Algorithm 2 (Cheng et al., δ = 1/2, γ = 1/2, u = 1, Fig. 7's setting) — run with
// @walkjump/langevin's lifelongChain from the Remark 4 initialization. Jumps x̂(y) = ⟨ν_m(y)⟩ every
// Δk steps are written as PNG strips and classified by @walkjump/nets' bundled MNIST classifier:
// class histogram, classes visited, first-visit times.
//
//   pnpm --filter @walkjump/reproductions repro langevin-app-g [--quick] [--steps 20000] [--train 800] [--every 50] [--strip 200] [--width 256] [--batch 32]
import * as tf from '@tensorflow/tfjs-core';
import { mdaeLoss, mdaeScore } from '@walkjump/empirical-bayes';
import { chengUnderdamped, initUniformPlusNoise, lifelongChain, sachsUnderdamped } from '@walkjump/langevin';
import { loadMnistClassifier, loadParams, type MlpParams, mlp, paramCount, saveParams } from '@walkjump/nets';
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
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cosineLr, numOpt, prepareOut, type ReproArgs, round, secondsSince, writeSummary } from './lib/common.ts';
import { loadMnist, permutedBatches } from './lib/mnist.ts';
import { writeImageGrid } from './lib/png.ts';

export const meta = {
  id: 'langevin-app-g',
  title: 'Long walk-jump chains on an MDAE 1⊗4 MNIST model with Algorithms 1 and 2',
  source: '001 App. G (G.3, G.4), Algorithms 1–2',
};

export async function run({ out, quick, argv }: ReproArgs): Promise<void> {
  await useBackend(process.env['WALKJUMP_BACKEND'] ?? 'auto');
  const t0 = performance.now();
  const file = prepareOut(out);
  const sigma = 1;
  const M = 4;
  const d = 784;
  const trainSteps = numOpt(argv, 'train', quick ? 40 : 800);
  const chainSteps = numOpt(argv, 'steps', quick ? 2000 : 20_000);
  const every = numOpt(argv, 'every', 50); // classification / histogram resolution
  const stripEvery = numOpt(argv, 'strip', quick ? 100 : 200); // Δk of the PNG strips
  const width = numOpt(argv, 'width', 256);
  const batch = numOpt(argv, 'batch', 32);

  const train = await loadMnist('train');
  const nTrain = train.images.shape[0] as number;

  // --- MDAE 1⊗4: ν(y) [B, 4, 784] by an MLP on the flattened measurements (eq. 18–20)
  const net = mlp({ widths: [width, width], outDim: M * d, activation: 'swish' });
  // ν = sigmoid(MLP(y)): the denoiser's output lives in the pixel range [0, 1], so the MDAE score
  // g = (ν(y) − y)/σ² is confining far from the data (an MLP ν without it let the chains escape)
  const nu = (p: MlpParams) => (y: tf.Tensor) =>
    tf.tidy(() => tf.sigmoid(tf.reshape(net.apply(p, y), [y.shape[0]!, M, d])));
  const [kInit, kFit, kPerm, kChain] = split(key(2022), 4) as [Key, Key, Key, Key];
  const cacheDir = join(tmpdir(), 'walkjump-langevin');
  const cache = join(cacheDir, `app-g-mdae-sigmoid-w${width}-b${batch}-s${trainSteps}.safetensors`);
  const p0 = net.init(kInit, [M, d]);
  let params: MlpParams;
  let trainSeconds = 0;
  let finalLoss = Number.NaN;
  if (!quick && !argv.includes('--retrain') && existsSync(cache)) {
    params = (await loadParams(cache, p0 as unknown as Params)) as unknown as MlpParams;
    disposeParams(p0 as unknown as Params);
    console.log(`loaded the trained model from ${cache}`);
  } else {
    const perm = permutation(kPerm, nTrain);
    const nextBatch = permutedBatches(train.images.data, d, perm, batch);
    const tt = performance.now();
    const res = await fit<tf.Tensor>({
      params: p0 as unknown as Params,
      key: kFit,
      steps: trainSteps,
      optimizer: adam({ learningRate: cosineLr(1e-3, trainSteps, 0.1) }),
      batches: (step) => tf.tensor2d(nextBatch(step), [batch, d]),
      loss: (p, x, k) => tf.mean(mdaeLoss(k, nu(p as unknown as MlpParams), x, { sigma, M, checkFinite: false })),
      logEvery: 100,
      onStep: (e) =>
        console.log(`train ${e.step}/${trainSteps} loss ${e.loss.toFixed(3)} ${e.stepsPerSecond.toFixed(1)} steps/s`),
    });
    disposeParams(p0 as unknown as Params);
    params = res.params as unknown as MlpParams;
    trainSeconds = secondsSince(tt);
    finalLoss = res.history[res.history.length - 1]?.loss ?? Number.NaN;
    mkdirSync(cacheDir, { recursive: true });
    await saveParams(cache, params as unknown as Params, {
      finalLoss: String(finalLoss),
      trainSeconds: String(trainSeconds),
    });
  }
  const score = mdaeScore(nu(params), sigma, M);
  const jump = (y: tf.Tensor) => tf.tidy(() => tf.mean(nu(params)(y), 1)); // x̂ = ⟨ν_m(y)⟩ (Alg. 1 line 14)

  const clf = await loadMnistClassifier();
  const chains: Record<string, unknown>[] = [];
  const triple = (name: string, fallback: [number, number, number]): [number, number, number] => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && argv[i + 1] !== undefined
      ? (argv[i + 1]!.split(',').map(Number) as [number, number, number])
      : fallback;
  };
  // the paper's settings (G.3: A1 with δ = 1, γ = 1/4, u = 1; Fig. 7: A2 with δ = 1/2, γ = 1/2, u = 1)
  const settings: { label: string; alg: 1 | 2; p: [number, number, number] }[] = [
    { label: 'paper', alg: 1, p: triple('a1', [1, 0.25, 1]) },
    { label: 'paper', alg: 2, p: triple('a2', [0.5, 0.5, 1]) },
  ];
  const algorithms = settings.map(({ label, alg, p: [delta, gamma, u] }) => ({
    name: `Algorithm ${alg} (${alg === 1 ? 'Sachs' : 'Cheng'}), ${label} setting`,
    id: `alg${alg}-${label}`,
    kernel:
      alg === 1
        ? sachsUnderdamped({ score }, { stepSize: delta, friction: gamma, inverseMass: u })
        : chengUnderdamped({ score }, { stepSize: delta, friction: gamma, inverseMass: u }),
    params: { delta, gamma, u },
  }));
  for (const [ai, alg] of algorithms.entries()) {
    const tc = performance.now();
    const init = initUniformPlusNoise(foldKey(kChain, ai), [1, M, d], { sigma }); // Remark 4
    const jumps: Float32Array[] = [];
    const steps: number[] = [];
    const result = await lifelongChain({
      kernel: alg.kernel,
      key: foldKey(kChain, 10 + ai),
      init,
      steps: chainSteps,
      every,
      jump,
      check: { every: 1000, maxAbs: 1e3, onDivergence: 'stop' },
      onSample: async (e) => {
        jumps.push(Float32Array.from((await e.jump!.data()) as Float32Array));
        steps.push(e.step);
        if (e.step % 10_000 === 0) console.log(`${alg.name}: step ${e.step}, ${secondsSince(tc)} s`);
      },
    });
    init.dispose();
    tf.dispose(result.state as unknown as tf.TensorContainer);
    const chainSeconds = secondsSince(tc);
    // classify the jumps
    const n = jumps.length;
    const all = new Float32Array(n * d);
    for (const [i, j] of jumps.entries()) all.set(j, i * d);
    const labels: number[] = [];
    for (let b = 0; b < n; b += 500) {
      const m = Math.min(500, n - b);
      const c = tf.tidy(() =>
        clf.classify(tf.clipByValue(tf.tensor2d(all.subarray(b * d, (b + m) * d), [m, d]), 0, 1)),
      );
      labels.push(...Array.from(c.dataSync()));
      c.dispose();
    }
    const histogram = Array(10).fill(0) as number[];
    const firstVisit: (number | null)[] = Array(10).fill(null);
    for (const [i, l] of labels.entries()) {
      histogram[l]! += 1;
      if (firstVisit[l] === null) firstVisit[l] = steps[i]!;
    }
    // jump strips every Δk = stripEvery steps: the first 200 as one grid, and the whole chain sub-sampled
    const stride = Math.max(1, Math.round(stripEvery / every));
    const picked: number[] = [];
    for (let i = stride - 1; i < n; i += stride) picked.push(i);
    const grid = (idx: number[]) => {
      const v = new Float32Array(idx.length * d);
      for (const [k, i] of idx.entries()) v.set(all.subarray(i * d, (i + 1) * d), k * d);
      return v;
    };
    const first = picked.slice(0, 200);
    await writeImageGrid(file(`${alg.id}-strip-dk${stripEvery}.png`), grid(first), first.length, {
      height: 28,
      width: 28,
      cols: 20,
      scale: 1,
    });
    const whole = picked.filter((_, k) => k % Math.max(1, Math.ceil(picked.length / 200)) === 0);
    await writeImageGrid(file(`${alg.id}-whole-chain.png`), grid(whole), whole.length, {
      height: 28,
      width: 28,
      cols: 20,
      scale: 1,
    });
    chains.push({
      algorithm: alg.name,
      parameters: alg.params,
      steps: result.step,
      status: result.status,
      divergences: result.divergences,
      stepsPerSecond: round(result.stepsPerSecond, 1),
      chainSeconds,
      jumpsClassified: n,
      every,
      classesVisited: firstVisit.filter((v) => v !== null).length,
      histogram,
      firstVisitStep: firstVisit,
      stripDeltaK: stripEvery,
      strips: [`${alg.id}-strip-dk${stripEvery}.png`, `${alg.id}-whole-chain.png`],
      labelsEvery: labels.filter((_, i) => i % Math.max(1, Math.round(1000 / every)) === 0).join(''),
    });
    console.log(JSON.stringify(chains.at(-1)));
  }
  clf.dispose();
  disposeParams(params as unknown as Params);
  await writeSummary(out, {
    id: meta.id,
    backend: backendInfo(),
    quick,
    model: {
      kind: 'MDAE',
      sigma,
      M,
      net: `sigmoid ∘ mlp ${M * d}-${width}-${width}-${M * d} (swish)`,
      parameters: paramCount(params as unknown as Params),
    },
    loss: '@walkjump/empirical-bayes mdaeLoss (eq. 19)',
    training: { steps: trainSteps, batch, finalLoss: round(finalLoss, 3), seconds: trainSeconds },
    init: 'uniform + N(0, σ²) (Remark 4)',
    chains,
    totalSeconds: secondsSince(t0),
  });
}

function foldKey(k: Key, i: number): Key {
  return split(k, i + 1)[i] as Key;
}
