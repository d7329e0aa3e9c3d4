// Kernels that fill the wasm backend's gaps and replace its slow paths (tfjs-backend-wasm 4.22).
//
// Each replacement is built from the wasm backend's own fast kernels (XNNPACK convolution and
// matmul, transpose, pad, strided slice), called as ordinary ops from inside the kernel. Ops run
// inside a kernel are not recorded on the gradient tape (the engine records only at kernel depth
// 0), so the stock gradients of Conv2D, Conv2DBackpropInput, Conv2DBackpropFilter and BatchMatMul
// still apply unchanged and stay correct to any order; only the arithmetic underneath is faster.
//
//  - Conv2DBackpropFilter: missing on wasm (conv training fails without it). Built as one
//    convolution of the transposed input with the transposed dy, dilated by the stride.
//  - Conv2DBackpropInput: the stock kernel is a naive loop (~2 GFLOP/s). Replaced by the
//    zero-insertion formulation: dy upsampled by the stride, padded by k − 1 − pad, convolved
//    (stride 1, valid) with the spatially flipped, in/out-swapped filter.
//  - BatchMatMul with transpose flags: XNNPACK has no transposed path, and the fallback runs
//    12–50× slower than the plain product. The transposes are materialized first.
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

/** ∂L/∂x of a 2-D convolution (NHWC), by zero insertion and a stride-1 valid convolution; undefined when the padding does not allow it. */
function conv2DBackpropInputNHWC(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  inputShape: [number, number, number, number],
  attrs: Conv2DAttrs,
): tf.Tensor4D | undefined {
  const info = convInfo(inputShape, filter.shape, attrs);
  const { batchSize, inHeight, inWidth, outChannels, filterHeight, filterWidth, strideHeight, strideWidth, outHeight, outWidth, padInfo } = info;
  const top = filterHeight - 1 - padInfo.top;
  const left = filterWidth - 1 - padInfo.left;
  if (top < 0 || left < 0) return undefined;
  return tf.tidy(() => {
    let up: tf.Tensor4D = dy;
    let upH = outHeight;
    let upW = outWidth;
    if (strideHeight > 1 || strideWidth > 1) {
      // [B·oh, 1, ow, 1, C] padded to [B·oh, sh, ow, sw, C]: every input pixel followed by s − 1 zeros.
      const r = tf.reshape(dy, [batchSize * outHeight, 1, outWidth, 1, outChannels]);
      const z = tf.pad(r, [[0, 0], [0, strideHeight - 1], [0, 0], [0, strideWidth - 1], [0, 0]]);
      upH = outHeight * strideHeight;
      upW = outWidth * strideWidth;
      up = tf.reshape(z, [batchSize, upH, upW, outChannels]);
    }
    // The full correlation needs height inH + kh − 1; trailing zero rows beyond that are cut.
    const bottom = inHeight + filterHeight - 1 - top - upH;
    const right = inWidth + filterWidth - 1 - left - upW;
    if (bottom < 0 || right < 0) {
      up = tf.slice(up, [0, 0, 0, 0], [batchSize, upH + Math.min(bottom, 0), upW + Math.min(right, 0), outChannels]);
    }
    const padded = tf.pad(up, [
      [0, 0],
      [top, Math.max(bottom, 0)],
      [left, Math.max(right, 0)],
      [0, 0],
    ]);
    const flipped = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
    return tf.conv2d(padded, flipped, 1, 'valid');
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

override(tf.Conv2DBackpropInput, (stock) => (args: KernelArgs) => {
  const dy = asTensor(args.inputs.dy as tf.TensorInfo) as tf.Tensor4D;
  const filter = asTensor(args.inputs.filter as tf.TensorInfo) as tf.Tensor4D;
  const attrs = args.attrs as unknown as Conv2DAttrs & { inputShape: [number, number, number, number] };
  let out: tf.Tensor4D | undefined;
  if (attrs.dataFormat === 'NCHW') {
    out = tf.tidy(() => {
      const r = conv2DBackpropInputNHWC(nchwToNhwc(dy), filter, shapeNchwToNhwc(attrs.inputShape), { ...attrs, dataFormat: 'NHWC' });
      return r === undefined ? (undefined as unknown as tf.Tensor4D) : nhwcToNchw(r);
    });
  } else {
    out = conv2DBackpropInputNHWC(dy, filter, attrs.inputShape, attrs);
  }
  if (out !== undefined) return out;
  if (stock === undefined) throw new Error('Conv2DBackpropInput: no wasm kernel for this padding');
  return stock(args);
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
