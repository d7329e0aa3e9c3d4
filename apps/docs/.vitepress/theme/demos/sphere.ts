// Live demo (b): constrained HMC (RATTLE with a reversibility check) on a sphere or a torus in R³,
// targeting a mixture of Gaussian bumps restricted to the surface, e^{−E(x)} w.r.t. surface measure
// (@walkjump/manifold `constrainedHmc`; Ross et al. 2023, Sec. 4; Brubaker et al. 2012).
import * as tf from '@tensorflow/tfjs-core';
import {
  type AnalyticManifold,
  type ConstrainedKernel,
  type ConstrainedState,
  constrainedHmc,
  sphere,
  torus,
} from '@walkjump/manifold';
import { foldIn, type Key, key, logSumExp, normal, split, uniform } from '@walkjump/tensor';
import { nextFrame, squareCanvas } from './runtime.ts';

export interface SphereSettings {
  surface: 'sphere' | 'torus';
  /** RATTLE step size h. */
  stepSize: number;
  /** RATTLE steps per proposal. */
  numSteps: number;
  /** Concentration κ of the bumps. */
  kappa: number;
  chains: number;
  seed: number;
}

export interface SphereProgress {
  phase: 'starting' | 'sampling' | 'stopped' | 'error';
  steps: number;
  samples: number;
  acceptance: number;
  stepsPerSecond: number;
  maxResidual: number;
  /** Live tfjs tensors (tf.memory().numTensors) at this update: flat while sampling. */
  tensors?: number;
  message?: string;
}

/** Bump centers on the surface (unit sphere / torus R = 1, r = 0.45). */
function centers(s: SphereSettings['surface']): number[][] {
  if (s === 'sphere') {
    const c = [
      [0, 0, 1],
      [0.94, 0, -0.33],
      [-0.47, 0.82, -0.33],
      [-0.47, -0.82, -0.33],
    ];
    return c;
  }
  const R = 1;
  const r = 0.45;
  return [0, 1, 2].map((k) => {
    const phi = (2 * Math.PI * k) / 3;
    const theta = k === 1 ? Math.PI : 0;
    return [(R + r * Math.cos(theta)) * Math.cos(phi), (R + r * Math.cos(theta)) * Math.sin(phi), r * Math.sin(theta)];
  });
}

export class SphereDemo {
  private run = 0;
  private kernel: ConstrainedKernel | undefined;
  private state: ConstrainedState | undefined;
  private manifold: AnalyticManifold | undefined;
  private trail: number[] = [];
  private current: Float32Array = new Float32Array();
  private angle = 0.6;
  progress: SphereProgress = {
    phase: 'starting',
    steps: 0,
    samples: 0,
    acceptance: 0,
    stepsPerSecond: 0,
    maxResidual: 0,
  };

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly onProgress: (p: SphereProgress) => void,
  ) {}

  private update(p: Partial<SphereProgress>): void {
    this.progress = { ...this.progress, ...p, tensors: tf.memory().numTensors };
    this.onProgress(this.progress);
  }

  async start(s: SphereSettings): Promise<void> {
    const run = ++this.run;
    this.disposeChains();
    this.trail = [];
    const m = s.surface === 'sphere' ? sphere(3) : torus({ R: 1, r: 0.45 });
    this.manifold = m;
    const c = tf.tensor2d(centers(s.surface));
    const kappa = s.kappa;
    // E(x) = −log Σ_k exp(−κ‖x − c_k‖²/2): Gaussian bumps restricted to the surface.
    const energy = (x: tf.Tensor): tf.Tensor =>
      tf.tidy(() => {
        const d = tf.sub(tf.expandDims(x, 1), tf.expandDims(c, 0));
        const sq = tf.sum(tf.square(d), -1);
        return tf.neg(logSumExp(tf.mul(-0.5 * kappa, sq), -1));
      });
    this.kernel = constrainedHmc(m.constraintFn, energy, { stepSize: s.stepSize, numSteps: s.numSteps });
    // Start the chains spread over the surface (uniform in the angles), not at the target's modes.
    const [kInit, k0] = split(key(s.seed), 2) as [Key, Key];
    const x0 = tf.tidy(() => {
      if (s.surface === 'sphere') {
        const g = normal(kInit, [s.chains, 3]);
        return tf.div(g, tf.norm(g, 2, 1, true));
      }
      const a = tf.mul(uniform(kInit, [s.chains, 2]), 2 * Math.PI);
      const [phi, theta] = tf.split(a, 2, 1) as [tf.Tensor, tf.Tensor];
      const rho = tf.add(1, tf.mul(0.45, tf.cos(theta)));
      return tf.concat([tf.mul(rho, tf.cos(phi)), tf.mul(rho, tf.sin(phi)), tf.mul(0.45, tf.sin(theta))], 1);
    });
    this.state = this.kernel.init(x0);
    x0.dispose();
    this.update({ phase: 'sampling', steps: 0, samples: 0, acceptance: 0, stepsPerSecond: 0, maxResidual: 0 });
    let t = 0;
    let acc = 0;
    const t0 = performance.now();
    try {
      while (run === this.run && this.state !== undefined && this.kernel !== undefined) {
        const old = this.state;
        const [next, info] = this.kernel.step(foldIn(k0, t), old);
        disposeState(old, next);
        this.state = next;
        t++;
        acc += info.acceptanceRate;
        this.current = next.position.dataSync() as Float32Array;
        if (t > 2) for (const v of this.current) this.trail.push(v);
        if (this.trail.length > 3 * 4000) this.trail.splice(0, this.trail.length - 3 * 4000);
        this.update({
          steps: t,
          samples: t * s.chains,
          acceptance: acc / t,
          stepsPerSecond: (t / (performance.now() - t0)) * 1000,
          maxResidual: Math.max(...info.constraintResidual.map(Math.abs)),
        });
        this.angle += 0.01;
        this.draw();
        await nextFrame();
      }
    } finally {
      c.dispose();
    }
  }

  stop(): void {
    this.run++;
    this.disposeChains();
    this.update({ phase: 'stopped' });
  }

  dispose(): void {
    this.stop();
  }

  private disposeChains(): void {
    if (this.state !== undefined) disposeState(this.state);
    this.state = undefined;
    this.kernel = undefined;
  }

  /** Orthographic view rotating about z, tilted 25°; far points drawn fainter. */
  draw(): void {
    const view = squareCanvas(this.canvas);
    if (view === undefined) return;
    const { ctx, W, dpr } = view;
    const scale = W / 3.4;
    const ca = Math.cos(this.angle);
    const sa = Math.sin(this.angle);
    const tilt = 0.45;
    const ct = Math.cos(tilt);
    const st = Math.sin(tilt);
    const project = (x: number, y: number, z: number): [number, number, number] => {
      const xr = ca * x - sa * y;
      const yr = sa * x + ca * y;
      const yv = ct * yr - st * z;
      const zv = st * yr + ct * z;
      return [W / 2 + scale * xr, W / 2 - scale * zv, yv];
    };
    // Wireframe.
    ctx.strokeStyle = 'rgba(128,128,128,0.35)';
    ctx.lineWidth = dpr;
    const curve = (f: (u: number) => [number, number, number]): void => {
      ctx.beginPath();
      for (let i = 0; i <= 64; i++) {
        const [a, b, cc] = f((2 * Math.PI * i) / 64);
        const [px, py] = project(a, b, cc);
        if (i === 0) ctx.moveTo(px, py);
        else ctx.lineTo(px, py);
      }
      ctx.stroke();
    };
    if (this.manifold?.name === 'torus') {
      for (let k = 0; k < 12; k++) {
        const phi = (2 * Math.PI * k) / 12;
        curve((u) => [
          (1 + 0.45 * Math.cos(u)) * Math.cos(phi),
          (1 + 0.45 * Math.cos(u)) * Math.sin(phi),
          0.45 * Math.sin(u),
        ]);
      }
      for (const th of [0, Math.PI / 2, Math.PI, (3 * Math.PI) / 2])
        curve((u) => [
          (1 + 0.45 * Math.cos(th)) * Math.cos(u),
          (1 + 0.45 * Math.cos(th)) * Math.sin(u),
          0.45 * Math.sin(th),
        ]);
    } else {
      for (let k = 0; k < 6; k++) {
        const phi = (Math.PI * k) / 6;
        curve((u) => [Math.cos(phi) * Math.sin(u), Math.sin(phi) * Math.sin(u), Math.cos(u)]);
      }
      for (const z of [-0.5, 0, 0.5])
        curve((u) => [Math.sqrt(1 - z * z) * Math.cos(u), Math.sqrt(1 - z * z) * Math.sin(u), z]);
    }
    const pts = (a: ArrayLike<number>, color: (depth: number) => string, r: number): void => {
      for (let i = 0; i + 2 < a.length; i += 3) {
        const [px, py, d] = project(a[i] as number, a[i + 1] as number, a[i + 2] as number);
        ctx.fillStyle = color(d);
        ctx.beginPath();
        ctx.arc(px, py, r * dpr, 0, 2 * Math.PI);
        ctx.fill();
      }
    };
    pts(this.trail, (d) => `rgba(52,120,246,${d < 0 ? 0.5 : 0.15})`, 1.3);
    pts(this.current, (d) => `rgba(234,88,12,${d < 0 ? 1 : 0.45})`, 3);
  }
}

function disposeState(old: ConstrainedState, keep?: ConstrainedState): void {
  const kept = new Set<tf.Tensor>();
  if (keep !== undefined) for (const v of Object.values(keep)) if (v instanceof tf.Tensor) kept.add(v);
  for (const v of Object.values(old)) if (v instanceof tf.Tensor && !kept.has(v)) v.dispose();
}
