// Higher-order-safe gradients for tfjs-core 4.22.
//
// Why this file exists: `Engine.runKernelFunc` clones a kernel's saved *outputs* (outputsToSave)
// and records the clone's tape node *before* the kernel's own tape node. When the tape is filtered
// from x to y, that clone comes earlier than the node that produces its input, so it is never
// marked as reachable from x and is pruned: every gradient that flows through a saved output is
// silently dropped at second and higher order. Measured on stock tfjs 4.22 (cpu and wasm): d²/dx²
// of sigmoid, tanh, exp, elu, softmax, 2^x throws "Cannot compute gradient" when the saved output is
// the only path, and is silently wrong when there is another path (the DEEN parameter gradient of a
// swish MLP came out 2–9 % off, of a swish ConvNet 23–54 % off, against float64 PyTorch; see
// safe.test.ts for the numbers reproduced on every run).
//
// The replacements below save inputs only and recompute what they need inside the backward pass
// with differentiable ops, so every backward pass is itself differentiable to any order. Masks
// (argmax, x > 0, x == max) are computed off the tape by `constant`, which has zero gradient.
//
// Not fixable here: `tf.logSoftmax` is a `tf.customGrad` whose gradient uses its saved output (not
// the LogSoftmax kernel), so it stays wrong at second order. Write log-softmax as
// `x − logSumExp(x, -1, true)` (safe once Exp and Max are replaced). `tf.logSigmoid` is a customGrad
// that captures its input and is safe.
import * as tf from '@tensorflow/tfjs-core';
import type { GradConfig, NamedAttrMap, Tensor } from '@tensorflow/tfjs-core';

type Grad = (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => Record<string, () => Tensor>;

const first = (dy: Tensor | Tensor[]): Tensor => (Array.isArray(dy) ? (dy[0] as Tensor) : dy);
const at = (saved: Tensor[], i: number): Tensor => saved[i] as Tensor;

/**
 * Evaluates `fn` off the tape and returns its result as a constant: a customGrad whose gradient to
 * every dependency is zero. customGrad is safe at higher order because the gradient captures nothing
 * saved.
 */
function constant(fn: () => Tensor, ...deps: Tensor[]): Tensor {
  const op = tf.customGrad((...args: (Tensor | tf.GradSaveFunc)[]) => {
    const inputs = args.slice(0, deps.length) as Tensor[];
    return { value: fn(), gradFunc: () => inputs.map((t) => tf.zerosLike(t)) };
  });
  return op(...deps);
}

/** 1 where `x > 0`, else 0 (NaN stays NaN), as a float32 constant. */
const positiveMask = (x: Tensor): Tensor => constant(() => tf.cast(tf.greater(x, 0), 'float32'), x);

const sigmoidGrad: Grad = (dy, saved) => {
  const x = at(saved, 0);
  return {
    x: () => {
      const s = tf.sigmoid(x);
      return tf.mul(first(dy), tf.mul(s, tf.sub(1, s)));
    },
  };
};

const tanhGrad: Grad = (dy, saved) => {
  const x = at(saved, 0);
  return { x: () => tf.mul(first(dy), tf.sub(1, tf.square(tf.tanh(x)))) };
};

const expGrad: Grad = (dy, saved) => {
  const x = at(saved, 0);
  return { x: () => tf.mul(first(dy), tf.exp(x)) };
};

// elu'(x) = 1 for x > 0, exp(x) otherwise (tfjs's EluGrad gives 1 at x = 0, and so does exp(0)).
// exp((1 − m)·x), with m = [x > 0] a constant, is exp(x) on the used branch and 1 on the other, so
// no inf·0 appears at higher order (tf.minimum's gradient would put a LessEqual on the tape).
const eluGrad: Grad = (dy, saved) => {
  const x = at(saved, 0);
  return {
    x: () => {
      const m = positiveMask(x);
      const neg = tf.exp(tf.mul(tf.sub(1, m), x));
      return tf.mul(first(dy), tf.add(m, tf.mul(tf.sub(1, m), neg)));
    },
  };
};

const softmaxGrad: Grad = (dy, saved, attrs) => {
  const x = at(saved, 0);
  const dim = attrs['dim'] as number;
  return {
    logits: () => {
      const y = tf.softmax(x, dim);
      const dyY = tf.mul(first(dy), y);
      return tf.sub(dyY, tf.mul(tf.sum(dyY, dim, true), y));
    },
  };
};

const logSoftmaxGrad: Grad = (dy, saved, attrs) => {
  const x = at(saved, 0);
  const axis = attrs['axis'] as number | number[];
  return {
    logits: () => {
      const d = first(dy);
      const p = tf.exp(tf.sub(x, tf.logSumExp(x, axis, true)));
      return tf.sub(d, tf.mul(tf.sum(d, axis, true), p));
    },
  };
};

function reduceToShape(t: Tensor, shape: number[], outShape: number[]): Tensor {
  const axes = tf.backend_util.getReductionAxes(shape, outShape);
  return tf.reshape(axes.length > 0 ? tf.sum(t, axes) : t, shape);
}

// d(aᵇ)/da = b·a^(b−1); d(aᵇ)/db = aᵇ·log a where a > 0, else 0 (as stock). The log's argument is
// replaced by 1 where a ≤ 0 so no −inf or NaN reaches a higher-order gradient through the dead branch.
const powGrad: Grad = (dy, saved) => {
  const a = at(saved, 0);
  const b = at(saved, 1);
  const outShape = tf.broadcast_util.assertAndGetBroadcastShape(a.shape, b.shape);
  return {
    a: () => {
      const bf = tf.cast(b, 'float32');
      const d = tf.mul(first(dy), tf.mul(bf, tf.pow(a, tf.sub(bf, 1))));
      return reduceToShape(d, a.shape, outShape);
    },
    b: () => {
      const m = positiveMask(a);
      const safeA = tf.add(tf.mul(m, a), tf.sub(1, m));
      const logA = tf.mul(m, tf.log(safeA));
      const d = tf.mul(first(dy), tf.mul(tf.pow(a, b), logA));
      return reduceToShape(d, b.shape, outShape);
    },
  };
};

// Gradient of max/min over `axes`: dy flows to every position equal to the extremum (as stock).
function extremumGrad(dy: Tensor, x: Tensor, axes: number[], which: 'max' | 'min'): Tensor {
  const keep = tf.backend_util.expandShapeToKeepDim(dy.shape, axes);
  const dyK = dy.rank < x.rank ? tf.reshape(dy, keep) : dy;
  const mask = constant(() => tf.cast(tf.equal(x, which === 'max' ? tf.max(x, axes, true) : tf.min(x, axes, true)), 'float32'), x);
  return tf.mul(dyK, mask);
}

const maxGrad: Grad = (dy, saved, attrs) => {
  const x = at(saved, 0);
  const axes = tf.util.parseAxisParam(attrs['reductionIndices'] as number | number[], x.shape);
  return { x: () => extremumGrad(first(dy), x, axes, 'max') };
};

const minGrad: Grad = (dy, saved, attrs) => {
  const x = at(saved, 0);
  const axes = tf.util.parseAxisParam(attrs['axis'] as number | number[], x.shape);
  return { x: () => extremumGrad(first(dy), x, axes, 'min') };
};

// --- max pooling
//
// The backward pass of max pooling routes dy to one argmax per window. It is written as a linear
// map of dy built from convolutions with a constant one-hot filter E (one output channel per window
// offset): patches(x) = conv(x_padded, E) has the window's values along its last axis, M = onehot(
// argmax(patches)) (a constant), and dx = crop(convTranspose(M ⊙ dy, E)). Conv and its transpose
// are each other's gradients, so this is differentiable to any order in dy (the x-dependence is
// piecewise constant, hence zero). Channels are folded into the batch so one conv does all of them.

interface PoolGeometry {
  readonly spatial: number[]; // input spatial extent
  readonly out: number[]; // output spatial extent
  readonly filter: number[];
  readonly strides: number[];
  readonly before: number[]; // padding before, per spatial dim
  readonly padded: number[]; // padded extent (out − 1)·stride + filter
}

function poolGeometry(x: Tensor, attrs: NamedAttrMap, dims: 2 | 3): PoolGeometry {
  const filterSize = attrs['filterSize'] as number | number[];
  const strides = attrs['strides'] as number | number[];
  const pad = attrs['pad'] as 'same' | 'valid' | number;
  const rounding = (attrs['dimRoundingMode'] ?? undefined) as 'floor' | 'round' | 'ceil' | undefined;
  if (dims === 2) {
    const info = tf.backend_util.computePool2DInfo(
      x.shape as [number, number, number, number],
      filterSize as number | [number, number],
      strides as number | [number, number],
      1,
      pad,
      rounding,
    );
    const filter = [info.filterHeight, info.filterWidth];
    const s = [info.strideHeight, info.strideWidth];
    const out = [info.outHeight, info.outWidth];
    return {
      spatial: [info.inHeight, info.inWidth],
      out,
      filter,
      strides: s,
      before: [info.padInfo.top, info.padInfo.left],
      padded: out.map((o, i) => (o - 1) * (s[i] as number) + (filter[i] as number)),
    };
  }
  const info = tf.backend_util.computePool3DInfo(
    x.shape as [number, number, number, number, number],
    filterSize as number | [number, number, number],
    strides as number | [number, number, number],
    1,
    pad as 'same' | 'valid' | number,
    rounding,
  );
  const filter = [info.filterDepth, info.filterHeight, info.filterWidth];
  const s = [info.strideDepth, info.strideHeight, info.strideWidth];
  const out = [info.outDepth, info.outHeight, info.outWidth];
  return {
    spatial: [info.inDepth, info.inHeight, info.inWidth],
    out,
    filter,
    strides: s,
    before: [info.padInfo.front, info.padInfo.top, info.padInfo.left],
    padded: out.map((o, i) => (o - 1) * (s[i] as number) + (filter[i] as number)),
  };
}

const prod = (xs: readonly number[]): number => xs.reduce((a, b) => a * b, 1);

/** One-hot window filter E: shape [...filter, 1, K], E[offset k, 0, k] = 1. */
function windowFilter(g: PoolGeometry): Tensor {
  const K = prod(g.filter);
  const e = new Float32Array(K * K);
  for (let k = 0; k < K; k++) e[k * K + k] = 1;
  return tf.tensor(e, [...g.filter, 1, K]);
}

/** −∞ where a window offset falls in the padding, 0 elsewhere; shape [1, ...out, K], or null if none. */
function paddingPenalty(g: PoolGeometry): Tensor | null {
  const K = prod(g.filter);
  const nOut = prod(g.out);
  const pen = new Float32Array(nOut * K);
  let any = false;
  const d = g.out.length;
  const o = new Array<number>(d).fill(0);
  const f = new Array<number>(d).fill(0);
  for (let i = 0; i < nOut; i++) {
    let r = i;
    for (let j = d - 1; j >= 0; j--) {
      o[j] = r % (g.out[j] as number);
      r = Math.floor(r / (g.out[j] as number));
    }
    for (let k = 0; k < K; k++) {
      let q = k;
      for (let j = d - 1; j >= 0; j--) {
        f[j] = q % (g.filter[j] as number);
        q = Math.floor(q / (g.filter[j] as number));
      }
      let inside = true;
      for (let j = 0; j < d; j++) {
        const p = (o[j] as number) * (g.strides[j] as number) + (f[j] as number) - (g.before[j] as number);
        if (p < 0 || p >= (g.spatial[j] as number)) inside = false;
      }
      if (!inside) {
        pen[i * K + k] = Number.NEGATIVE_INFINITY;
        any = true;
      }
    }
  }
  return any ? tf.tensor(pen, [1, ...g.out, K]) : null;
}

/** channels-last [B, ...S, C] → [B·C, ...S, 1]. */
function foldChannels(t: Tensor): Tensor {
  const r = t.rank;
  const perm = [0, r - 1, ...Array.from({ length: r - 2 }, (_, i) => i + 1)];
  const tt = tf.transpose(t, perm);
  return tf.reshape(tt, [(t.shape[0] as number) * (t.shape[r - 1] as number), ...t.shape.slice(1, r - 1), 1]);
}

/** [B·C, ...S, 1] → [B, ...S, C]. */
function unfoldChannels(t: Tensor, batch: number, channels: number): Tensor {
  const spatial = t.shape.slice(1, t.rank - 1);
  const r = tf.reshape(t, [batch, channels, ...spatial]);
  const n = r.rank;
  return tf.transpose(r, [0, ...Array.from({ length: n - 2 }, (_, i) => i + 2), 1]);
}

/** Pads (or crops, where a window never reaches) a folded input [N, ...S, 1] to the padded extent. */
function toPadded(t: Tensor, g: PoolGeometry): Tensor {
  const keep = g.spatial.map((s, i) => Math.min(s, (g.padded[i] as number) - (g.before[i] as number)));
  const cropped = keep.every((k, i) => k === g.spatial[i]) ? t : tf.slice(t, 0, [t.shape[0] as number, ...keep, 1]);
  const pads: [number, number][] = [[0, 0], ...keep.map((k, i): [number, number] => [g.before[i] as number, (g.padded[i] as number) - (g.before[i] as number) - k]), [0, 0]];
  return pads.every(([a, b]) => a === 0 && b === 0) ? cropped : tf.pad(cropped, pads);
}

/** Adjoint of `toPadded`: crops the padding off (and zero-fills what `toPadded` cropped). */
function fromPadded(t: Tensor, g: PoolGeometry): Tensor {
  const keep = g.spatial.map((s, i) => Math.min(s, (g.padded[i] as number) - (g.before[i] as number)));
  const begin = [0, ...g.before, 0];
  const inner = tf.slice(t, begin, [t.shape[0] as number, ...keep, 1]);
  const rest: [number, number][] = [[0, 0], ...keep.map((k, i): [number, number] => [0, (g.spatial[i] as number) - k]), [0, 0]];
  return rest.every(([, b]) => b === 0) ? inner : tf.pad(inner, rest);
}

/** Offset within the window of flat (row-major) tap k of a filter with the given extents. */
function windowOffset(k: number, filter: readonly number[]): number[] {
  const offset = new Array<number>(filter.length).fill(0);
  let q = k;
  for (let j = filter.length - 1; j >= 0; j--) {
    offset[j] = q % (filter[j] as number);
    q = Math.floor(q / (filter[j] as number));
  }
  return offset;
}

/**
 * Transposed "one-hot window" convolution without a transposed-conv kernel: routed [N, ...out, K] →
 * [N, ...padded, 1], placing channel k at stride·o + offset_k (zero-interleave by pad + reshape, then
 * shift by pad and fit by slice; all differentiable). Used for 3-D pooling: the wasm backend's
 * Conv3DBackpropInputV2 returns zeros in tfjs 4.22.
 */
function placeWindows(routed: Tensor, g: PoolGeometry): Tensor {
  const n = routed.shape[0] as number;
  const K = prod(g.filter);
  const d = g.out.length;
  const spread = g.out.map((o, i) => o * (g.strides[i] as number));
  const terms: Tensor[] = [];
  for (let k = 0; k < K; k++) {
    const offset = windowOffset(k, g.filter);
    const rk = tf.slice(routed, [...new Array<number>(d + 1).fill(0), k], [n, ...g.out, 1]);
    let t = tf.reshape(rk, [n, ...g.out.flatMap((o) => [o, 1])]);
    t = tf.pad(t, [[0, 0], ...g.strides.flatMap((s): [number, number][] => [[0, 0], [0, s - 1]])]);
    t = tf.reshape(t, [n, ...spread]);
    t = tf.pad(t, [[0, 0], ...offset.map((f, i): [number, number] => [f, Math.max(0, (g.padded[i] as number) - f - (spread[i] as number))])]);
    t = tf.slice(t, 0, [n, ...g.padded]);
    terms.push(t);
  }
  return tf.reshape(terms.length === 1 ? (terms[0] as Tensor) : tf.addN(terms), [n, ...g.padded, 1]);
}

/** Window values [N, ...out, K] of a padded input [N, ...padded, 1] by slicing (adjoint of placeWindows). */
function gatherWindows(xp: Tensor, g: PoolGeometry): Tensor {
  const n = xp.shape[0] as number;
  const K = prod(g.filter);
  const spread = g.out.map((o, i) => o * (g.strides[i] as number));
  const x = tf.reshape(xp, [n, ...g.padded]);
  const parts: Tensor[] = [];
  for (let k = 0; k < K; k++) {
    const offset = windowOffset(k, g.filter);
    let t = x;
    const extra = offset.map((f, i) => Math.max(0, f + (spread[i] as number) - (g.padded[i] as number)));
    if (extra.some((e) => e > 0)) t = tf.pad(t, [[0, 0], ...extra.map((e): [number, number] => [0, e])]);
    t = tf.slice(t, [0, ...offset], [n, ...spread]);
    t = tf.reshape(t, [n, ...g.out.flatMap((o, i) => [o, g.strides[i] as number])]);
    t = tf.slice(t, 0, [n, ...g.out.flatMap((o) => [o, 1])]);
    parts.push(tf.reshape(t, [n, ...g.out]));
  }
  return tf.stack(parts, -1);
}

function maxPoolBackward(dy: Tensor, x: Tensor, attrs: NamedAttrMap, dims: 2 | 3): Tensor {
  const g = poolGeometry(x, attrs, dims);
  const batch = x.shape[0] as number;
  const channels = x.shape[x.rank - 1] as number;
  const K = prod(g.filter);
  const E = windowFilter(g);
  const conv = (t: Tensor): Tensor =>
    dims === 2
      ? tf.conv2d(t as tf.Tensor4D, E as tf.Tensor4D, g.strides as [number, number], 'valid')
      : tf.conv3d(t as tf.Tensor5D, E as tf.Tensor5D, g.strides as [number, number, number], 'valid');
  const mask = constant(() => {
    // wasm's Conv3D gives wrong window values here in tfjs 4.22, so 3-D slices instead.
    const xp = toPadded(foldChannels(x), g);
    const patches = dims === 2 ? conv(xp) : gatherWindows(xp, g);
    const pen = paddingPenalty(g);
    const scored = pen === null ? patches : tf.add(patches, pen);
    // oneHot's default dtype is int32: cast to float for the routing matmul.
    return tf.cast(tf.oneHot(tf.argMax(scored, -1), K), 'float32');
  }, x);
  const routed = tf.mul(mask, foldChannels(dy));
  const paddedShape = [batch * channels, ...g.padded, 1];
  const back =
    dims === 2
      ? tf.conv2dTranspose(routed as tf.Tensor4D, E as tf.Tensor4D, paddedShape as [number, number, number, number], g.strides as [number, number], 'valid')
      : placeWindows(routed, g);
  return unfoldChannels(fromPadded(back, g), batch, channels);
}

const maxPoolGrad: Grad = (dy, saved, attrs) => {
  const x = at(saved, 0);
  return { x: () => maxPoolBackward(first(dy), x, attrs, 2) };
};

const maxPool3DGrad: Grad = (dy, saved, attrs) => {
  const x = at(saved, 0);
  // On wasm the rank-7 pads/slices of placeWindows come out wrong (tfjs 4.22); fall back to the stock
  // kernel there: right at first order, not differentiable further.
  if (tf.getBackend() === 'wasm') {
    return { x: () => tf.engine().runKernel(tf.MaxPool3DGrad, { dy: first(dy), input: x, output: tf.maxPool3d(x as tf.Tensor5D, attrs['filterSize'] as number, attrs['strides'] as number, attrs['pad'] as 'valid') }, attrs) as Tensor };
  }
  return { x: () => maxPoolBackward(first(dy), x, attrs, 3) };
};

// tfjs registers no gradient for Conv3DBackpropInputV2 (conv3dTranspose), so conv3d is not twice
// differentiable in its input. Mirrors the stock Conv2DBackpropInput gradient.
const conv3DBackpropInputGrad: Grad = (ddx, saved, attrs) => {
  const dy = at(saved, 0);
  const filter = at(saved, 1);
  const strides = attrs['strides'] as [number, number, number];
  const pad = attrs['pad'] as 'valid' | 'same';
  return {
    dy: () => tf.conv3d(first(ddx) as tf.Tensor5D, filter as tf.Tensor5D, strides, pad),
    filter: () =>
      tf.engine().runKernel('Conv3DBackpropFilterV2', { x: first(ddx), dy }, { strides, pad, filterShape: filter.shape }) as Tensor,
  };
};

// --- local response normalization
//
// LRN over the last axis: s_c = bias + α Σ_{|c'−c|≤r} x_{c'}², y_c = x_c s_c^(−β). With the band
// matrix W (W_{c'c} = 1 for |c'−c| ≤ r, symmetric): dx = dy ⊙ s^(−β) − 2αβ x ⊙ ((dy ⊙ x ⊙ s^(−β−1)) W).

function bandMatrix(channels: number, radius: number): Tensor {
  const w = new Float32Array(channels * channels);
  for (let i = 0; i < channels; i++) {
    for (let j = Math.max(0, i - radius); j <= Math.min(channels - 1, i + radius); j++) w[i * channels + j] = 1;
  }
  return tf.tensor2d(w, [channels, channels]);
}

const lrnGrad: Grad = (dy, saved, attrs) => {
  const x = at(saved, 0);
  const radius = attrs['depthRadius'] as number;
  const bias = attrs['bias'] as number;
  const alpha = attrs['alpha'] as number;
  const beta = attrs['beta'] as number;
  return {
    x: () => {
      const C = x.shape[x.rank - 1] as number;
      const W = bandMatrix(C, radius);
      const x2 = tf.reshape(x, [-1, C]);
      const d2 = tf.reshape(first(dy), [-1, C]);
      const s = tf.add(bias, tf.mul(alpha, tf.matMul(tf.square(x2), W)));
      const sb = tf.pow(s, -beta);
      const inner = tf.matMul(tf.mul(tf.mul(d2, x2), tf.div(sb, s)), W);
      const dx = tf.sub(tf.mul(d2, sb), tf.mul(2 * alpha * beta, tf.mul(x2, inner)));
      return tf.reshape(dx, x.shape);
    },
  };
};

// Stock Cast and AddN gradients call the chained `dy.clone()`, which throws without tfjs's chained
// ops (this repo never registers them); every third-order gradient reaches a Cast, because the
// engine's clone of a saved tensor backpropagates through one.
const castGrad: Grad = (dy) => ({ x: () => tf.clone(first(dy)) });
const addNGrad: Grad = (dy, saved) => Object.fromEntries(saved.map((_, i) => [String(i), () => tf.clone(first(dy))]));

// Comparisons and logical ops are piecewise constant: zero gradient. tfjs registers none (except
// GreaterEqual), so any gradient that uses one as a mask (Minimum, Maximum, ClipByValue, Relu6, …)
// throws at the next order. The engine wants float32 gradients, also for bool inputs.
const zeroGrad: Grad = (_dy, saved) => Object.fromEntries(saved.map((t, i) => [['a', 'b'][i] ?? 'x', () => tf.zerosLike(tf.cast(t, 'float32'))]));
const BINARY_PREDICATES = [tf.Equal, tf.NotEqual, tf.Less, tf.LessEqual, tf.Greater, tf.LogicalAnd, tf.LogicalOr];

// Kernels whose stock gradient saves an output: the ones `withStockGradients` puts back.
const OUTPUT_SAVING = new Set<string>([tf.Sigmoid, tf.Tanh, tf.Exp, tf.Elu, tf.Softmax, tf.LogSoftmax, tf.Pow, tf.Max, tf.Min, tf.MaxPool, tf.MaxPool3D, tf.LRN]);

const SAFE: readonly GradConfig[] = [
  { kernelName: tf.Sigmoid, inputsToSave: ['x'], gradFunc: sigmoidGrad },
  { kernelName: tf.Tanh, inputsToSave: ['x'], gradFunc: tanhGrad },
  { kernelName: tf.Exp, inputsToSave: ['x'], gradFunc: expGrad },
  { kernelName: tf.Elu, inputsToSave: ['x'], gradFunc: eluGrad },
  { kernelName: tf.Softmax, inputsToSave: ['logits'], gradFunc: softmaxGrad },
  { kernelName: tf.LogSoftmax, inputsToSave: ['logits'], gradFunc: logSoftmaxGrad },
  { kernelName: tf.Pow, inputsToSave: ['a', 'b'], gradFunc: powGrad },
  { kernelName: tf.Max, inputsToSave: ['x'], gradFunc: maxGrad },
  { kernelName: tf.Min, inputsToSave: ['x'], gradFunc: minGrad },
  { kernelName: tf.MaxPool, inputsToSave: ['x'], gradFunc: maxPoolGrad },
  { kernelName: tf.MaxPool3D, inputsToSave: ['x'], gradFunc: maxPool3DGrad },
  { kernelName: tf.LRN, inputsToSave: ['x'], gradFunc: lrnGrad },
  { kernelName: tf.Conv3DBackpropInputV2, inputsToSave: ['dy', 'filter'], gradFunc: conv3DBackpropInputGrad },
  { kernelName: tf.Cast, gradFunc: castGrad },
  { kernelName: tf.AddN, saveAllInputs: true, gradFunc: addNGrad },
  ...BINARY_PREDICATES.map((kernelName): GradConfig => ({ kernelName, inputsToSave: ['a', 'b'], gradFunc: zeroGrad })),
  { kernelName: tf.LogicalNot, inputsToSave: ['x'], gradFunc: zeroGrad },
];

/**
 * The tfjs kernels whose gradients @walkjump/tensor replaces (or adds) on import, so that gradients
 * compose to second and third order: Sigmoid, Tanh, Exp, Elu, Softmax, LogSoftmax, Pow, Max, Min,
 * MaxPool, MaxPool3D and LRN (stock tfjs 4.22 saves their outputs, and the engine prunes every
 * gradient that flows through a saved output at higher order, silently); Conv3DBackpropInputV2 (no
 * stock gradient, so conv3d was not twice differentiable); Cast and AddN (stock ones call chained
 * ops); and zero gradients for the comparisons and logical ops (Equal, NotEqual, Less, LessEqual,
 * Greater, LogicalAnd, LogicalOr, LogicalNot) so masks built from them do not stop the next order.
 * Each replacement saves inputs only and recomputes in its backward pass with differentiable
 * ops; they are checked to third order against closed forms and float64 PyTorch. A frozen array of
 * kernel names, in registration order; holds no tensors.
 */
export const SAFE_GRADIENT_KERNELS: readonly string[] = Object.freeze(SAFE.map((c) => c.kernelName));

const stock = new Map<string, GradConfig | undefined>();

/**
 * Installs the higher-order-safe gradients (replacing tfjs's stock ones for the same kernels).
 * Idempotent. Remembers the stock configs so tests can put them back with `withStockGradients`.
 * @internal
 */
export function registerSafeGradients(): void {
  for (const config of SAFE) {
    if (!stock.has(config.kernelName)) stock.set(config.kernelName, tf.getGradient(config.kernelName) ?? undefined);
    tf.registerGradient(config);
  }
}

/**
 * Runs `fn` with tfjs's stock gradients for the kernels whose stock gradient saves an output, then re-installs the safe ones. For tests that measure the stock error only.
 * @internal
 */
export async function withStockGradients<T>(fn: () => T | Promise<T>): Promise<T> {
  for (const [name, config] of stock) if (config !== undefined && OUTPUT_SAVING.has(name)) tf.registerGradient(config);
  try {
    return await fn();
  } finally {
    registerSafeGradients();
  }
}
