// Live demo (a): train a DEEN energy on the ring of 8 Gaussians in the browser, then run walk-jump
// chains on it: Langevin walks on the smoothed density (noisy space) and Tweedie/Robbins jumps
// x̂(y) = y − σ²∇E(y) back to the data (Saremi & Hyvärinen 2019, eqs. 2, 3, 5, 6).
import * as tf from '@tensorflow/tfjs-core';
import { ring8 } from '@walkjump/datasets';
import { deenLoss, tweedieFromEnergy } from '@walkjump/empirical-bayes';
import { chengUnderdamped, type Kernel, type KernelState, ula } from '@walkjump/langevin';
import { type MlpParams, mlp } from '@walkjump/nets';
import {
  adam,
  disposeOptState,
  disposeParams,
  fit,
  foldIn,
  type Key,
  key,
  normal,
  type Params,
  split,
} from '@walkjump/tensor';
import { colors, nextFrame, squareCanvas, yieldIfBusy } from './runtime.ts';

export interface DeenSettings {
  /** Noise level σ of the smoothed density. */
  sigma: number;
  /** Training steps of the DEEN energy. */
  steps: number;
  /** Langevin step size ε, in units of σ². */
  stepScale: number;
  /** Friction γ of the underdamped sampler. */
  friction: number;
  /** 'ula' (overdamped) or 'cheng' (underdamped, Cheng et al.). */
  sampler: 'ula' | 'cheng';
  /** Parallel chains. */
  chains: number;
  /** Seed. */
  seed: number;
}

export interface DeenProgress {
  phase: 'starting' | 'training' | 'sampling' | 'stopped' | 'error';
  step: number;
  loss: number;
  stepsPerSecond: number;
  walkSteps: number;
  samples: number;
  walkStepsPerSecond: number;
  backend: string;
  /** The sampler of the running chains. */
  sampler?: 'ula' | 'cheng';
  /** σ of the energy trained last (undefined before training ends). */
  trainedSigma?: number;
  /** Live tfjs tensors (tf.memory().numTensors) at this update: flat while sampling. */
  tensors?: number;
  message?: string;
}

const EXTENT = 3.2;
const GRID = 56;

export class DeenDemo {
  private params: MlpParams | undefined;
  private trainedSigma: number | undefined;
  private readonly net = mlp({ widths: [64, 64], activation: 'swish' });
  private readonly ring = ring8();
  private run = 0;
  private density: ImageData | undefined;
  private walk: Float32Array = new Float32Array();
  private jump: Float32Array = new Float32Array();
  private data: Float32Array = new Float32Array();
  private kernel: Kernel<KernelState> | undefined;
  private state: KernelState | undefined;
  progress: DeenProgress = {
    phase: 'starting',
    step: 0,
    loss: Number.NaN,
    stepsPerSecond: 0,
    walkSteps: 0,
    samples: 0,
    walkStepsPerSecond: 0,
    backend: '',
  };

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly onProgress: (p: DeenProgress) => void,
  ) {}

  private energy = (y: tf.Tensor): tf.Tensor => {
    if (this.params === undefined) throw new Error('not trained');
    return this.net.apply(this.params, y);
  };

  private update(p: Partial<DeenProgress>): void {
    this.progress = { ...this.progress, ...p, tensors: tf.memory().numTensors };
    this.onProgress(this.progress);
  }

  /** Trains from scratch with settings `s`, then samples until stopped or restarted. */
  async start(s: DeenSettings, backend: string): Promise<void> {
    const run = ++this.run;
    this.disposeChains();
    if (this.params !== undefined) disposeParams(this.params as unknown as Params);
    this.params = undefined;
    this.trainedSigma = undefined;
    this.density = undefined;
    this.walk = new Float32Array();
    this.jump = new Float32Array();
    this.update({
      phase: 'training',
      step: 0,
      loss: Number.NaN,
      stepsPerSecond: 0,
      walkSteps: 0,
      samples: 0,
      walkStepsPerSecond: 0,
      backend,
    });
    const [kInit, kTrain, kData, kSample] = split(key(s.seed), 4) as [Key, Key, Key, Key];
    this.data = tf.tidy(() => this.ring.sample(kData, 400)).dataSync() as Float32Array;
    const init = this.net.init(kInit, [2]);
    const tTrain = performance.now();
    const lr0 = 2e-3;
    const schedule = (t: number): number =>
      lr0 * (0.1 + 0.45 * (1 + Math.cos((Math.PI * Math.min(t, s.steps)) / s.steps)));
    // biome-ignore lint/suspicious/noFocusedTests: @walkjump/tensor's fit, not a focused test
    const fitted = await fit({
      params: init as unknown as Params,
      loss: (p, x: tf.Tensor, k) => {
        const mp = p as unknown as MlpParams;
        const l = tf.mean(deenLoss(k, (y) => this.net.apply(mp, y), x, { sigma: s.sigma, checkFinite: false }));
        // DEEN sees E only through ∇_y E: the output bias gets an explicit zero gradient.
        const outBias = mp.layers[mp.layers.length - 1]?.b;
        return outBias === undefined ? l : tf.add(l, tf.mul(0, tf.sum(outBias)));
      },
      batches: (_step, k) => this.ring.sample(k, 128),
      optimizer: adam({ learningRate: schedule }),
      steps: s.steps,
      key: kTrain,
      onStep: async (e) => {
        if (run !== this.run) return 'stop';
        // Throughput of the whole loop (fit's own figure is per step and noisy at this rate).
        this.update({
          step: e.step + 1,
          loss: e.loss,
          stepsPerSecond: ((e.step + 1) / (performance.now() - tTrain)) * 1000,
        });
        if (await yieldIfBusy(40)) this.draw();
        return undefined;
      },
    });
    disposeParams(init as unknown as Params);
    disposeOptState(fitted.optState);
    if (run !== this.run) {
      disposeParams(fitted.params);
      return;
    }
    this.params = fitted.params as unknown as MlpParams;
    this.trainedSigma = s.sigma;
    this.update({ trainedSigma: s.sigma });
    this.computeDensity();
    await this.sample(s, kSample, run);
  }

  private computeDensity(): void {
    const e = tf.tidy(() => {
      const xs = tf.linspace(-EXTENT, EXTENT, GRID);
      const gx = tf.tile(tf.reshape(xs, [1, GRID]), [GRID, 1]);
      const gy = tf.tile(tf.reshape(tf.reverse(xs, 0), [GRID, 1]), [1, GRID]);
      const pts = tf.stack([tf.reshape(gx, [-1]), tf.reshape(gy, [-1])], 1);
      return tf.reshape(this.energy(pts), [-1]);
    });
    const ev = e.dataSync();
    e.dispose();
    let min = Number.POSITIVE_INFINITY;
    for (const v of ev) min = Math.min(min, v);
    const img = new ImageData(GRID, GRID);
    for (let i = 0; i < ev.length; i++) {
      const p = Math.exp(-((ev[i] as number) - min));
      img.data[4 * i] = 34;
      img.data[4 * i + 1] = 160;
      img.data[4 * i + 2] = 94;
      img.data[4 * i + 3] = Math.round(200 * p ** 0.6);
    }
    this.density = img;
  }

  /**
   * Restarts the chains on the energy already trained, with new sampler settings (step size,
   * friction, sampler). Returns false when there is no trained energy for `s.sigma` (retrain then).
   */
  async resample(s: DeenSettings): Promise<boolean> {
    if (this.params === undefined || this.trainedSigma !== s.sigma || this.progress.phase === 'training') return false;
    const run = ++this.run;
    this.disposeChains();
    await this.sample(s, foldIn(key(s.seed), 1000 + run), run);
    return true;
  }

  private async sample(s: DeenSettings, k: Key, run: number): Promise<void> {
    const stepSize = s.stepScale * s.sigma * s.sigma;
    const target = { energy: this.energy };
    this.kernel = (
      s.sampler === 'cheng'
        ? chengUnderdamped(target, { stepSize, friction: s.friction })
        : ula(target, { stepSize, parameterization: 'saremi2019' })
    ) as Kernel<KernelState>;
    const [kInit, kWalk] = split(k, 2) as [Key, Key];
    const y0 = tf.tidy(() => normal(kInit, [s.chains, 2], { std: 2 }));
    this.state = this.kernel.init(y0);
    y0.dispose();
    const jumpFn = tweedieFromEnergy(this.energy, s.sigma);
    this.update({ phase: 'sampling', walkSteps: 0, samples: 0, sampler: s.sampler });
    let t = 0;
    const t0 = performance.now();
    while (run === this.run && this.state !== undefined && this.kernel !== undefined) {
      // Walk for ~25 ms, then jump, draw and hand the frame back to the browser.
      const frameStart = performance.now();
      while (performance.now() - frameStart < 25) {
        const old = this.state;
        const [next, info] = this.kernel.step(foldIn(kWalk, t), old);
        disposeState(old, next);
        for (const v of Object.values(info)) if (v instanceof tf.Tensor) v.dispose();
        this.state = next;
        t++;
      }
      const jumped = tf.tidy(() => jumpFn((this.state as KernelState).position));
      this.walk = (this.state as KernelState).position.dataSync() as Float32Array;
      this.jump = jumped.dataSync() as Float32Array;
      jumped.dispose();
      this.update({
        walkSteps: t,
        samples: this.progress.samples + s.chains,
        walkStepsPerSecond: (t / (performance.now() - t0)) * 1000,
      });
      this.draw();
      await nextFrame();
    }
  }

  /** Stops the current run (training or sampling) and frees its tensors. */
  stop(): void {
    this.run++;
    this.disposeChains();
    this.update({ phase: 'stopped' });
  }

  dispose(): void {
    this.stop();
    if (this.params !== undefined) disposeParams(this.params as unknown as Params);
    this.params = undefined;
  }

  private disposeChains(): void {
    if (this.state !== undefined) disposeState(this.state);
    this.state = undefined;
    this.kernel = undefined;
  }

  /** Draws the learned density, the data, the walkers (blue) and their jumps (orange). */
  draw(): void {
    const view = squareCanvas(this.canvas);
    if (view === undefined) return;
    const { ctx, W, dpr } = view;
    if (this.density !== undefined) {
      const off = document.createElement('canvas');
      off.width = GRID;
      off.height = GRID;
      off.getContext('2d')?.putImageData(this.density, 0, 0);
      ctx.imageSmoothingEnabled = true;
      ctx.drawImage(off, 0, 0, W, W);
    }
    const px = (v: number): number => ((v + EXTENT) / (2 * EXTENT)) * W;
    const py = (v: number): number => ((EXTENT - v) / (2 * EXTENT)) * W;
    const dot = (a: Float32Array, color: string, r: number): void => {
      ctx.fillStyle = color;
      for (let i = 0; i + 1 < a.length; i += 2) {
        ctx.beginPath();
        ctx.arc(px(a[i] as number), py(a[i + 1] as number), r * dpr, 0, 2 * Math.PI);
        ctx.fill();
      }
    };
    dot(this.data, colors.data, 1.5);
    if (this.walk.length > 0 && this.walk.length === this.jump.length) {
      ctx.strokeStyle = colors.link;
      ctx.lineWidth = dpr;
      ctx.beginPath();
      for (let i = 0; i + 1 < this.walk.length; i += 2) {
        ctx.moveTo(px(this.walk[i] as number), py(this.walk[i + 1] as number));
        ctx.lineTo(px(this.jump[i] as number), py(this.jump[i + 1] as number));
      }
      ctx.stroke();
      dot(this.walk, colors.walk, 2);
      dot(this.jump, colors.jump, 2.2);
    }
  }
}

/** Disposes the tensors of `old` that `keep` does not reuse. */
function disposeState(old: KernelState, keep?: KernelState): void {
  const kept = new Set<tf.Tensor>();
  if (keep !== undefined) for (const v of Object.values(keep)) if (v instanceof tf.Tensor) kept.add(v);
  for (const v of Object.values(old)) if (v instanceof tf.Tensor && !kept.has(v)) v.dispose();
}
