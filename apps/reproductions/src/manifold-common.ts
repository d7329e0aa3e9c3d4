// Shared pipeline of the 002 (Ross et al. 2023) reproductions: EBIM = MDF (eq. 8) + constrained EBM
// (eq. 10), sampled by constrained Langevin (Algorithm 1) and by our constrained HMC; the pushforward
// EBM baseline (autoencoder + latent EBM, Sec. 4.1) built from @walkjump/nets; grid-W1 (App. B) and
// Table 3's distance-to-manifold statistics. No `meta` export: the runner skips this module.
import * as tf from '@tensorflow/tfjs-core';
import {
  type ConstraintFn,
  ReplayBuffer,
  constrainedEbm,
  constrainedHmc,
  constrainedLangevin,
  disposeConstrainedState,
  ebmLangevin,
  fitMdf,
  nearestPoint,
  projectToManifold,
} from '@walkjump/manifold';
import { emd, gridWasserstein, manifoldDistanceStats } from '@walkjump/metrics';
import { type MlpParams, mlp } from '@walkjump/nets';
import {
  type Key,
  type Params,
  adam,
  applyUpdates,
  clipByGlobalNorm,
  disposeOptState,
  flattenParams,
  foldIn,
  lbfgs,
  split,
  uniform,
  unflattenParams,
} from '@walkjump/tensor';
import { PNG } from 'pngjs';
import { writeFileAtomic } from '@walkjump/tensor';

export type Box = [number, number][];

/** Budgets of one EBIM + PEBM run (CPU scale; the paper's are in App. B.1). */
export interface Budget {
  mdfSteps: number;
  mdfLangevinSteps: number;
  cebmSteps: number;
  cebmLangevinSteps: number;
  aeSteps: number;
  latentEbmSteps: number;
  latentLangevinSteps: number;
  sampleChains: number;
  sampleSteps: number;
  hmcChains: number;
  hmcSteps: number;
}

/**
 * The step budget of the three Table 1 rows (flood, glycine, von Mises; the latter overrides the MDF/CEBM
 * steps): the full CPU-scale runs.
 */
export const TABLE1_BUDGET: Budget = {
  mdfSteps: 1200,
  mdfLangevinSteps: 10,
  cebmSteps: 300,
  cebmLangevinSteps: 10,
  aeSteps: 800,
  latentEbmSteps: 200,
  latentLangevinSteps: 20,
  sampleChains: 1000,
  sampleSteps: 60,
  hmcChains: 500,
  hmcSteps: 10,
};

/** The `--quick` (smoke-test) reduction of a Table 1 budget. */
export const quickBudget = (full: Budget): Budget => ({
  ...full,
  mdfSteps: 30,
  cebmSteps: 5,
  aeSteps: 30,
  latentEbmSteps: 10,
  sampleChains: 200,
  sampleSteps: 5,
  hmcChains: 100,
  hmcSteps: 3,
});

export interface DatasetSpec {
  /** Training data [N, n]. */
  data: tf.Tensor2D;
  /** Ground truth for W1 [M, n] (the data itself for real data sets). */
  truth: tf.Tensor2D;
  /** Intrinsic dimension m (latent size of the PEBM). */
  m: number;
  /** Box for fresh samples and the W1 grid. */
  box: Box;
  /** Cells per axis of the W1 grid (100 in 2-D, 30 in 3-D, App. B). */
  bins: number;
  /** The paper's own evaluation convention (see {@link paperGridW}); omitted: not computed. */
  paperEval?: PaperEval;
  mdf: {
    widths: number[];
    alpha: number;
    beta: number;
    eta: number;
    batchSize: number;
    lr: number;
    negativeRegularization?: number;
  };
  cebm: { widths: number[]; regularization: number; batchSize: number; stepSize: number };
  pebm: { widths: number[]; regularization: number };
}

export function dataBox(x: tf.Tensor2D, pad = 0.1): Box {
  const [N, n] = x.shape;
  const v = x.dataSync();
  const out: Box = [];
  for (let j = 0; j < n; j++) {
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < N; i++) {
      lo = Math.min(lo, v[i * n + j]!);
      hi = Math.max(hi, v[i * n + j]!);
    }
    const w = hi - lo;
    out.push([lo - pad * w, hi + pad * w]);
  }
  return out;
}

function uniformBox(key: Key, m: number, box: Box): tf.Tensor2D {
  return tf.tidy(() => {
    const lo = tf.tensor1d(box.map((b) => b[0]));
    const w = tf.tensor1d(box.map((b) => b[1] - b[0]));
    return tf.add(lo, tf.mul(w, uniform(key, [m, box.length]))) as tf.Tensor2D;
  });
}

const disposeTree = (p: Params): void => {
  tf.dispose(Object.values(flattenParams(p)));
};

export interface EbimModel {
  F: ConstraintFn;
  energy: (x: tf.Tensor) => tf.Tensor;
  mdfParams: Params;
  energyParams: Params;
  /** CEBM training: mean acceptance of the constrained Langevin negatives. */
  cebmAcceptance: number;
  seconds: { mdf: number; cebm: number };
}

/** Trains an EBIM: fitMdf (eq. 8) then constrainedEbm (eq. 10). */
export function trainEbim(key: Key, spec: DatasetSpec, budget: Budget, log: (s: string) => void): EbimModel {
  const [k1, k2, k3, k4] = split(key, 4) as [Key, Key, Key, Key];
  const n = spec.data.shape[1];
  const net = mlp({ widths: spec.mdf.widths, outDim: 1 });
  const p0 = net.init(k1, [n]);
  const Fp = (p: Params, x: tf.Tensor): tf.Tensor => tf.tidy(() => tf.reshape(net.apply(p as MlpParams, x), [-1, 1]));
  let t0 = performance.now();
  const mdf = fitMdf({
    key: k2,
    constraintFn: Fp,
    params: p0,
    data: spec.data,
    steps: budget.mdfSteps,
    batchSize: spec.mdf.batchSize,
    learningRate: spec.mdf.lr,
    alpha: spec.mdf.alpha,
    beta: spec.mdf.beta,
    eta: spec.mdf.eta,
    // The magnitude regularization of App. B.2 bounds the negative term (optimum ‖F(x')‖ = α/2γ);
    // without it the loss diverges after ~800 steps here (−1 665 at step 1 000 on flood).
    negativeRegularization: spec.mdf.negativeRegularization ?? (spec.mdf.alpha > 0 ? 0.1 : 0),
    langevin: { steps: budget.mdfLangevinSteps, stepSize: 10, noise: 0.1, gradClamp: 0.03 },
    bounds: spec.box,
    onStep: (e) => {
      if (e.step % 200 === 0) log(`  mdf step ${e.step} loss ${e.loss.toFixed(4)}`);
    },
  });
  disposeTree(p0);
  const tMdf = (performance.now() - t0) / 1000;
  const mdfParams = mdf.params;
  const F: ConstraintFn = (x) => Fp(mdfParams, x);
  const enet = mlp({ widths: spec.cebm.widths, outDim: 1 });
  const e0 = enet.init(k3, [n]);
  const Ep = (p: Params, x: tf.Tensor): tf.Tensor => enet.apply(p as MlpParams, x);
  t0 = performance.now();
  let acc = 0;
  const cebm = constrainedEbm({
    key: k4,
    constraintFn: F,
    energyFn: Ep,
    params: e0,
    data: spec.data,
    steps: budget.cebmSteps,
    batchSize: spec.cebm.batchSize,
    learningRate: 0.01,
    regularization: spec.cebm.regularization,
    clipNorm: 1,
    sampler: { steps: budget.cebmLangevinSteps, stepSize: spec.cebm.stepSize, gradClamp: 1, tol: 1e-4 },
    bounds: spec.box,
    onStep: (e) => {
      acc += e.acceptanceRate / budget.cebmSteps;
      if (e.step % 50 === 0) log(`  cebm step ${e.step} loss ${e.loss.toFixed(4)} acc ${e.acceptanceRate.toFixed(2)}`);
    },
  });
  disposeTree(e0);
  const energyParams = cebm.params;
  return {
    F,
    energy: (x) => Ep(energyParams, x),
    mdfParams,
    energyParams,
    cebmAcceptance: acc,
    seconds: { mdf: tMdf, cebm: (performance.now() - t0) / 1000 },
  };
}

/** Fresh points on {F = 0}: uniform in the box, projected by Gauss–Newton; non-converged rows dropped. */
export function projectedUniform(key: Key, count: number, F: ConstraintFn, box: Box, tol = 1e-4): tf.Tensor2D {
  const x0 = uniformBox(key, Math.ceil(count * 1.3), box);
  const res = projectToManifold(F, x0, { tol, maxIter: 50 });
  x0.dispose();
  const n = box.length;
  const v = res.position.dataSync();
  res.position.dispose();
  const rows: number[] = [];
  res.rowConverged.forEach((ok, i) => {
    if (!ok || rows.length >= count) return;
    const row = Array.from(v.subarray(i * n, (i + 1) * n));
    // Keep points inside the (padded) box: a projection can run off to a far, spurious component.
    if (row.every((c, j) => c >= box[j]![0] - 0.5 && c <= box[j]![1] + 0.5)) rows.push(i);
  });
  const out = new Float32Array(rows.length * n);
  rows.forEach((i, a) => {
    out.set(v.subarray(i * n, (i + 1) * n), a * n);
  });
  return tf.tensor2d(out, [rows.length, n]);
}

/** Fresh points on {F = 0} near the data: data rows drawn with replacement, projected by Gauss–Newton. */
export function projectedData(key: Key, count: number, F: ConstraintFn, data: tf.Tensor2D, tol = 1e-4): tf.Tensor2D {
  const N = data.shape[0];
  const x0 = tf.tidy(() =>
    tf.gather(
      data,
      tf.tensor1d(
        Array.from(uniform(key, [count]).dataSync(), (u) => Math.min(N - 1, Math.floor(u * N))),
        'int32',
      ),
    ),
  );
  const res = projectToManifold(F, x0, { tol, maxIter: 50 });
  x0.dispose();
  const n = data.shape[1];
  const v = res.position.dataSync();
  res.position.dispose();
  const rows = res.rowConverged.flatMap((ok, i) => (ok ? [i] : []));
  const out = new Float32Array(rows.length * n);
  rows.forEach((i, a) => {
    out.set(v.subarray(i * n, (i + 1) * n), a * n);
  });
  return tf.tensor2d(out, [rows.length, n]);
}

/** Samples the EBIM: chains from projected uniform points, `steps` steps of CLMC or constrained HMC. */
export function sampleEbim(
  key: Key,
  model: EbimModel,
  box: Box,
  chains: number,
  steps: number,
  sampler: 'langevin' | 'hmc',
  stepSize: number,
  startFrom?: tf.Tensor2D,
): { samples: tf.Tensor2D; acceptance: number; failures: number; maxResidual: number } {
  const [k0, k1] = split(key, 2) as [Key, Key];
  const x0 =
    startFrom === undefined
      ? projectedUniform(k0, chains, model.F, box)
      : projectedData(k0, chains, model.F, startFrom);
  const kernel =
    sampler === 'langevin'
      ? constrainedLangevin(model.F, model.energy, { stepSize, tol: 1e-4 })
      : constrainedHmc(model.F, model.energy, { stepSize, numSteps: 5, tol: 1e-4, reversibilityTol: 1e-3 });
  let st = kernel.init(x0);
  x0.dispose();
  let acc = 0;
  let failures = 0;
  let maxResidual = 0;
  for (let t = 0; t < steps; t++) {
    const [next, info] = kernel.step(foldIn(k1, t), st);
    disposeConstrainedState(st);
    st = next;
    acc += info.acceptanceRate / steps;
    failures += info.solverFailed.filter(Boolean).length + info.nonReversible.filter(Boolean).length;
    maxResidual = Math.max(maxResidual, ...info.constraintResidual);
  }
  const samples = tf.clone(st.position);
  disposeConstrainedState(st);
  return { samples, acceptance: acc, failures, maxResidual };
}

/** Table 3 (EBIM): ‖x* − x‖ with x* the nearest point of {F = 0} (first-order conditions). */
export function ebimDistances(F: ConstraintFn, data: tf.Tensor2D): { distances: number[]; notConverged: number } {
  const res = nearestPoint(F, data, { lambda: 100, tol: 1e-5, maxIter: 100 });
  const d = tf.tidy(() => Array.from(tf.norm(tf.sub(res.position, data), 2, 1).dataSync()));
  res.position.dispose();
  return {
    distances: d.filter((_, i) => res.rowConverged[i]),
    notConverged: res.rowConverged.filter((ok) => !ok).length,
  };
}

export interface PebmModel {
  encode: (x: tf.Tensor) => tf.Tensor;
  decode: (z: tf.Tensor) => tf.Tensor;
  energy: (z: tf.Tensor) => tf.Tensor;
  latentBox: Box;
  buffer: ReplayBuffer;
  params: Params[];
  seconds: { ae: number; ebm: number };
}

/** A plain Adam loop with gradient clipping over a params tree. */
function adamLoop(
  params: Params,
  steps: number,
  lr: number,
  clip: number,
  loss: (p: Params, step: number) => tf.Scalar,
  log?: (step: number, l: number) => void,
  before?: (p: Params, step: number) => void,
): Params {
  const opt = adam({ learningRate: lr });
  let state = opt.init(params);
  let p = params;
  for (let s = 0; s < steps; s++) {
    before?.(p, s);
    const flat = flattenParams(p);
    const names = Object.keys(flat);
    const cur = p;
    const { value, grads } = tf.tidy(() =>
      tf.valueAndGrads((...ls: tf.Tensor[]) =>
        loss(unflattenParams(cur, Object.fromEntries(names.map((nm, i) => [nm, ls[i]!]))), s),
      )(names.map((nm) => flat[nm]!)),
    );
    const g = unflattenParams(p, Object.fromEntries(names.map((nm, i) => [nm, grads[i]!])));
    const c = clipByGlobalNorm(g, clip);
    tf.dispose(grads);
    c.norm.dispose();
    const { updates, state: ns } = opt.update(c.grads, state, p);
    const next = applyUpdates(p, updates);
    disposeTree(c.grads);
    disposeTree(updates);
    disposeOptState(state);
    if (p !== params) disposeTree(p);
    p = next;
    state = ns;
    if (log) log(s, value.dataSync()[0]!);
    value.dispose();
  }
  disposeOptState(state);
  return p;
}

/** Pushforward EBM (Sec. 4.1): autoencoder (MSE, lr 1e-3, clip 1) + latent EBM by CD with buffered Langevin. */
export function trainPebm(key: Key, spec: DatasetSpec, budget: Budget, log: (s: string) => void): PebmModel {
  const [k1, k2, k3, k4, k5] = split(key, 5) as [Key, Key, Key, Key, Key];
  const [N, n] = spec.data.shape;
  const m = spec.m;
  const enc = mlp({ widths: spec.pebm.widths, outDim: m });
  const dec = mlp({ widths: spec.pebm.widths, outDim: n });
  const shapeOut = (t: tf.Tensor, d: number): tf.Tensor => (d === 1 ? tf.reshape(t, [-1, 1]) : t);
  const ae0: Params = { enc: enc.init(k1, [n]), dec: dec.init(k2, [m]) };
  const batchIdx = (kk: Key, B: number): tf.Tensor1D =>
    tf.tidy(() =>
      tf.tensor1d(
        Array.from(uniform(kk, [B]).dataSync(), (u) => Math.min(N - 1, Math.floor(u * N))),
        'int32',
      ),
    );
  let t0 = performance.now();
  const ae = adamLoop(ae0, budget.aeSteps, 1e-3, 1, (p, s) =>
    tf.tidy(() => {
      const q = p as { enc: MlpParams; dec: MlpParams };
      const x = tf.gather(spec.data, batchIdx(foldIn(k3, s), 100));
      const z = shapeOut(enc.apply(q.enc, x), m);
      const xr = dec.apply(q.dec, z);
      return tf.mean(tf.sum(tf.square(tf.sub(xr, x)), 1)) as tf.Scalar;
    }),
  );
  disposeTree(ae0);
  const tAe = (performance.now() - t0) / 1000;
  const aeq = ae as { enc: MlpParams; dec: MlpParams };
  const encode = (x: tf.Tensor): tf.Tensor => tf.tidy(() => shapeOut(enc.apply(aeq.enc, x), m));
  const decode = (z: tf.Tensor): tf.Tensor => dec.apply(aeq.dec, z);
  const zData = encode(spec.data) as tf.Tensor2D;
  const latentBox = dataBox(zData, 0.1);
  const latentWidth = Math.max(...latentBox.map((b) => b[1] - b[0]));
  const enet = mlp({ widths: spec.pebm.widths, outDim: 1 });
  const e0 = enet.init(k4, [m]);
  const buffer = new ReplayBuffer(m, { capacity: 1000, reuse: 0.95 });
  const clampToBox = (z: tf.Tensor): tf.Tensor =>
    tf.tidy(() => tf.clipByValue(z, Math.min(...latentBox.map((b) => b[0])), Math.max(...latentBox.map((b) => b[1]))));
  t0 = performance.now();
  let negatives: tf.Tensor2D | undefined;
  const ebm = adamLoop(
    e0,
    budget.latentEbmSteps,
    0.01,
    1,
    (p, s) => {
      const kb = foldIn(k5, 2 * s);
      const neg = negatives as tf.Tensor2D;
      return tf.tidy(() => {
        const zb = tf.gather(zData, batchIdx(kb, 100));
        const ep = enet.apply(p as MlpParams, zb);
        const en = enet.apply(p as MlpParams, neg);
        const reg = tf.mul(spec.pebm.regularization, tf.add(tf.mean(tf.square(ep)), tf.mean(tf.square(en))));
        return tf.add(tf.sub(tf.mean(ep), tf.mean(en)), reg) as tf.Scalar;
      });
    },
    (s, l) => {
      negatives?.dispose();
      negatives = undefined;
      if (s % 100 === 0) log(`  latent ebm step ${s} loss ${l.toFixed(4)}`);
    },
    (p, s) => {
      const [kn, kl] = split(foldIn(k5, 2 * s + 1), 2) as [Key, Key];
      const E = (z: tf.Tensor): tf.Tensor => enet.apply(p as MlpParams, z);
      const { samples } = buffer.sample(kn, 100, (kk, mm) => uniformBox(kk, mm, latentBox));
      const z = ebmLangevin(kl, E, samples, {
        steps: budget.latentLangevinSteps,
        stepSize: 10,
        noise: 0.005 * latentWidth,
        gradClamp: 0.03,
      });
      samples.dispose();
      negatives = clampToBox(z) as tf.Tensor2D;
      z.dispose();
      buffer.push(negatives);
    },
  );
  disposeTree(e0);
  zData.dispose();
  const energy = (z: tf.Tensor): tf.Tensor => enet.apply(ebm as MlpParams, z);
  return {
    encode,
    decode,
    energy,
    latentBox,
    buffer,
    params: [ae, ebm],
    seconds: { ae: tAe, ebm: (performance.now() - t0) / 1000 },
  };
}

/** PEBM samples: latent Langevin (as in training) from the buffer / uniform latents, then decode. */
export function samplePebm(key: Key, model: PebmModel, count: number, steps: number): tf.Tensor2D {
  const { x, z } = samplePebmWithLatents(key, model, count, steps);
  z.dispose();
  return x;
}

/** {@link samplePebm} that also returns the (clipped) latents the samples were decoded from. */
export function samplePebmWithLatents(
  key: Key,
  model: PebmModel,
  count: number,
  steps: number,
): { x: tf.Tensor2D; z: tf.Tensor2D } {
  const [kn, kl] = split(key, 2) as [Key, Key];
  const w = model.latentBox[0]![1] - model.latentBox[0]![0];
  const { samples } = model.buffer.sample(kn, count, (kk, mm) => uniformBox(kk, mm, model.latentBox));
  const z0 = ebmLangevin(kl, model.energy, samples, { steps, stepSize: 10, noise: 0.05 * w, gradClamp: 0.03 });
  samples.dispose();
  const lo = Math.min(...model.latentBox.map((b) => b[0]));
  const hi = Math.max(...model.latentBox.map((b) => b[1]));
  const z = tf.tidy(() => tf.clipByValue(z0, lo, hi) as tf.Tensor2D);
  z0.dispose();
  const x = tf.tidy(() => model.decode(z) as tf.Tensor2D);
  return { x, z };
}

/** Table 3 (PEBM): ‖dec(z*) − x‖ with z* = argmin ‖dec(z) − x‖² from z = enc(x) (L-BFGS). */
export function pebmDistances(model: PebmModel, data: tf.Tensor2D): number[] {
  const z0 = model.encode(data);
  const out = lbfgs((z) => tf.tidy(() => tf.sum(tf.square(tf.sub(model.decode(z), data)))), z0, {
    maxIter: 200,
    tol: 1e-7,
  });
  z0.dispose();
  const d = tf.tidy(() => Array.from(tf.norm(tf.sub(model.decode(out.x), data), 2, 1).dataSync()));
  out.x.dispose();
  return d;
}

export function gridW1(a: tf.Tensor2D, b: tf.Tensor2D, box: Box, bins: number): number {
  return gridWasserstein(a, b, { bins, bounds: box });
}

/**
 * The evaluation convention of the paper's released code (layer6ai-labs/implicit-manifolds,
 * `implicit/metrics.py`, `wasserstein_between_discretized_densities` and
 * `wasserstein_discretized_density_to_points`, called from `notebooks/03-von-mises-mixture.ipynb`,
 * `04-geospatial.ipynb`, `05-protein.ipynb`): `granularity` ticks per axis (np.linspace), hence
 * granularity − 1 cells per axis; points outside the box dropped; a model histogram that is the
 * AVERAGE density value of the points in each cell (not a count), normalized over cells; ground cost
 * `ot.dist(..., metric="sqeuclidean")` divided by its maximum over the whole grid (so the number is a
 * normalized squared-distance transport cost, not W1 in data units). Ground truth: a histogram of
 * dense manifold points weighted by the true density (von Mises), or the data points themselves with
 * mass 1/N each, against cell centres (flood, glycine).
 */
export interface PaperEval {
  box: Box;
  /** Ticks per axis (100 in 2-D, 30 in 3-D); cells per axis = granularity − 1. */
  granularity: number;
  /** Ground truth: points [N, n] row-major; `weights` = density values for a cell histogram, or `asPoints`. */
  truth: { points: Float64Array; n: number; weights?: Float64Array; asPoints: boolean };
}

interface PaperHist {
  cells: number[];
  mass: Float64Array;
}

function paperHistogram(ev: PaperEval, pts: ArrayLike<number>, n: number, w: ArrayLike<number> | null): PaperHist {
  const d = ev.box.length;
  const nc = ev.granularity - 1;
  const sums = new Map<number, [number, number]>();
  for (let i = 0; i < n; i++) {
    let cell = 0;
    let inside = true;
    for (let k = 0; k < d; k++) {
      const [lo, hi] = ev.box[k]!;
      const c = Math.floor(((pts[i * d + k] as number) - lo) / ((hi - lo) / nc));
      if (!(c >= 0 && c < nc)) {
        inside = false;
        break;
      }
      cell = cell * nc + c;
    }
    if (!inside) continue;
    const e = sums.get(cell) ?? [0, 0];
    e[0] += w === null ? 1 : (w[i] as number);
    e[1] += 1;
    sums.set(cell, e);
  }
  const cells = [...sums.keys()];
  // Average density per cell (the paper's bin_sums / bin_counts); with no densities, counts.
  const mass = Float64Array.from(cells, (c) => {
    const [sw, cnt] = sums.get(c)!;
    return w === null ? sw : sw / cnt;
  });
  const tot = mass.reduce((a, b) => a + b, 0);
  for (let i = 0; i < mass.length; i++) mass[i] = (mass[i] as number) / tot;
  return { cells, mass };
}

function paperCentre(ev: PaperEval, cell: number, out: Float64Array, off: number): void {
  const d = ev.box.length;
  const nc = ev.granularity - 1;
  for (let k = d - 1; k >= 0; k--) {
    const c = cell % nc;
    cell = (cell - c) / nc;
    const [lo, hi] = ev.box[k]!;
    out[off + k] = lo + (c + 0.5) * ((hi - lo) / nc);
  }
}

/**
 * Table 1's number as the paper's code computes it (see {@link PaperEval}): model points `x` [n, d]
 * with density values `density` (any constant factor; null = plain counts), against `ev.truth`.
 */
export function paperGridW(x: tf.Tensor2D, density: ArrayLike<number> | null, ev: PaperEval): number {
  const d = ev.box.length;
  const nc = ev.granularity - 1;
  const A = paperHistogram(ev, x.dataSync(), x.shape[0], density);
  const ca = new Float64Array(A.cells.length * d);
  A.cells.forEach((c, i) => {
    paperCentre(ev, c, ca, i * d);
  });
  const T = ev.truth;
  let bw: Float64Array;
  let cb: Float64Array;
  let maxCost = 0;
  const cmin = ev.box.map(([lo, hi]) => lo + 0.5 * ((hi - lo) / nc));
  const cmax = ev.box.map(([lo, hi]) => hi - 0.5 * ((hi - lo) / nc));
  if (T.asPoints) {
    cb = T.points;
    bw = new Float64Array(T.n).fill(1 / T.n);
    // max over all cell centres and data points of the squared distance
    for (let j = 0; j < T.n; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) {
        const v = T.points[j * d + k] as number;
        s += Math.max((v - cmin[k]!) ** 2, (v - cmax[k]!) ** 2);
      }
      maxCost = Math.max(maxCost, s);
    }
  } else {
    const B = paperHistogram(ev, T.points, T.n, T.weights ?? null);
    cb = new Float64Array(B.cells.length * d);
    B.cells.forEach((c, i) => {
      paperCentre(ev, c, cb, i * d);
    });
    bw = B.mass;
    // max over all pairs of cells (corner-to-corner in the paper: same differences)
    for (let k = 0; k < d; k++) maxCost += (cmax[k]! - cmin[k]!) ** 2;
  }
  const na = A.cells.length;
  const nb = bw.length;
  const C = new Float64Array(na * nb);
  for (let i = 0; i < na; i++)
    for (let j = 0; j < nb; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += ((ca[i * d + k] as number) - (cb[j * d + k] as number)) ** 2;
      C[i * nb + j] = s / maxCost;
    }
  return emd(A.mass, bw, C).cost;
}

/** exp(−E(x) + min E) of the EBIM at `x` [n, d] (the density up to its normalizer). */
export function ebimDensity(model: EbimModel, x: tf.Tensor2D): Float64Array {
  const e = tf.tidy(() => tf.reshape(model.energy(x), [-1]).dataSync());
  const m = Math.min(...e);
  return Float64Array.from(e, (v) => Math.exp(-(v - m)));
}

/**
 * Pushforward density of the PEBM at decoded latents `z` [n, m] up to a constant:
 * exp(−E(z)) / sqrt(det(J^T J)), J = ∂dec/∂z by central differences.
 */
export function pebmDensity(model: PebmModel, z: tf.Tensor2D): Float64Array {
  const [n, m] = z.shape;
  const w = Math.max(...model.latentBox.map((b) => b[1] - b[0]));
  const h = 1e-3 * w;
  const cols: Float32Array[] = [];
  for (let j = 0; j < m; j++) {
    cols.push(
      tf.tidy(() => {
        const step = new Float32Array(n * m);
        for (let i = 0; i < n; i++) step[i * m + j] = h;
        const e = tf.tensor2d(step, [n, m]);
        const diff = tf.sub(model.decode(tf.add(z, e)), model.decode(tf.sub(z, e)));
        return tf.div(diff, 2 * h).dataSync() as Float32Array;
      }),
    );
  }
  const D = cols[0]!.length / n;
  const e = tf.tidy(() => tf.reshape(model.energy(z), [-1]).dataSync());
  const emin = Math.min(...e);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const G: number[] = [];
    for (let a = 0; a < m; a++)
      for (let b = 0; b < m; b++) {
        let s = 0;
        for (let k = 0; k < D; k++) s += (cols[a]![i * D + k] as number) * (cols[b]![i * D + k] as number);
        G.push(s);
      }
    const det = m === 1 ? G[0]! : m === 2 ? G[0]! * G[3]! - G[1]! * G[2]! : Number.NaN;
    out[i] = Math.exp(-((e[i] as number) - emin)) / Math.sqrt(Math.max(det, 1e-30));
  }
  return out;
}

export const distanceStats = (d: number[]) => manifoldDistanceStats(d);

export function meanSe(xs: number[]): { mean: number; se: number } {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const v = n > 1 ? xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1) : 0;
  return { mean, se: Math.sqrt(v / n) };
}

export function disposeEbim(m: EbimModel): void {
  disposeTree(m.mdfParams);
  disposeTree(m.energyParams);
}
export function disposePebm(m: PebmModel): void {
  for (const p of m.params) disposeTree(p);
}

/** Colours for scatter layers. */
export const COLOURS: [number, number, number][] = [
  [120, 120, 120],
  [31, 119, 180],
  [214, 39, 40],
  [44, 160, 44],
];

/**
 * A simple scatter plot PNG of point layers `[N, d]` viewed by a rotation (yaw about z, then pitch
 * about x, orthographic; d = 2 uses the plane as is), several panels side by side.
 */
export async function scatterPng(
  path: string,
  panels: { layers: { points: tf.Tensor2D; colour: [number, number, number] }[] }[],
  opts: { size?: number; yaw?: number; pitch?: number; range?: [number, number, number, number] } = {},
): Promise<void> {
  const S = opts.size ?? 240;
  const W = S * panels.length;
  const png = new PNG({ width: W, height: S });
  png.data.fill(255);
  const yaw = opts.yaw ?? 0.6;
  const pitch = opts.pitch ?? 0.5;
  const proj = (p: number[]): [number, number, number] => {
    if (p.length === 2) return [p[0]!, p[1]!, 0];
    const [x, y, z] = p as [number, number, number];
    const x1 = Math.cos(yaw) * x - Math.sin(yaw) * y;
    const y1 = Math.sin(yaw) * x + Math.cos(yaw) * y;
    const y2 = Math.cos(pitch) * z - Math.sin(pitch) * y1;
    const depth = Math.sin(pitch) * z + Math.cos(pitch) * y1;
    return [x1, y2, depth];
  };
  let range = opts.range;
  if (range === undefined) {
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    // The first panel (the ground truth) sets the view; far-off model points fall outside it.
    for (const pn of panels.slice(0, 1))
      for (const l of pn.layers)
        for (const p of l.points.arraySync()) {
          const [u, v] = proj(p);
          lo = Math.min(lo, u, v);
          hi = Math.max(hi, u, v);
        }
    const pad = 0.05 * (hi - lo);
    range = [lo - pad, hi + pad, lo - pad, hi + pad];
  }
  const [x0, x1, y0, y1] = range;
  panels.forEach((pn, k) => {
    for (const l of pn.layers) {
      for (const p of l.points.arraySync()) {
        const [u, v, depth] = proj(p);
        const px = Math.round(k * S + ((u - x0) / (x1 - x0)) * (S - 1));
        const py = Math.round((1 - (v - y0) / (y1 - y0)) * (S - 1));
        const shade = p.length === 3 ? 0.75 + 0.25 * Math.tanh(-depth) : 1;
        for (let a = 0; a <= 1; a++)
          for (let b = 0; b <= 1; b++) {
            const xx = px + a;
            const yy = py + b;
            if (xx < k * S || xx >= (k + 1) * S || yy < 0 || yy >= S) continue;
            const o = (yy * W + xx) * 4;
            png.data[o] = Math.round(l.colour[0] * shade);
            png.data[o + 1] = Math.round(l.colour[1] * shade);
            png.data[o + 2] = Math.round(l.colour[2] * shade);
            png.data[o + 3] = 255;
          }
      }
    }
  });
  await writeFileAtomic(path, PNG.sync.write(png));
}

/** Paper values for one Table 1 / Table 3 row. */
export interface PaperRow {
  w1: { pebm: string; ebim: string };
  table3: { ebim: string; pebm: string };
}

/**
 * One Table 1 row: `runs` seeds of EBIM (CLMC samples, and constrainedHmc samples) and PEBM, grid
 * W1 to the ground truth, Table 3 distance statistics, a scatter PNG of the first run.
 */
export async function runTable1Row(opts: {
  out: (name: string) => string;
  outDir: string;
  id: string;
  title: string;
  makeSpec: (key: Key) => DatasetSpec;
  budget: Budget;
  runs: number;
  paper: PaperRow;
  clmcStepSize: number;
  hmcStepSize: number;
  view?: { yaw?: number; pitch?: number };
  range?: [number, number, number, number];
  writeSummary: (out: string, s: unknown) => Promise<void>;
}): Promise<void> {
  const t0 = performance.now();
  const log = (s: string): void => console.log(s);
  const w1: { ebimU: number[]; ebim: number[]; ebimHmc: number[]; pebm: number[] } = {
    ebimU: [],
    ebim: [],
    ebimHmc: [],
    pebm: [],
  };
  const perRun: unknown[] = [];
  const paper: Record<string, { density: number[]; counts: number[] }> = {};
  for (let r = 0; r < opts.runs; r++) {
    const key = foldIn(keyOf(2023), r);
    const [kd, ke, kp, ks1, ks2, ks3, ks4] = split(key, 7) as [Key, Key, Key, Key, Key, Key, Key];
    const spec = opts.makeSpec(kd);
    log(`${opts.id} run ${r + 1}/${opts.runs}: EBIM`);
    const ebim = trainEbim(ke, spec, opts.budget, log);
    let t = performance.now();
    const clmcU = sampleEbim(
      ks1,
      ebim,
      spec.box,
      opts.budget.sampleChains,
      opts.budget.sampleSteps,
      'langevin',
      opts.clmcStepSize,
    );
    const clmc = sampleEbim(
      ks4,
      ebim,
      spec.box,
      opts.budget.sampleChains,
      opts.budget.sampleSteps,
      'langevin',
      opts.clmcStepSize,
      spec.data,
    );
    const tClmc = (performance.now() - t) / 1000;
    t = performance.now();
    const hmc = sampleEbim(
      ks2,
      ebim,
      spec.box,
      opts.budget.hmcChains,
      opts.budget.hmcSteps,
      'hmc',
      opts.hmcStepSize,
      spec.data,
    );
    const tHmc = (performance.now() - t) / 1000;
    log(`${opts.id} run ${r + 1}: PEBM`);
    const pebm = trainPebm(kp, spec, opts.budget, log);
    const { x: pebmSamples, z: pebmLatents } = samplePebmWithLatents(ks3, pebm, opts.budget.sampleChains, 100);
    const wU = gridW1(clmcU.samples, spec.truth, spec.box, spec.bins);
    const wE = gridW1(clmc.samples, spec.truth, spec.box, spec.bins);
    const wH = gridW1(hmc.samples, spec.truth, spec.box, spec.bins);
    const wP = gridW1(pebmSamples, spec.truth, spec.box, spec.bins);
    w1.ebimU.push(wU);
    w1.ebim.push(wE);
    w1.ebimHmc.push(wH);
    w1.pebm.push(wP);
    let paperRow: Record<string, { density: number; counts: number }> | undefined;
    if (spec.paperEval !== undefined) {
      const ev = spec.paperEval;
      const both = (x: tf.Tensor2D, dens: Float64Array) => ({
        density: paperGridW(x, dens, ev),
        counts: paperGridW(x, null, ev),
      });
      t = performance.now();
      paperRow = {
        ebimClmcUniformStarts: both(clmcU.samples, ebimDensity(ebim, clmcU.samples)),
        ebimClmcDataStarts: both(clmc.samples, ebimDensity(ebim, clmc.samples)),
        ebimHmcDataStarts: both(hmc.samples, ebimDensity(ebim, hmc.samples)),
        pebm: both(pebmSamples, pebmDensity(pebm, pebmLatents)),
      };
      for (const [k, v] of Object.entries(paperRow)) {
        paper[k] ??= { density: [], counts: [] };
        paper[k]!.density.push(v.density);
        paper[k]!.counts.push(v.counts);
      }
      log(`${opts.id} run ${r + 1}: paper-convention W in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    }
    pebmLatents.dispose();
    const near = ebimDistances(ebim.F, spec.data);
    const dE = { ...distanceStats(near.distances), nearestPointNotConverged: near.notConverged };
    const dP = distanceStats(pebmDistances(pebm, spec.data));
    const row = {
      run: r,
      w1: { ebimClmcUniformStarts: wU, ebimClmcDataStarts: wE, ebimHmcDataStarts: wH, pebm: wP },
      ...(paperRow === undefined ? {} : { paperConvention: paperRow }),
      table3: { ebim: dE, pebm: dP },
      samplers: {
        clmcUniformStarts: {
          chains: clmcU.samples.shape[0],
          acceptance: clmcU.acceptance,
          failures: clmcU.failures,
          maxResidual: clmcU.maxResidual,
        },
        clmc: {
          chains: clmc.samples.shape[0],
          steps: opts.budget.sampleSteps,
          acceptance: clmc.acceptance,
          failures: clmc.failures,
          maxResidual: clmc.maxResidual,
          seconds: tClmc,
        },
        hmc: {
          chains: hmc.samples.shape[0],
          steps: opts.budget.hmcSteps,
          acceptance: hmc.acceptance,
          rejectedBySolverOrReversibility: hmc.failures,
          maxResidual: hmc.maxResidual,
          seconds: tHmc,
        },
      },
      cebmAcceptance: ebim.cebmAcceptance,
      seconds: { ...ebim.seconds, ae: pebm.seconds.ae, latentEbm: pebm.seconds.ebm },
    };
    log(JSON.stringify(row));
    perRun.push(row);
    if (r === 0) {
      const truthSub = tf.tidy(() =>
        tf.slice(spec.truth, [0, 0], [Math.min(2000, spec.truth.shape[0]), -1]),
      ) as tf.Tensor2D;
      await scatterPng(
        opts.out('samples.png'),
        [
          { layers: [{ points: truthSub, colour: COLOURS[0]! }] },
          { layers: [{ points: pebmSamples, colour: COLOURS[2]! }] },
          { layers: [{ points: clmcU.samples, colour: COLOURS[1]! }] },
          { layers: [{ points: clmc.samples, colour: COLOURS[1]! }] },
          { layers: [{ points: hmc.samples, colour: COLOURS[3]! }] },
        ],
        { ...(opts.view ?? {}), ...(opts.range === undefined ? {} : { range: opts.range }) },
      );
      truthSub.dispose();
    }
    tf.dispose([clmcU.samples, clmc.samples, hmc.samples, pebmSamples, spec.data, spec.truth]);
    disposeEbim(ebim);
    disposePebm(pebm);
  }
  const fmt = (xs: number[]) => meanSe(xs);
  await opts.writeSummary(opts.outDir, {
    id: opts.id,
    title: opts.title,
    runs: opts.runs,
    budget: opts.budget,
    w1: {
      ebimClmcUniformStarts: fmt(w1.ebimU),
      ebimClmcDataStarts: fmt(w1.ebim),
      ebimConstrainedHmcDataStarts: fmt(w1.ebimHmc),
      pebm: fmt(w1.pebm),
    },
    ...(Object.keys(paper).length === 0
      ? {}
      : {
          paperConvention: {
            what: 'layer6ai-labs/implicit-manifolds implicit/metrics.py: granularity-1 cells per axis on the paper box, ot.dist sqeuclidean / its max over the grid, model histogram = average density per cell (density) or sample counts (counts); ground truth as in the paper notebooks',
            ...Object.fromEntries(
              Object.entries(paper).map(([k, v]) => [k, { density: fmt(v.density), counts: fmt(v.counts) }]),
            ),
          },
        }),
    paper: opts.paper,
    perRun,
    png: 'samples.png: ground truth (grey), PEBM (red), EBIM by CLMC from projected uniform starts (blue), EBIM by CLMC from projected data (blue), EBIM by constrainedHmc from projected data (green)',
    seconds: Math.round((performance.now() - t0) / 100) / 10,
  });
}

import { key as keyOf } from '@walkjump/tensor';

/** The checkout's shared/data folder when present (offline), else the datasets package's defaults. */
export function sharedData(): { dir: string } | Record<string, never> {
  if (process.env.WALKJUMP_DATA) return { dir: process.env.WALKJUMP_DATA };
  const dir = fileURLToPath(new URL('../../../../shared/data/', import.meta.url));
  return existsSync(dir) ? { dir } : {};
}
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
