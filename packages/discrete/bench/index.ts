// DISCS-style benchmark of the discrete samplers: ESS per second and per energy evaluation on
//   (1) a 100-D Ising model (10×10 periodic lattice, J = 0.3; statistic: magnetization), and
//   (2) an RBM (784 visible, 64 hidden) fitted here to binarized MNIST by PCD (statistic: a fixed random
//       projection uᵀv/√d),
// with C chains batched. Reference measured in the same run: the same samplers written in PyTorch
// (tooling/reference/discrete_bench.py, Debian's /usr/bin/python3), same targets, statistic, chain count and
// multi-chain ESS estimator; "reference unavailable" when Python/torch is missing. Within the run, every sampler's ESS per
// evaluation is also reported as a ratio to systematic-scan Gibbs.
//
//   pnpm --filter @walkjump/discrete bench [-- --quick] [--no-reference] [--backend wasm|cpu]
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs-core';
import { cliArgs, runPythonReference } from '@walkjump/testing/bench';
import { backendInfo, bernoulli, type Key, key, normal, split, uniform, useBackend } from '@walkjump/tensor';
import {
  type DiscreteKernel,
  type DiscreteModel,
  type DiscreteState,
  dmala,
  dula,
  gibbs,
  gibbsWithGradients,
  isingLattice,
  metropolis,
  rbm,
  rbmBlockedGibbs,
  twoStageDiscreteLangevin,
} from '../src/index.ts';

const here = dirname(fileURLToPath(import.meta.url));
const { flag, option } = cliArgs();
const quick = flag('quick');
await useBackend(option('backend', process.env.WALKJUMP_BACKEND ?? 'wasm'));
const C = 32;

/**
 * Multi-chain ESS of a scalar statistic (Stan's estimator, the same code as the PyTorch reference): traces
 * [C, T]; ρ_k = 1 − (W − mean_c acov_c(k)) / var⁺ with W the mean within-chain variance and
 * var⁺ = (T − 1)/T·W + B/T (B/T the variance of the chain means), Geyer's initial positive sequence on
 * ρ_{2k} + ρ_{2k+1}, capped at C·T·log10(C·T). Returns ESS per chain.
 */
function essPerChain(x: Float32Array, C: number, T: number): number {
  const mu = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    let s = 0;
    for (let t = 0; t < T; t++) s += x[c * T + t]!;
    mu[c] = s / T;
  }
  const acov = (k: number): number => {
    let s = 0;
    for (let c = 0; c < C; c++) {
      const o = c * T;
      const m = mu[c]!;
      for (let t = 0; t + k < T; t++) s += (x[o + t]! - m) * (x[o + t + k]! - m);
    }
    return s / (T * C);
  };
  const a0 = acov(0);
  const W = (a0 * T) / (T - 1);
  let muAll = 0;
  for (const m of mu) muAll += m / C;
  let B = 0;
  for (const m of mu) B += (m - muAll) ** 2 / Math.max(1, C - 1);
  const varPlus = ((T - 1) / T) * W + B;
  if (!(varPlus > 0)) return 0;
  const rho = (k: number): number => 1 - (W - acov(k)) / varPlus;
  let tau = -1;
  for (let k = 0; k + 1 < T; k += 2) {
    const pair = rho(k) + rho(k + 1);
    if (pair <= 0) break;
    tau += 2 * pair;
  }
  const N = C * T;
  return Math.min(N / Math.max(tau, 1e-12), N * Math.log10(N)) / C;
}

interface SamplerSpec {
  readonly name: string;
  /** For the PyTorch reference. */
  readonly kind: 'gibbs' | 'metropolis' | 'gwg' | 'dula' | 'dmala' | 'twostage' | 'rbmblock';
  readonly stepSize?: number;
  readonly eta?: number;
  readonly steps: number;
  /** f or ∇f evaluations on [C, d] per step (blocked RBM Gibbs: its two [C, d]×[d, m] products counted as 1). */
  readonly evals: number;
  readonly exact: boolean;
}

/**
 * The six samplers compared on every target (α: the DMALA-tuned step, also DULA's α and the two-stage η;
 * q: the step-count scale), with step counts per sampler and d = the Gibbs sweep's evaluations.
 */
const samplerSpecs = (
  a: number,
  q: number,
  n: { gibbs: number; d: number; metropolis: number; gwg: number; langevin: number },
): SamplerSpec[] => [
  { name: 'gibbs (systematic)', kind: 'gibbs', steps: Math.round(n.gibbs * q), evals: n.d, exact: true },
  { name: 'metropolis', kind: 'metropolis', steps: Math.round(n.metropolis * q), evals: 1, exact: true },
  { name: 'gibbsWithGradients', kind: 'gwg', steps: Math.round(n.gwg * q), evals: 2, exact: true },
  { name: `dula α=${a}`, kind: 'dula', stepSize: a, steps: Math.round(n.langevin * q), evals: 1, exact: false },
  { name: `dmala α=${a}`, kind: 'dmala', stepSize: a, steps: Math.round(n.langevin * q), evals: 2, exact: true },
  { name: `twoStage η=${a}`, kind: 'twostage', eta: a, steps: Math.round(n.langevin * q), evals: 1, exact: false },
];

const makeKernel = (m: DiscreteModel, s: SamplerSpec): DiscreteKernel<DiscreteState> => {
  switch (s.kind) {
    case 'gibbs':
      return gibbs(m) as DiscreteKernel<DiscreteState>;
    case 'metropolis':
      return metropolis(m) as DiscreteKernel<DiscreteState>;
    case 'gwg':
      return gibbsWithGradients(m) as DiscreteKernel<DiscreteState>;
    case 'dula':
      return dula(m, { stepSize: s.stepSize! }) as DiscreteKernel<DiscreteState>;
    case 'dmala':
      return dmala(m, { stepSize: s.stepSize! }) as DiscreteKernel<DiscreteState>;
    case 'twostage':
      return twoStageDiscreteLangevin(m.grad, { eta: s.eta! });
    case 'rbmblock':
      return rbmBlockedGibbs(m as ReturnType<typeof rbm>) as unknown as DiscreteKernel<DiscreteState>;
  }
};

interface Row {
  name: string;
  steps: number;
  evals: number;
  exact: boolean;
  msPerStep: number;
  essPerChain: number;
}

function runSampler(m: DiscreteModel, s: SamplerSpec, stat: (y: tf.Tensor) => tf.Tensor, k: Key): Row {
  const kernel = makeKernel(m, s);
  const [k0, k1] = split(k, 2) as [Key, Key];
  const y0 = tf.tidy(() => tf.sub(tf.mul(bernoulli(k0, 0.5, [C, m.d]), 2), 1));
  let state = kernel.init(y0);
  y0.dispose();
  const burn = Math.floor(s.steps / 5);
  const trace: tf.Tensor[] = [];
  const keys = split(k1, s.steps);
  const t0 = performance.now();
  for (let t = 0; t < s.steps; t++) {
    const [next, info] = kernel.step(keys[t]!, state);
    tf.dispose(state as unknown as tf.TensorContainer);
    tf.dispose(info as unknown as tf.TensorContainer);
    state = next;
    if (t >= burn) trace.push(stat(state.position));
  }
  const all = tf.tidy(() => tf.transpose(tf.stack(trace))); // [C, T]
  const v = all.dataSync();
  const ms = performance.now() - t0;
  tf.dispose([all, ...trace]);
  tf.dispose(state as unknown as tf.TensorContainer);
  const e = essPerChain(v as Float32Array, C, s.steps - burn);
  return { name: s.name, steps: s.steps, evals: s.evals, exact: s.exact, msPerStep: ms / s.steps, essPerChain: e };
}

/**
 * An RBM with ±1 units fitted to binarized MNIST by persistent contrastive divergence (PCD-1, SGD with
 * momentum): ∂/∂W log p = E_data[v tanh(c + Wᵀv)ᵀ] − E_model[v hᵀ], model samples from persistent block-Gibbs
 * chains. Good enough to be a realistic, multimodal 784-D target; not a tuned density model.
 */
function fitRbm(m: number, steps: number): { W: Float32Array; b: Float32Array; c: Float32Array } {
  const dataDir = process.env.WALKJUMP_DATA ?? resolve(here, '..', '..', '..', '..', 'shared', 'data');
  // Read the IDX file directly (a middle package may not depend on @walkjump/datasets): 16-byte header, uint8 0/1.
  const raw = gunzipSync(readFileSync(join(dataDir, 'binarized-mnist', 'train-images-idx3-ubyte.gz')));
  const data = Float32Array.from(raw.subarray(16));
  const n = data.length / 784;
  const X = tf.tidy(() => tf.sub(tf.mul(tf.tensor2d(data, [n, 784]), 2), 1));
  const mean = tf.tidy(() => tf.clipByValue(tf.mean(X, 0), -0.95, 0.95));
  const B = 100;
  const [kw, kc, ks] = split(key(99), 3) as [Key, Key, Key];
  let W = tf.tidy(() => tf.mul(normal(kw, [784, m]), 0.01));
  let b = tf.tidy(() => tf.atanh(mean));
  let c = tf.zeros([m]);
  let vW = tf.zerosLike(W);
  let vb = tf.zerosLike(b);
  let vc = tf.zerosLike(c);
  let chains = tf.tidy(() => tf.sub(tf.mul(bernoulli(kc, 0.5, [B, 784]), 2), 1));
  const lr = 0.01;
  for (const [t, kk] of split(ks, steps).entries()) {
    const next = tf.tidy(() => {
      const [k1, k2, k3] = split(kk, 3) as [Key, Key, Key];
      const idx = tf.cast(tf.floor(tf.mul(uniform(k1, [B]), n - 1)), 'int32');
      const v = tf.gather(X, idx);
      const hData = tf.tanh(tf.add(tf.matMul(v, W), c));
      // one block-Gibbs sweep of the persistent chains
      const ph = tf.sigmoid(tf.mul(tf.add(tf.matMul(chains, W), c), 2));
      const h = tf.sub(tf.mul(tf.cast(tf.less(uniform(k2, ph.shape), ph), 'float32'), 2), 1);
      const pv = tf.sigmoid(tf.mul(tf.add(tf.matMul(h, W, false, true), b), 2));
      const vm = tf.sub(tf.mul(tf.cast(tf.less(uniform(k3, pv.shape), pv), 'float32'), 2), 1);
      const hModel = tf.tanh(tf.add(tf.matMul(vm, W), c));
      const gW = tf.div(tf.sub(tf.matMul(v, hData, true), tf.matMul(vm, hModel, true)), B);
      const gb = tf.sub(tf.mean(v, 0), tf.mean(vm, 0));
      const gc = tf.sub(tf.mean(hData, 0), tf.mean(hModel, 0));
      const nvW = tf.add(tf.mul(vW, 0.9), gW);
      const nvb = tf.add(tf.mul(vb, 0.9), gb);
      const nvc = tf.add(tf.mul(vc, 0.9), gc);
      return [
        tf.add(W, tf.mul(nvW, lr)),
        tf.add(b, tf.mul(nvb, lr)),
        tf.add(c, tf.mul(nvc, lr)),
        nvW,
        nvb,
        nvc,
        vm,
      ] as const;
    });
    tf.dispose([W, b, c, vW, vb, vc, chains]);
    [W, b, c, vW, vb, vc, chains] = next;
    if ((t + 1) % 500 === 0) console.log(`  rbm PCD step ${t + 1}/${steps}`);
  }
  const out = { W: W.dataSync() as Float32Array, b: b.dataSync() as Float32Array, c: c.dataSync() as Float32Array };
  tf.dispose([X, mean, W, b, c, vW, vb, vc, chains]);
  return out;
}

/**
 * DMALA step size for a target: a 100-step pilot (C chains from uniform starts, acceptance averaged over the
 * last 50 steps) over α ∈ {0.1, 0.2, …, 6.4}; returns the α whose acceptance is closest to 0.574 (the
 * acceptance DISCS-style benchmarks tune Langevin-type samplers to). DULA and the two-stage sampler use the
 * same value for α and η.
 */
function tuneStepSize(m: DiscreteModel): { alpha: number; acceptance: number } {
  let best = { alpha: 1, acceptance: Number.NaN, gap: Number.POSITIVE_INFINITY };
  for (const alpha of [0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4]) {
    const kernel = dmala(m, { stepSize: alpha });
    const y0 = tf.tidy(() => tf.sub(tf.mul(bernoulli(key(3), 0.5, [C, m.d]), 2), 1));
    let state = kernel.init(y0);
    y0.dispose();
    let acc = 0;
    for (const [t, k] of split(key(4), 100).entries()) {
      const [next, info] = kernel.step(k, state);
      tf.dispose(state as unknown as tf.TensorContainer);
      state = next;
      if (t >= 50) acc += tf.tidy(() => tf.mean(info.acceptance).dataSync()[0]!) / 50;
      tf.dispose(info as unknown as tf.TensorContainer);
    }
    tf.dispose(state as unknown as tf.TensorContainer);
    const gap = Math.abs(acc - 0.574);
    if (gap < best.gap) best = { alpha, acceptance: acc, gap };
  }
  return { alpha: best.alpha, acceptance: best.acceptance };
}

interface RefOut {
  torch: string;
  threads: number;
  results: { name: string; ms_per_step: number; ess_per_chain: number }[];
}

function runReference(cfg: unknown): RefOut | string {
  if (flag('no-reference')) return 'reference unavailable: --no-reference';
  const script = join(here, '../../../tooling/reference/discrete_bench.py');
  if (!existsSync(script)) return `reference unavailable: ${script} not found`;
  const dir = mkdtempSync(join(tmpdir(), 'discrete-bench-'));
  try {
    const path = join(dir, 'cfg.json');
    writeFileSync(path, JSON.stringify(cfg));
    return runPythonReference<RefOut>(script, [path], { timeoutMs: 1_200_000 });
  } catch (e) {
    return `reference unavailable: ${(e as Error).message}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (x: number): string => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toPrecision(3));

function report(title: string, rows: Row[], ref: RefOut | string): void {
  const gibbsRow = rows.find((r) => r.name.startsWith('gibbs'))!;
  const perEval = (r: Row) => r.essPerChain / ((r.steps - Math.floor(r.steps / 5)) * r.evals);
  console.log(`\n### ${title}\n`);
  if (typeof ref === 'string') console.log(ref);
  else console.log(`reference: PyTorch ${ref.torch}, ${ref.threads} thread(s), same samplers/targets/ESS code`);
  console.log(
    '\n| sampler | exact | steps | evals/step | ESS/chain | ESS per 1k evals | vs Gibbs (per eval) | ms/step | PyTorch ms/step | speed ratio | ESS/s | PyTorch ESS/s |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const essPerSec = (C * r.essPerChain) / ((r.msPerStep * r.steps) / 1000);
    const rr = typeof ref === 'string' ? undefined : ref.results.find((x) => x.name === r.name);
    const refPerSec = rr === undefined ? undefined : (C * rr.ess_per_chain) / ((rr.ms_per_step * r.steps) / 1000);
    const cells = [
      r.name,
      r.exact ? 'yes' : 'no',
      String(r.steps),
      String(r.evals),
      fmt(r.essPerChain),
      fmt(1000 * perEval(r)),
      (perEval(r) / perEval(gibbsRow)).toFixed(2),
      fmt(r.msPerStep),
      rr === undefined ? '—' : fmt(rr.ms_per_step),
      rr === undefined ? '—' : (rr.ms_per_step / r.msPerStep).toFixed(2),
      fmt(essPerSec),
      refPerSec === undefined ? '—' : fmt(refPerSec),
    ];
    console.log(`| ${cells.join(' | ')} |`);
  }
  console.log(
    '\nspeed ratio = PyTorch ms/step ÷ ours (> 1: we are faster); ESS columns are estimates from one run each (noisy for ESS/chain ≲ 10).',
  );
}

const info = backendInfo();
console.log(
  `@walkjump/discrete bench — backend ${info.name}${quick ? ' (quick)' : ''}; C = ${C} chains; multi-chain ESS (Stan's estimator, Geyer's initial positive sequence) after 20 % burn-in; "evals" = f or ∇f evaluations on [C, d] (Gibbs: d per sweep); ESS/s = C·ESS/chain / wall seconds of the whole run`,
);

// (1) 100-D Ising lattice
{
  const L = 10;
  const J = 0.3;
  const model = isingLattice({ L, J });
  const q = quick ? 0.1 : 1;
  const { alpha: a, acceptance } = tuneStepSize(model);
  console.log(`\n(Ising: DMALA pilot picked α = ${a}, acceptance ${acceptance.toFixed(2)})`);
  const specs = samplerSpecs(a, q, { gibbs: 400, d: 100, metropolis: 20000, gwg: 10000, langevin: 5000 });
  const magnet = (y: tf.Tensor) => tf.mean(y, 1);
  const rows = specs.map((s, i) => runSampler(model, s, magnet, key(100 + i)));
  const ref = runReference({ target: { kind: 'lattice', L, J }, C, seed: 1, threads: 1, samplers: specs });
  report(`Ising 10×10 periodic lattice, J = ${J} (d = 100); statistic: magnetization`, rows, ref);
}

// (2) RBM on binarized MNIST
{
  const m = 64;
  const t0 = performance.now();
  const rbmSteps = quick ? 200 : 3000;
  // cached between runs (deterministic in its key and step count)
  const cache = join(tmpdir(), `walkjump-discrete-bench-rbm-${m}-${rbmSteps}.json`);
  const p = existsSync(cache)
    ? (() => {
        const j = JSON.parse(readFileSync(cache, 'utf8')) as { W: number[]; b: number[]; c: number[] };
        return { W: Float32Array.from(j.W), b: Float32Array.from(j.b), c: Float32Array.from(j.c) };
      })()
    : fitRbm(m, rbmSteps);
  if (!existsSync(cache))
    writeFileSync(cache, JSON.stringify({ W: Array.from(p.W), b: Array.from(p.b), c: Array.from(p.c) }));
  console.log(`\n(RBM 784×${m} fitted by PCD-1 in ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  const model = rbm({ W: p.W, b: p.b, c: p.c });
  const q = quick ? 0.1 : 1;
  const { alpha: a, acceptance } = tuneStepSize(model);
  console.log(`(RBM: DMALA pilot picked α = ${a}, acceptance ${acceptance.toFixed(2)})`);
  const specs: SamplerSpec[] = [
    ...samplerSpecs(a, q, { gibbs: 30, d: 784, metropolis: 6000, gwg: 4000, langevin: 3000 }),
    { name: 'rbmBlockedGibbs', kind: 'rbmblock', steps: Math.round(3000 * q), evals: 1, exact: true },
  ];
  const u = normal(key(7), [784, 1]);
  const uData = Array.from(u.dataSync());
  const proj = (y: tf.Tensor) => tf.reshape(tf.div(tf.matMul(y, u), Math.sqrt(784)), [-1]);
  const rows = specs.map((s, i) => runSampler(model, s, proj, key(200 + i)));
  u.dispose();
  const ref = runReference({
    target: { kind: 'rbm', d: 784, m, W: Array.from(p.W), b: Array.from(p.b), c: Array.from(p.c) },
    C,
    seed: 2,
    threads: 1,
    projection: uData,
    // the PyTorch reference has no blocked RBM sampler: its row shows '—'
    samplers: specs.filter((s) => s.kind !== 'rbmblock'),
  });
  report(`RBM 784×${m} fitted to binarized MNIST (d = 784); statistic: random projection uᵀv/√d`, rows, ref);
}
