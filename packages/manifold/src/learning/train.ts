// Shared parameter update for the manifold package's training loops (MDF and constrained EBM).
import * as tf from '@tensorflow/tfjs-core';
import {
  type Key,
  type OptState,
  type Optimizer,
  type Params,
  NonFiniteError,
  applyUpdates,
  clipByGlobalNorm,
  disposeOptState,
  disposeParams,
  flattenParams,
  globalNorm,
  unflattenParams,
  uniform,
} from '@walkjump/tensor';

/** A minibatch of `batchSize` rows of `data` [N, n] drawn uniformly with replacement under `key`. @internal */
export function drawBatch(key: Key, data: tf.Tensor2D, batchSize: number): tf.Tensor2D {
  const N = data.shape[0];
  return tf.tidy(() => {
    const idx = Array.from(uniform(key, [batchSize]).dataSync(), (u) => Math.min(N - 1, Math.floor(u * N)));
    return tf.gather(data, tf.tensor1d(idx, 'int32'));
  });
}

/** One optimizer update on `loss(params)`. Disposes the previous `params` when `ownsParams`. @internal */
export function updateParams(
  fn: string,
  loss: (params: Params) => tf.Scalar,
  params: Params,
  optimizer: Optimizer,
  optState: OptState,
  clipNorm: number | undefined,
  ownsParams: boolean,
): { params: Params; optState: OptState; loss: number; gradNorm: number } {
  const flat = flattenParams(params);
  const names = Object.keys(flat);
  const leaves = names.map((nm) => flat[nm]!);
  const { value, grads } = tf.tidy(() =>
    tf.valueAndGrads((...ls: tf.Tensor[]) =>
      loss(unflattenParams(params, Object.fromEntries(names.map((nm, i) => [nm, ls[i]!])))),
    )(leaves),
  );
  const lossValue = value.dataSync()[0]!;
  value.dispose();
  let g: Params = unflattenParams(params, Object.fromEntries(names.map((nm, i) => [nm, grads[i]!])));
  let gradNorm: number;
  if (clipNorm !== undefined) {
    const c = clipByGlobalNorm(g, clipNorm);
    tf.dispose(grads);
    g = c.grads;
    gradNorm = c.norm.dataSync()[0]!;
    c.norm.dispose();
  } else {
    const nrm = globalNorm(g);
    gradNorm = nrm.dataSync()[0]!;
    nrm.dispose();
  }
  if (!Number.isFinite(lossValue) || !Number.isFinite(gradNorm)) {
    disposeParams(g);
    throw new NonFiniteError(`${fn}: loss or gradient is not finite (loss ${lossValue}, gradient norm ${gradNorm})`);
  }
  const { updates, state } = optimizer.update(g, optState, params);
  const next = applyUpdates(params, updates);
  disposeParams(g);
  disposeParams(updates);
  disposeOptState(optState);
  if (ownsParams) disposeParams(params);
  return { params: next, optState: state, loss: lossValue, gradNorm };
}
