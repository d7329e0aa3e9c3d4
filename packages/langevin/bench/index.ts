// Benchmarks of @walkjump/langevin: steps/s of ula, mala, sachsUnderdamped and chengUnderdamped at
// 64 chains on (a) an analytic 1000-D Gaussian (score −y) and (b) an MLP energy 784-512-512-1
// (swish, random weights, score by autodiff), each against the same kernels in PyTorch
// (tooling/reference/langevin_bench.py) run in this bench run.
//
//   pnpm --filter @walkjump/langevin bench [--runs 5] [--steps 20] [--ref-threads 2] [--json] [--no-reference]
//
// The MLP is written with raw tf ops here: @walkjump/langevin may not depend on @walkjump/nets.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { cliArgs, runPythonReference } from '@walkjump/testing/bench';
import { backendInfo, foldIn, key, normal, useBackend } from '@walkjump/tensor';
import { chengUnderdamped, type Kernel, type KernelState, mala, sachsUnderdamped, ula } from '../src/index.ts';

const here = dirname(fileURLToPath(import.meta.url));
const { flag, option } = cliArgs();
const runs = Math.max(3, Number(option('runs', '5')));
const steps = Number(option('steps', '20'));
const json = flag('json');
const log = (...a: unknown[]): void => {
  if (!json) console.log(...a);
};
await useBackend(process.env.WALKJUMP_BACKEND ?? 'auto');
const CHAINS = 64;

const swish = (t: tf.Tensor): tf.Tensor => tf.mul(t, tf.sigmoid(t));
function mlpEnergy(): { energy: (y: tf.Tensor) => tf.Tensor; dispose: () => void } {
  const p = tf.tidy(() => ({
    w1: tf.randomUniform([784, 512], -1 / 28, 1 / 28, 'float32', 1),
    b1: tf.zeros([512]),
    w2: tf.randomUniform([512, 512], -1 / Math.sqrt(512), 1 / Math.sqrt(512), 'float32', 2),
    b2: tf.zeros([512]),
    w3: tf.randomUniform([512, 1], -1 / Math.sqrt(512), 1 / Math.sqrt(512), 'float32', 3),
    b3: tf.zeros([1]),
  }));
  const energy = (y: tf.Tensor) =>
    tf.tidy(() => {
      const h1 = swish(tf.add(tf.matMul(y as tf.Tensor2D, p.w1 as tf.Tensor2D), p.b1));
      const h2 = swish(tf.add(tf.matMul(h1 as tf.Tensor2D, p.w2 as tf.Tensor2D), p.b2));
      return tf.reshape(tf.add(tf.matMul(h2 as tf.Tensor2D, p.w3 as tf.Tensor2D), p.b3), [-1]);
    });
  return { energy, dispose: () => tf.dispose(Object.values(p)) };
}

function kernelsFor(target: { energy: (y: tf.Tensor) => tf.Tensor; score?: (y: tf.Tensor) => tf.Tensor }) {
  const t = target.score === undefined ? { energy: target.energy } : { score: target.score };
  const delta = 0.1;
  return {
    ula: ula(t, { stepSize: delta }),
    mala: mala(
      target.score === undefined ? { energy: target.energy } : { energy: target.energy, score: target.score },
      { stepSize: delta },
    ),
    sachsUnderdamped: sachsUnderdamped(t, { stepSize: delta, friction: 1 }),
    chengUnderdamped: chengUnderdamped(t, { stepSize: delta, friction: 1 }),
  } as Record<string, Kernel<KernelState>>;
}

async function rate(k: Kernel<KernelState>, dim: number): Promise<number> {
  const y0 = tf.tidy(() => tf.mul(normal(key(0), [CHAINS, dim]), 0.5));
  let s = k.init(y0);
  y0.dispose();
  let t = 0;
  const advance = async (n: number) => {
    for (let i = 0; i < n; i++) {
      const [next, info] = k.step(foldIn(key(1), t++), s);
      tf.dispose([s as unknown as tf.TensorContainer, info as unknown as tf.TensorContainer]);
      s = next;
    }
    await s.position.data(); // wait for the backend
  };
  await advance(3);
  const rates: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    await advance(steps);
    rates.push(steps / ((performance.now() - t0) / 1000));
  }
  tf.dispose(s as unknown as tf.TensorContainer);
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)]!;
}

function runReference(): Record<string, number> | string {
  const script = join(here, '../../../tooling/reference/langevin_bench.py');
  const out = runPythonReference<{ stepsPerSecond: Record<string, number> }>(
    script,
    ['--runs', runs, '--steps', steps, '--threads', option('ref-threads', '2')],
    { timeoutMs: 900_000 },
  );
  return typeof out === 'string' ? out : out.stepsPerSecond;
}

const results: Record<string, number> = {};
log(`backend ${JSON.stringify(backendInfo())}, ${CHAINS} chains, median of ${runs} runs of ${steps} steps`);
const gauss = {
  energy: (y: tf.Tensor) => tf.tidy(() => tf.mul(0.5, tf.sum(tf.square(y), 1))),
  score: (y: tf.Tensor) => tf.neg(y),
};
for (const [name, k] of Object.entries(kernelsFor(gauss))) results[`gaussian1000/${name}`] = await rate(k, 1000);
const mlp = mlpEnergy();
for (const [name, k] of Object.entries(kernelsFor({ energy: mlp.energy })))
  results[`mlp784/${name}`] = await rate(k, 784);
mlp.dispose();
const ref = flag('no-reference') ? 'reference unavailable: --no-reference' : runReference();
const rows = Object.entries(results).map(([name, sps]) => {
  const r = typeof ref === 'string' ? undefined : ref[name];
  return { name, stepsPerSecond: sps, torchStepsPerSecond: r, ratio: r === undefined ? undefined : sps / r };
});
if (json)
  console.log(
    JSON.stringify({ backend: backendInfo(), chains: CHAINS, rows, reference: typeof ref === 'string' ? ref : 'ok' }),
  );
else {
  if (typeof ref === 'string') log(ref);
  log('| target/kernel | walkjump steps/s | PyTorch steps/s | ratio (walkjump / PyTorch) |');
  log('|---|---|---|---|');
  for (const r of rows)
    log(
      `| ${r.name} | ${r.stepsPerSecond.toFixed(1)} | ${r.torchStepsPerSecond?.toFixed(1) ?? '—'} | ${r.ratio?.toFixed(2) ?? '—'} |`,
    );
}
