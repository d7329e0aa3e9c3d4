// Kernels that fill the wasm backend's gaps and replace its slow paths (tfjs-backend-wasm 4.22).
//
// Each replacement is built from the wasm backend's own fast kernels (XNNPACK convolution and
// matmul, transpose, pad, strided slice), called as ordinary ops from inside the kernel. Ops run
// inside a kernel are not recorded on the gradient tape (the engine records only at kernel depth
// 0), so the stock gradients of Conv2D, Conv2DBackpropInput, Conv2DBackpropFilter and BatchMatMul
// still apply unchanged and stay correct to any order; only the arithmetic underneath is faster.
//
//  - Conv2DBackpropFilter: missing on wasm (conv training fails without it). Built as one
//    convolution of the transposed input with the transposed dy, dilated by the stride; for filters
//    with few taps (kh·kw·inC small) as an im2col by an identity-filter convolution and one matmul.
//  - Conv2DBackpropInput: the stock kernel is a naive loop (~2 GFLOP/s). Replaced by a polyphase
//    (sub-pixel) formulation: one stride-1 convolution of dy with the flipped sub-filters of all
//    s_h·s_w output phases stacked as channels, then an interleaving reshape/transpose. Zero
//    insertion (dy upsampled by the stride) did 9/4× the multiplies at stride 2, most on zeros.
//  - BatchMatMul with transpose flags: XNNPACK has no transposed path, and the fallback runs
//    12–50× slower than the plain product. The transposes are materialized first.
//  - SplitV (tf.split, and the gradient of tf.concat): the stock kernel ran 1.5–5× slower than the
//    same parts cut with Slice (best of 15 halvings of [32, 28, 28, 64]: 30 / 11 / 11 ms along axes
//    3 / 1 / 0, against 15 / 2.3 / 7.1 ms now). Rebuilt
//    as one Slice per part.
//  - OneHot: the stock kernel writes integer bits into float32 outputs (tf.oneHot(i, d, 1, 0,
//    'float32') reads back as 1.4e-45 / NaN). Rebuilt as equal(indices, range) cast to the dtype,
//    scaled to (onValue, offValue).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';

type KernelFunc = tf.KernelConfig['kernelFunc'];
type KernelArgs = Parameters<KernelFunc>[0];

const BACKEND = 'wasm';

/** Replaces the wasm kernel `kernelName`, keeping the stock one's setup/dispose and passing it to `make`. */
function override(kernelName: string, make: (stock: KernelFunc | undefined) => KernelFunc): void {
  const stock = tf.getKernel(kernelName, BACKEND);
  if (stock !== undefined) tf.unregisterKernel(kernelName, BACKEND);
  const config: tf.KernelConfig = { kernelName, backendName: BACKEND, kernelFunc: make(stock?.kernelFunc) };
  // The stock kernel's setupFunc binds its wasm entry point; keep it so the stock path still works.
  if (stock?.setupFunc !== undefined) config.setupFunc = stock.setupFunc;
  if (stock?.disposeFunc !== undefined) config.disposeFunc = stock.disposeFunc;
  tf.registerKernel(config);
}

const asTensor = (t: tf.TensorInfo): tf.Tensor => t as tf.Tensor;

type Conv2DAttrs = {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
};

function convInfo(xShape: [number, number, number, number], filterShape: [number, number, number, number], attrs: Conv2DAttrs) {
  return tf.backend_util.computeConv2DInfo(xShape, filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast');
}

/**
 * ∂L/∂W of a 2-D convolution (NHWC) from x [B,H,W,inC] and dy [B,oh,ow,outC], as one convolution
 * (the batch becomes the channel axis): dW[i,j,c,o] = Σ_{b,p,q} x[b, s·p+i−pad, s·q+j−pad, c] dy[b,p,q,o]
 * is the valid correlation of xᵀ [inC,H,W,B] with dyᵀ [oh,ow,B,outC] at dilation s. XNNPACK runs it
 * at matmul speed; an im2col over strided slices was 50× slower (wasm StridedSlice is a scalar loop).
 */
function conv2DBackpropFilterNHWC(x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: [number, number, number, number], attrs: Conv2DAttrs): tf.Tensor4D {
  const info = convInfo(x.shape, filterShape, attrs);
  const { inChannels, outChannels, filterHeight, filterWidth, strideHeight, strideWidth, padInfo } = info;
  const k = filterHeight * filterWidth * inChannels;
  if (k * k <= 16 * outChannels) {
    // Few filter taps (e.g. a first layer on one channel): im2col by a convolution with the identity
    // filter (exact: each output is one input value), then one matmul over N = B·oh·ow. This skips the
    // transpose of dy (and XNNPACK re-packing a huge filter) that dominate the convolution form here.
    return tf.tidy(() => {
      const eye = tf.reshape(tf.eye(k), [filterHeight, filterWidth, inChannels, k]) as tf.Tensor4D;
      const patches = tf.reshape(tf.conv2d(x, eye, [strideHeight, strideWidth], attrs.pad, 'NHWC', 1, attrs.dimRoundingMode), [-1, k]);
      const dy2 = tf.reshape(dy, [-1, outChannels]);
      const dw = k <= outChannels ? tf.matMul(tf.transpose(patches), dy2) : tf.transpose(tf.matMul(tf.transpose(dy2), patches));
      return tf.reshape(dw, filterShape) as tf.Tensor4D;
    });
  }
  return tf.tidy(() => {
    const xt = tf.transpose(x, [3, 1, 2, 0]) as tf.Tensor4D;
    const dyt = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D;
    const pad: tf.backend_util.ExplicitPadding = [
      [0, 0],
      [padInfo.top, padInfo.bottom],
      [padInfo.left, padInfo.right],
      [0, 0],
    ];
    let dw = tf.conv2d(xt, dyt, 1, pad, 'NHWC', [strideHeight, strideWidth]);
    // Input rows the forward convolution never reached give extra (unused) output positions.
    if (dw.shape[1] !== filterHeight || dw.shape[2] !== filterWidth) dw = tf.slice(dw, [0, 0, 0, 0], [inChannels, filterHeight, filterWidth, outChannels]);
    return tf.transpose(dw, [1, 2, 0, 3]) as tf.Tensor4D;
  });
}

/**
 * ∂L/∂x of a 2-D convolution (NHWC) by polyphase (sub-pixel) decomposition, as one stride-1
 * convolution and an interleave. With H' = h + padTop = s·u + r (phase r = H' mod s), only the taps
 * i ≡ r (mod s) reach row h: dx[h] = Σ_m Σ_o dy[u − m] W[r + s·m]. So for every phase (r, t) the
 * rows/columns u, v of dx are a stride-1 correlation of dy (padded by M − 1 = ⌈kh/s⌉ − 1 in front)
 * with the flipped sub-filter W[r::s, t::s]; all s_h·s_w phases are stacked as output channels of one
 * convolution (sub-filters with fewer taps are zero-padded), giving z [B, U, V, s_h·s_w·inC], which
 * is interleaved into [B, U·s_h, V·s_w, inC] by a reshape and transpose and cropped to rows/columns
 * [pad, pad + in). Unlike zero insertion it does no multiplies by inserted zeros (for 3×3 stride 2:
 * 16 tap-products per 2×2 output block instead of 36), and the padding is the convolution's own.
 */
function conv2DBackpropInputNHWC(dy: tf.Tensor4D, filter: tf.Tensor4D, inputShape: [number, number, number, number], attrs: Conv2DAttrs): tf.Tensor4D {
  const info = convInfo(inputShape, filter.shape, attrs);
  const { batchSize, inHeight, inWidth, inChannels, outChannels, filterHeight, filterWidth, strideHeight: sh, strideWidth: sw, outHeight, outWidth, padInfo } = info;
  const m = Math.ceil(filterHeight / sh);
  const n = Math.ceil(filterWidth / sw);
  const u = Math.ceil((padInfo.top + inHeight) / sh);
  const v = Math.ceil((padInfo.left + inWidth) / sw);
  return tf.tidy(() => {
    // dy rows ≥ u (columns ≥ v) reach only rows past the input; they are dropped.
    let d: tf.Tensor4D = dy;
    if (outHeight > u || outWidth > v) d = tf.slice(dy, [0, 0, 0, 0], [batchSize, Math.min(outHeight, u), Math.min(outWidth, v), outChannels]);
    // Filter [kh, kw, inC, outC] → zero-padded to [m·sh, n·sw, ...] (tap i = sh·a + r) → [a, r, b, t, inC, outC],
    // flipped in a and b → [a, b, outC, (r, t, inC)].
    let w: tf.Tensor = filter;
    if (m * sh !== filterHeight || n * sw !== filterWidth) w = tf.pad(filter, [[0, m * sh - filterHeight], [0, n * sw - filterWidth], [0, 0], [0, 0]]);
    w = tf.reshape(w, [m, sh, n, sw, inChannels, outChannels]);
    if (m > 1 || n > 1) w = tf.reverse(w, [0, 2]);
    const g = tf.reshape(tf.transpose(w, [0, 2, 5, 1, 3, 4]), [m, n, outChannels, sh * sw * inChannels]) as tf.Tensor4D;
    const pad: tf.backend_util.ExplicitPadding = [
      [0, 0],
      [m - 1, Math.max(u - outHeight, 0)],
      [n - 1, Math.max(v - outWidth, 0)],
      [0, 0],
    ];
    const z = tf.conv2d(d, g, 1, pad);
    // z [B, u, v, (r, t, c)] → [B·u, v, r, (t, c)] → [B·u, r, v, (t, c)] = [B, u·sh, v·sw, c].
    let out: tf.Tensor4D =
      sh === 1
        ? (tf.reshape(z, [batchSize, u, v * sw, inChannels]) as tf.Tensor4D)
        : (tf.reshape(tf.transpose(tf.reshape(z, [batchSize * u, v, sh, sw * inChannels]), [0, 2, 1, 3]), [batchSize, u * sh, v * sw, inChannels]) as tf.Tensor4D);
    if (padInfo.top > 0 || padInfo.left > 0 || u * sh !== inHeight || v * sw !== inWidth) {
      out = tf.slice(out, [0, padInfo.top, padInfo.left, 0], [batchSize, inHeight, inWidth, inChannels]);
    }
    return out;
  });
}

const nchwToNhwc = (t: tf.Tensor): tf.Tensor4D => tf.transpose(t, [0, 2, 3, 1]) as tf.Tensor4D;
const nhwcToNchw = (t: tf.Tensor): tf.Tensor4D => tf.transpose(t, [0, 3, 1, 2]) as tf.Tensor4D;
const shapeNchwToNhwc = (s: readonly number[]): [number, number, number, number] => [s[0] ?? 1, s[2] ?? 1, s[3] ?? 1, s[1] ?? 1];

override(tf.Conv2DBackpropFilter, () => (args: KernelArgs) => {
  const x = asTensor(args.inputs.x as tf.TensorInfo) as tf.Tensor4D;
  const dy = asTensor(args.inputs.dy as tf.TensorInfo) as tf.Tensor4D;
  const attrs = args.attrs as unknown as Conv2DAttrs & { filterShape: [number, number, number, number] };
  if (attrs.dataFormat === 'NCHW') {
    return tf.tidy(() => conv2DBackpropFilterNHWC(nchwToNhwc(x), nchwToNhwc(dy), attrs.filterShape, { ...attrs, dataFormat: 'NHWC' }));
  }
  return conv2DBackpropFilterNHWC(x, dy, attrs.filterShape, attrs);
});

override(tf.Conv2DBackpropInput, () => (args: KernelArgs) => {
  const dy = asTensor(args.inputs.dy as tf.TensorInfo) as tf.Tensor4D;
  const filter = asTensor(args.inputs.filter as tf.TensorInfo) as tf.Tensor4D;
  const attrs = args.attrs as unknown as Conv2DAttrs & { inputShape: [number, number, number, number] };
  if (attrs.dataFormat === 'NCHW') {
    return tf.tidy(() => nhwcToNchw(conv2DBackpropInputNHWC(nchwToNhwc(dy), filter, shapeNchwToNhwc(attrs.inputShape), { ...attrs, dataFormat: 'NHWC' })));
  }
  return conv2DBackpropInputNHWC(dy, filter, attrs.inputShape, attrs);
});

override(tf.BatchMatMul, (stock) => (args: KernelArgs) => {
  const { transposeA, transposeB } = args.attrs as unknown as { transposeA: boolean; transposeB: boolean };
  if ((!transposeA && !transposeB) || stock === undefined) {
    if (stock === undefined) throw new Error('BatchMatMul: the wasm backend has no BatchMatMul kernel');
    return stock(args);
  }
  const a = asTensor(args.inputs.a as tf.TensorInfo);
  const b = asTensor(args.inputs.b as tf.TensorInfo);
  const swapLast = (t: tf.Tensor): tf.Tensor => {
    const perm = t.shape.map((_, i) => i);
    const r = perm.length;
    [perm[r - 2], perm[r - 1]] = [r - 1, r - 2];
    return tf.transpose(t, perm);
  };
  return tf.tidy(() => tf.matMul(transposeA ? swapLast(a) : a, transposeB ? swapLast(b) : b));
});

override(tf.OneHot, () => (args: KernelArgs) => {
  const { depth, onValue, offValue, dtype } = args.attrs as unknown as {
    depth: number;
    onValue: number;
    offValue: number;
    dtype: tf.DataType;
  };
  const indices = asTensor(args.inputs.indices as tf.TensorInfo);
  return tf.tidy(() => {
    const hit = tf.equal(tf.expandDims(indices, -1), tf.range(0, depth, 1, 'int32'));
    if (onValue === 1 && offValue === 0) return tf.cast(hit, dtype);
    return tf.cast(tf.add(tf.mul(tf.cast(hit, 'float32'), onValue - offValue), offValue), dtype);
  });
});

override(tf.SplitV, () => (args: KernelArgs) => {
  const { numOrSizeSplits, axis } = args.attrs as unknown as { numOrSizeSplits: number[] | number; axis: number };
  const x = asTensor(args.inputs.x as tf.TensorInfo);
  const ax = tf.util.parseAxisParam(axis, x.shape)[0] as number;
  const sizes = tf.backend_util.prepareSplitSize(x, numOrSizeSplits, ax);
  const begin = x.shape.map(() => 0);
  const size = x.shape.slice();
  return sizes.map((n) => {
    size[ax] = n;
    const part = tf.slice(x, begin, size);
    begin[ax] = (begin[ax] as number) + n;
    return part;
  });
});
