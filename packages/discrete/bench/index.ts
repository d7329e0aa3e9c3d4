// ESS of the magnetization per f-evaluation on a 100-D (10×10 periodic) Ising lattice, for each sampler,
// reported as a ratio against systematic Gibbs run in the same process. `pnpm --filter @walkjump/discrete bench`.
import * as tf from '@tensorflow/tfjs-core';
import { bernoulli, type Key, key, split, useBackend } from '@walkjump/tensor';
import {
  type DiscreteKernel,
  type DiscreteState,
  dmala,
  dula,
  gibbs,
  gibbsWithGradients,
  isingLattice,
  metropolis,
} from '../src/index.ts';

await useBackend(process.env.WALKJUMP_BACKEND ?? 'auto');
const L = 10;
const d = L * L;
const C = 16;
const model = isingLattice({ L, J: 0.3 });

/** ESS of one scalar trace by Geyer's initial positive sequence of autocorrelations. */
function ess(x: number[]): number {
  const n = x.length;
  const mu = x.reduce((a, b) => a + b, 0) / n;
  const acf = (lag: number) => {
    let s = 0;
    for (let t = 0; t + lag < n; t++) s += (x[t]! - mu) * (x[t + lag]! - mu);
    return s / n;
  };
  const v0 = acf(0);
  if (v0 === 0) return 0;
  let tau = -1;
  for (let k = 0; k + 1 < n / 2; k += 2) {
    const pair = (acf(k) + acf(k + 1)) / v0;
    if (pair <= 0) break;
    tau += 2 * pair;
  }
  return n / Math.max(tau, 1e-9);
}

function run<S extends DiscreteState>(
  name: string,
  kernel: DiscreteKernel<S>,
  steps: number,
  evalsPerStep: number,
  k: Key,
) {
  const [k0, k1] = split(k, 2) as [Key, Key];
  const y0 = tf.tidy(() => tf.sub(tf.mul(bernoulli(k0, 0.5, [C, d]), 2), 1));
  let state = kernel.init(y0);
  y0.dispose();
  const traces: number[][] = Array.from({ length: C }, () => []);
  const burn = Math.floor(steps / 5);
  const t0 = performance.now();
  for (const [t, kk] of split(k1, steps).entries()) {
    const [next, info] = kernel.step(kk, state);
    tf.dispose(state as unknown as tf.TensorContainer);
    tf.dispose(info as unknown as tf.TensorContainer);
    state = next;
    if (t >= burn) {
      const m = tf.tidy(() => tf.mean(state.position, 1).dataSync());
      for (let c = 0; c < C; c++) traces[c]!.push(m[c]!);
    }
  }
  const ms = performance.now() - t0;
  tf.dispose(state as unknown as tf.TensorContainer);
  const essMean = traces.map(ess).reduce((a, b) => a + b, 0) / C;
  const evals = (steps - burn) * evalsPerStep;
  return { name, essPerEval: essMean / evals, msPerStep: ms / steps };
}

const rows = [
  run('gibbs (systematic)', gibbs(model), 100, d, key(1)),
  run('metropolis', metropolis(model), 2000, 1, key(2)),
  run('gibbsWithGradients', gibbsWithGradients(model), 2000, 2, key(3)),
  run('dula α=0.5', dula(model, { stepSize: 0.5 }), 1000, 1, key(4)),
  run('dmala α=0.5', dmala(model, { stepSize: 0.5 }), 1000, 2, key(5)),
];
const ref = rows[0]!.essPerEval;
console.log(`Ising 10×10, J = 0.3, C = ${C} chains; ESS of the magnetization per f or ∇f evaluation on [C, d]`);
for (const r of rows) {
  console.log(
    `${r.name.padEnd(22)} ESS/eval ${r.essPerEval.toExponential(2)}  ratio to Gibbs ${(r.essPerEval / ref).toFixed(2)}  ${r.msPerStep.toFixed(2)} ms/step`,
  );
}
