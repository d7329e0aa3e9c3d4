// Live demo (c): binary-flip noise on binarized MNIST digits, denoised by the Bayes estimator
// x̂(y) = sign(E[x | y]) = sign(s(y)/α), and binary walk-jump sampling with the two-stage discrete
// Langevin sampler (Bach & Saremi 2025; @walkjump/discrete). The prior p(x) is a smoothed empirical
// prior: a mixture of product Bernoullis centred on N bundled training digits,
// p(x) = (1/N) Σ_i ∏_j (1 + c s_ij x_j)/2 with s_i the i-th digit in ±1 and c = 1 − 2ε. Its noisy
// score under flips is closed-form: q(y) ∝ Σ_i ∏_j (cosh αy_j + c s_ij sinh αy_j), so
// E[x_j | y] = P_j tanh(αy_j + A) + (1 − P_j) tanh(αy_j − A) with A = atanh c and P_j the posterior
// weight of the digits whose pixel j is on.
import * as tf from '@tensorflow/tfjs-core';
import {
  binaryDenoiser,
  type DiscreteKernel,
  type DiscreteState,
  flipNoise,
  twoStageDiscreteLangevin,
} from '@walkjump/discrete';
import { foldIn, type Key, key, type ScoreFn, split, uniform } from '@walkjump/tensor';
import digits from './digits.json' with { type: 'json' };
import { nextFrame } from './runtime.ts';

export interface DigitsSettings {
  /** Flip-noise strength α: each pixel flips with probability σ(−2α). */
  alpha: number;
  /** Step size η of the two-stage discrete Langevin sampler. */
  eta: number;
  /** Smoothing ε of the empirical prior. */
  eps: number;
  seed: number;
}

export interface DigitsProgress {
  phase: 'starting' | 'sampling' | 'stopped' | 'error';
  flipRate: number;
  noisyError: number;
  denoisedError: number;
  walkSteps: number;
  samples: number;
  stepsPerSecond: number;
  /** Live tfjs tensors (tf.memory().numTensors) at this update: flat while sampling. */
  tensors?: number;
  message?: string;
}

const D = 784;
const SIDE = 28;

function unpack(b64: string, n: number): Float32Array {
  const bin = atob(b64);
  const out = new Float32Array(n * D);
  for (let i = 0; i < n * D; i++) out[i] = (bin.charCodeAt(i >> 3) >> (7 - (i & 7))) & 1 ? 1 : -1;
  return out;
}

/** The noisy score s(y) = α E[x | y] of the smoothed empirical prior on `train` ([N, d] spins). */
export function empiricalFlipScore(train: tf.Tensor2D, alpha: number, eps: number): ScoreFn {
  const c = 1 - 2 * eps;
  const A = Math.atanh(c);
  const on = tf.tidy(() => tf.div(tf.add(train, 1), 2)); // [N, d], 1 where the pixel is on
  const off = tf.tidy(() => tf.sub(1, on));
  const score: ScoreFn = (y) =>
    tf.tidy(() => {
      const u = tf.tanh(tf.mul(alpha, y)); // [B, d]
      const a = tf.log1p(tf.mul(c, u));
      const b = tf.log1p(tf.mul(-c, u));
      // log-weights of each training digit (the log cosh term is common to all and cancels).
      const logits = tf.add(tf.matMul(a, on, false, true), tf.matMul(b, off, false, true)); // [B, N]
      const w = tf.softmax(logits);
      const P = tf.matMul(w, on); // [B, d]
      const ay = tf.mul(alpha, y);
      const mean = tf.add(tf.mul(P, tf.tanh(tf.add(ay, A))), tf.mul(tf.sub(1, P), tf.tanh(tf.sub(ay, A))));
      return tf.mul(alpha, mean);
    });
  (score as unknown as { dispose: () => void }).dispose = () => {
    on.dispose();
    off.dispose();
  };
  return score;
}

export class DigitsDemo {
  private run = 0;
  private readonly train = unpack(digits.train.bits, digits.train.count);
  private readonly test = unpack(digits.test.bits, digits.test.count);
  progress: DigitsProgress = {
    phase: 'starting',
    flipRate: 0,
    noisyError: 0,
    denoisedError: 0,
    walkSteps: 0,
    samples: 0,
    stepsPerSecond: 0,
  };
  private rows: { label: string; data: Float32Array; gray?: boolean }[] = [];

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly onProgress: (p: DigitsProgress) => void,
  ) {}

  private update(p: Partial<DigitsProgress>): void {
    this.progress = { ...this.progress, ...p, tensors: tf.memory().numTensors };
    this.onProgress(this.progress);
  }

  async start(s: DigitsSettings): Promise<void> {
    const run = ++this.run;
    const cols = 8;
    const train = tf.tensor2d(this.train, [digits.train.count, D]);
    const score = empiricalFlipScore(train, s.alpha, s.eps);
    const denoise = binaryDenoiser(score, s.alpha);
    const [kNoise, kInit, kWalk] = split(key(s.seed), 3) as [Key, Key, Key];
    let state: DiscreteState | undefined;
    try {
      // --- denoising held-out digits
      const [clean, noisy, hat, mean] = tf.tidy(() => {
        const x = tf.tensor2d(this.test.subarray(0, cols * D), [cols, D]);
        const y = flipNoise(kNoise, x, s.alpha);
        return [x, y, denoise(y), tf.div(score(y), s.alpha)];
      }) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
      const xv = clean.dataSync() as Float32Array;
      const yv = noisy.dataSync() as Float32Array;
      const hv = hat.dataSync() as Float32Array;
      const mv = mean.dataSync() as Float32Array;
      tf.dispose([clean, noisy, hat, mean]);
      const err = (a: Float32Array): number => a.reduce((n, v, i) => n + (v !== xv[i] ? 1 : 0), 0) / a.length;
      this.rows = [
        { label: 'clean x (held out)', data: xv },
        { label: 'noisy y', data: yv },
        { label: 'E[x | y]', data: mv, gray: true },
        { label: 'x̂ = sign E[x | y]', data: hv },
      ];
      this.update({
        phase: 'sampling',
        flipRate: 1 / (1 + Math.exp(2 * s.alpha)),
        noisyError: err(yv),
        denoisedError: err(hv),
        walkSteps: 0,
        samples: 0,
        stepsPerSecond: 0,
      });
      this.draw();

      // --- binary walk-jump from uniform noise: walk on q(y) with the two-stage sampler, jump with x̂
      const kernel: DiscreteKernel<DiscreteState> = twoStageDiscreteLangevin(score, { eta: s.eta });
      const y0 = tf.tidy(() => tf.sign(tf.sub(uniform(kInit, [cols, D]), 0.5)));
      state = kernel.init(y0);
      y0.dispose();
      let t = 0;
      const t0 = performance.now();
      while (run === this.run) {
        const old: DiscreteState = state;
        const [next, info] = kernel.step(foldIn(kWalk, t), old);
        for (const v of Object.values(old)) if (v instanceof tf.Tensor && !Object.values(next).includes(v)) v.dispose();
        for (const v of Object.values(info)) if (v instanceof tf.Tensor) v.dispose();
        state = next;
        t++;
        const j = tf.tidy(() => denoise(next.position));
        const walk = next.position.dataSync() as Float32Array;
        const jump = j.dataSync() as Float32Array;
        j.dispose();
        this.rows = [
          ...this.rows.slice(0, 4),
          { label: `walk y (step ${t})`, data: walk },
          { label: 'jump x̂(y)', data: jump },
        ];
        this.update({ walkSteps: t, samples: t * cols, stepsPerSecond: (t / (performance.now() - t0)) * 1000 });
        this.draw();
        await nextFrame();
        if (t % 2 === 0) await new Promise((r) => setTimeout(r, 60));
      }
    } finally {
      if (state !== undefined) for (const v of Object.values(state)) if (v instanceof tf.Tensor) v.dispose();
      (score as unknown as { dispose: () => void }).dispose();
      train.dispose();
    }
  }

  stop(): void {
    this.run++;
    this.update({ phase: 'stopped' });
  }

  dispose(): void {
    this.stop();
  }

  draw(): void {
    const cv = this.canvas;
    const cols = 8;
    const cell = 3;
    const pad = 6;
    const labelW = 150;
    const W = labelW + cols * (SIDE * cell + pad);
    const H = 6 * (SIDE * cell + pad);
    if (cv.width !== W || cv.height !== H) {
      cv.width = W;
      cv.height = H;
    }
    const ctx = cv.getContext('2d');
    if (ctx === null) return;
    ctx.clearRect(0, 0, W, H);
    const dark = document.documentElement.classList.contains('dark');
    ctx.font = '13px sans-serif';
    ctx.fillStyle = dark ? '#ddd' : '#333';
    const img = new ImageData(SIDE, SIDE);
    const off = document.createElement('canvas');
    off.width = SIDE;
    off.height = SIDE;
    const octx = off.getContext('2d');
    ctx.imageSmoothingEnabled = false;
    this.rows.forEach((row, r) => {
      const y0 = r * (SIDE * cell + pad);
      ctx.fillStyle = dark ? '#ddd' : '#333';
      ctx.fillText(row.label, 4, y0 + (SIDE * cell) / 2 + 4);
      for (let c = 0; c < cols && (c + 1) * D <= row.data.length; c++) {
        for (let j = 0; j < D; j++) {
          const v = row.data[c * D + j] as number;
          const ink = Math.round(255 * (1 - (v + 1) / 2));
          img.data[4 * j] = ink;
          img.data[4 * j + 1] = ink;
          img.data[4 * j + 2] = ink;
          img.data[4 * j + 3] = 255;
        }
        octx?.putImageData(img, 0, 0);
        ctx.drawImage(off, labelW + c * (SIDE * cell + pad), y0, SIDE * cell, SIDE * cell);
      }
    });
  }
}
