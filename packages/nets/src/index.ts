// @walkjump/nets — networks as data: `init(key, inputShape) → Params`, `apply(params, x) → Tensor`.
export { disposeParams, mlp, paramCount } from './mlp/mlp.ts';
export type { Activation, DenseParams, MlpOptions, MlpParams, Network, Params } from './mlp/mlp.ts';
