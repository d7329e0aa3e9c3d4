// @walkjump/nets — networks as data: `init(key, inputShape) → Params`, `apply(params, x, cond?) → Tensor`.
export type { InitScheme, Network, Params } from './core/network.ts';
export type { Activation } from './core/layers.ts';
export { disposeParams, mlp, paramCount } from './mlp/mlp.ts';
export type { DenseParams, MlpOptions, MlpParams } from './mlp/mlp.ts';
export { classifier } from './classifier/classifier.ts';
export type { ClassifierNetwork, ClassifierOptions, ClassifierParams } from './classifier/classifier.ts';
export {
  loadMnistClassifier,
  mnistClassifier,
  mnistClassifierFromBytes,
  mnistClassifierWeightsUrl,
  trainedClassifier,
} from './classifier/mnist.ts';
export type { TrainedClassifier } from './classifier/mnist.ts';
export { loadParams, paramsFromBytes, paramsToBytes, saveParams } from './io/io.ts';
