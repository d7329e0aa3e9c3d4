// Benchmarks of @walkjump/tensor: one DEEN training step (forward, double backprop, Adam) at batch
// 128 for an MLP energy and a ConvNet energy on 28×28×1, and a 1024² matmul, each compared with the
// same computation in PyTorch (tooling/reference/bench_deen.py, run in this process's run).
//
//   pnpm --filter @walkjump/tensor bench [--backend wasm|cpu] [--threads 1] [--ref-threads 2] [--json] [--runs 5] [--profile] [--no-reference]
//
// --threads sets the wasm backend's threads; --ref-threads PyTorch's (torch.set_num_threads, default 2).
//
// The models are written with raw tf ops here: @walkjump/tensor may not depend on @walkjump/nets.
// The bench imports ../src directly (tsx): under the source condition tfjs-core's raw ESM gradient
// registrations do not load in plain Node, while ../src resolves them to dist/gradients/stock.js,
// which the bench script builds first.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { cliArgs, rateDetail, runPythonReference } from '@walkjump/testing/bench';
import { backendInfo, inputGrad, useBackend } from '../src/index.ts';

const here = dirname(fileURLToPath(import.meta.url));
const { flag, option } = cliArgs();

const BATCH = 128;
const SIGMA = 0.3;
const backendName = option('backend', 'wasm');
const runs = Math.max(5, Number(option('runs', '5')));
const json = flag('json');
const log = (...a: unknown[]): void => {
  if (!json) console.log(...a);
};

type Params = Record<string, tf.Variable>;
type Energy = (p: Params, y: tf.Tensor) => tf.Tensor;

const swish = (t: tf.Tensor): tf.Tensor => tf.mul(t, tf.sigmoid(t));

/** Glorot-uniform-ish init from a fixed seed, so every backend starts from the same numbers. */
function param(name: string, shape: number[], fanIn: number, seed: number): tf.Variable {
  const lim = Math.sqrt(1 / fanIn);
  return tf.variable(
    tf.tidy(() => tf.randomUniform(shape, -lim, lim, 'float32', seed)),
    true,
    name,
  );
}

function mlp(): { params: Params; energy: Energy; inputShape: number[] } {
  const params: Params = {
    w1: param('w1', [784, 512], 784, 1),
    b1: tf.variable(tf.zeros([512]), true, 'b1'),
    w2: param('w2', [512, 512], 512, 2),
    b2: tf.variable(tf.zeros([512]), true, 'b2'),
    w3: param('w3', [512, 1], 512, 3),
    b3: tf.variable(tf.zeros([1]), true, 'b3'),
  };
  const energy: Energy = (p, y) => {
    const h1 = swish(tf.add(tf.matMul(y as tf.Tensor2D, p.w1 as tf.Tensor2D), p.b1 as tf.Tensor));
    const h2 = swish(tf.add(tf.matMul(h1 as tf.Tensor2D, p.w2 as tf.Tensor2D), p.b2 as tf.Tensor));
    return tf.reshape(tf.add(tf.matMul(h2 as tf.Tensor2D, p.w3 as tf.Tensor2D), p.b3 as tf.Tensor), [-1]);
  };
  return { params, energy, inputShape: [BATCH, 784] };
}

function convnet(): { params: Params; energy: Energy; inputShape: number[] } {
  const params: Params = {
    k1: param('k1', [3, 3, 1, 16], 9, 4),
    c1: tf.variable(tf.zeros([16]), true, 'c1'),
    k2: param('k2', [3, 3, 16, 32], 144, 5),
    c2: tf.variable(tf.zeros([32]), true, 'c2'),
    w: param('w', [14 * 14 * 32, 1], 14 * 14 * 32, 6),
    b: tf.variable(tf.zeros([1]), true, 'b'),
  };
  const energy: Energy = (p, y) => {
    const h1 = swish(tf.add(tf.conv2d(y as tf.Tensor4D, p.k1 as tf.Tensor4D, 1, 'same'), p.c1 as tf.Tensor));
    const h2 = swish(tf.add(tf.conv2d(h1 as tf.Tensor4D, p.k2 as tf.Tensor4D, 2, 'same'), p.c2 as tf.Tensor));
    const flat = tf.reshape(h2, [BATCH, 14 * 14 * 32]);
    return tf.reshape(tf.add(tf.matMul(flat as tf.Tensor2D, p.w as tf.Tensor2D), p.b as tf.Tensor), [-1]);
  };
  return { params, energy, inputShape: [BATCH, 28, 28, 1] };
}

/**
 * One DEEN step (Saremi et al. 2018): y = x + σε, L(θ) = mean_b ‖x − y + σ² ∇_y E_θ(y)‖², its
 * gradient in θ (double backprop) and an Adam update. Returns the loss.
 */
function deenStep(energy: Energy, params: Params, opt: tf.Optimizer, x: tf.Tensor, seed: number): tf.Scalar {
  return tf.tidy(() => {
    const y = tf.add(x, tf.mul(tf.randomNormal(x.shape, 0, 1, 'float32', seed), SIGMA));
    const { value, grads } = tf.variableGrads(() => {
      const g = inputGrad((z) => energy(params, z))(y);
      const r = tf.add(tf.sub(x, y), tf.mul(g, SIGMA * SIGMA));
      return tf.mean(tf.sum(tf.reshape(tf.square(r), [BATCH, -1]), 1)) as tf.Scalar;
    }, Object.values(params));
    opt.applyGradients(grads);
    return value;
  });
}

/** Median rate (per second) over `runs` timed runs of `perRun` calls each, after a warmup. */
const rate = (fn: () => void, targetRunMs = 600) => rateDetail(fn, { runs, targetRunMs });

async function profileStep(name: string, step: () => void): Promise<void> {
  const info = await tf.profile(() => {
    step();
  });
  const byKernel = new Map<string, { ms: number; n: number }>();
  for (const k of info.kernels) {
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    const e = byKernel.get(k.name) ?? { ms: 0, n: 0 };
    e.ms += ms;
    e.n += 1;
    byKernel.set(k.name, e);
  }
  const total = [...byKernel.values()].reduce((s, e) => s + e.ms, 0);
  log(`\nprofile of one ${name} step: ${total.toFixed(1)} ms in kernels`);
  for (const [k, e] of [...byKernel].sort((a, b) => b[1].ms - a[1].ms).slice(0, 14)) {
    log(
      `  ${k.padEnd(24)} ${e.ms.toFixed(1).padStart(8)} ms  ${String(e.n).padStart(4)} calls  ${((100 * e.ms) / total).toFixed(0).padStart(3)}%`,
    );
  }
}

async function benchModel(name: string, make: () => ReturnType<typeof mlp>): Promise<number> {
  const { params, energy, inputShape } = make();
  const opt = tf.train.adam(1e-4);
  const x = tf.tidy(() => tf.randomUniform(inputShape, 0, 1, 'float32', 7));
  let seed = 100;
  const step = (): void => {
    const loss = deenStep(energy, params, opt, x, seed++);
    loss.dataSync();
    loss.dispose();
  };
  const before = tf.memory().numTensors;
  const r = rate(step);
  if (flag('profile')) await profileStep(name, step);
  const leaked = tf.memory().numTensors - before;
  // Adam's moment slots are created on the first step and kept by the optimizer.
  if (leaked > 2 * Object.keys(params).length + 2) throw new Error(`bench ${name}: ${leaked} tensors leaked`);
  opt.dispose();
  x.dispose();
  for (const v of Object.values(params)) v.dispose();
  return r.perSecond;
}

function benchMatmul(): number {
  const n = 1024;
  const a = tf.randomNormal([n, n], 0, 1, 'float32', 1);
  const b = tf.randomNormal([n, n], 0, 1, 'float32', 2);
  const r = rate(() => {
    const c = tf.matMul(a, b);
    c.dataSync();
    c.dispose();
  });
  a.dispose();
  b.dispose();
  return (r.perSecond * 2 * n ** 3) / 1e9;
}

type Reference = {
  mlp_steps_per_s: number;
  conv_steps_per_s: number;
  matmul_gflops: number;
  torch: string;
  threads: number;
};

function runReference(): Reference | string {
  const script = join(here, '../../../tooling/reference/bench_deen.py');
  return runPythonReference<Reference>(script, ['--runs', runs, '--threads', option('ref-threads', '2')], {
    label: 'reference skipped',
  });
}

const info = await useBackend(backendName, {
  threads: Number(option('threads', process.env.WALKJUMP_WASM_THREADS ?? '1')),
});
log(`backend ${info.name} (simd ${info.simd}, threads ${info.threads}); batch ${BATCH}; median of ${runs} runs`);
const results = {
  mlp: await benchModel('MLP 784-512-512-1', mlp),
  conv: await benchModel('ConvNet 16-32s2-dense', convnet),
  matmul: benchMatmul(),
};
const ref = flag('no-reference') ? 'reference skipped: --no-reference' : runReference();

const rows: Array<[string, number, number | undefined, string]> = [
  ['DEEN step, MLP 784-512-512-1', results.mlp, typeof ref === 'string' ? undefined : ref.mlp_steps_per_s, 'steps/s'],
  ['DEEN step, ConvNet 28×28', results.conv, typeof ref === 'string' ? undefined : ref.conv_steps_per_s, 'steps/s'],
  ['matmul 1024²', results.matmul, typeof ref === 'string' ? undefined : ref.matmul_gflops, 'GFLOP/s'],
];
if (json) {
  console.log(
    JSON.stringify({
      backend: backendInfo(),
      batch: BATCH,
      runs,
      walkjump: { mlp_steps_per_s: results.mlp, conv_steps_per_s: results.conv, matmul_gflops: results.matmul },
      reference: typeof ref === 'string' ? null : ref,
      reference_note: typeof ref === 'string' ? ref : undefined,
      ratio:
        typeof ref === 'string'
          ? null
          : {
              mlp: results.mlp / ref.mlp_steps_per_s,
              conv: results.conv / ref.conv_steps_per_s,
              matmul: results.matmul / ref.matmul_gflops,
            },
    }),
  );
} else {
  const refName = typeof ref === 'string' ? 'PyTorch' : `PyTorch ${ref.torch} (${ref.threads} threads)`;
  log(
    `\n${'benchmark'.padEnd(32)} ${`walkjump/${info.name}`.padStart(14)} ${refName.padStart(28)} ${'ratio'.padStart(8)}`,
  );
  for (const [name, ours, theirs, unit] of rows) {
    const r = theirs === undefined ? '—' : (ours / theirs).toFixed(3);
    log(
      `${name.padEnd(32)} ${`${ours.toFixed(2)} ${unit}`.padStart(14)} ${(theirs === undefined ? '—' : `${theirs.toFixed(2)} ${unit}`).padStart(28)} ${r.padStart(8)}`,
    );
  }
  if (typeof ref === 'string') log(`\n${ref}`);
}
