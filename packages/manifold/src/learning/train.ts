// Shared parameter update for the manifold package's training loops (MDF and constrained EBM).
import * as tf from '@tensorflow/tfjs-core';
import {
  type OptState,
  type Optimizer,
  type Params,
  NonFiniteError,
  applyUpdates,
  clipByGlobalNorm,
  disposeOptState,
  flattenParams,
  globalNorm,
  unflattenParams,
} from '@walkjump/tensor';

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
    tf.dispose(Object.values(flattenParams(g)));
    throw new NonFiniteError(`${fn}: loss or gradient is not finite (loss ${lossValue}, gradient norm ${gradNorm})`);
  }
  const { updates, state } = optimizer.update(g, optState, params);
  const next = applyUpdates(params, updates);
  tf.dispose(Object.values(flattenParams(g)));
  tf.dispose(Object.values(flattenParams(updates)));
  disposeOptState(optState);
  if (ownsParams) tf.dispose(Object.values(flattenParams(params)));
  return { params: next, optState: state, loss: lossValue, gradNorm };
}
